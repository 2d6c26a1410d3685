"""The read side of import and export jobs: one job, a starter's jobs (newest first), and an
import's row results (for its errors and error report)."""

from __future__ import annotations

from pymongo import DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from crm_customer.imports.model import Job, JobKind, JobStatus, RowResult
from crm_customer.imports.store import CHUNKS, JOBS, chunk_id, job_from
from crm_kit.mongo import Document


class JobQueries:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._jobs = db[JOBS]
        self._chunks = db[CHUNKS]

    async def get(self, job_id: str) -> Job | None:
        doc = await self._jobs.find_one({"_id": job_id})
        return None if doc is None else job_from(doc)

    async def of_actor(
        self, actor: str | None, kind: JobKind, first: int, status: JobStatus | None
    ) -> list[Job]:
        """Jobs of a kind, newest first: `actor`'s, or everyone's for None."""
        query: Document = {"kind": str(kind)}
        if actor is not None:
            query["actor"] = actor
        if status is not None:
            query["status"] = str(status)
        cursor = self._jobs.find(query).sort([("created_at", DESCENDING)]).limit(first)
        return [job_from(d) async for d in cursor]

    async def results(self, job: Job) -> list[RowResult]:
        """The row results of an import, in row order of its batches."""
        ids = [chunk_id(job.id, i) for i in range(job.chunk_count)]
        out: list[RowResult] = []
        for start in range(0, len(ids), 200):
            cursor = self._chunks.find({"_id": {"$in": ids[start : start + 200]}}, {"rows": 0})
            docs = sorted([d async for d in cursor], key=lambda d: str(d["_id"]))
            out.extend(RowResult.from_doc(r) for d in docs for r in d.get("results") or [])
        return out
