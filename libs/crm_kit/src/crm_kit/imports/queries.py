"""The read side of a service's jobs: one job, a starter's jobs (newest first) and an import's
row results (for its errors and error report)."""

from __future__ import annotations

from collections.abc import Collection

from pymongo import DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.imports.model import Job, JobKind, JobStatus, RowResult
from crm_kit.imports.store import JobCodec, JobCollections, chunk_id
from crm_kit.mongo import Document
from crm_kit.paging import Keyset


class JobReader[J: Job]:
    def __init__(
        self, db: AsyncDatabase[Document], collections: JobCollections, codec: JobCodec[J]
    ) -> None:
        self._jobs = db[collections.jobs]
        self._chunks = db[collections.chunks]
        self._codec = codec

    async def get(self, job_id: str) -> J | None:
        doc = await self._jobs.find_one({"_id": job_id})
        return None if doc is None else self._codec.job(doc)

    async def page_of_actor(
        self,
        actor: str | None,
        kind: JobKind,
        first: int,
        statuses: Collection[JobStatus],
        after: Keyset | None,
    ) -> tuple[list[J], int]:
        """Jobs of a kind, `actor`'s (everyone's for None), in one of `statuses` (any when
        empty), newest first (equal times by id), after the (time, id) of a page's last job;
        and how many match over all pages."""
        query: Document = {"kind": str(kind)}
        if actor is not None:
            query["actor"] = actor
        if statuses:
            query["status"] = {"$in": sorted({str(s) for s in statuses})}
        total = await self._jobs.count_documents(query)
        if after is not None:
            query["$or"] = [
                {"created_at": {"$lt": after.at}},
                {"created_at": after.at, "_id": {"$lt": after.id}},
            ]
        cursor = (
            self._jobs.find(query)
            .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
            .limit(first)
        )
        return [self._codec.job(d) async for d in cursor], total

    async def results(self, job: Job) -> list[RowResult]:
        """The row results of an import, in row order of its batches."""
        ids = [chunk_id(job.id, i) for i in range(job.chunk_count)]
        out: list[RowResult] = []
        for start in range(0, len(ids), 200):
            cursor = self._chunks.find({"_id": {"$in": ids[start : start + 200]}}, {"rows": 0})
            docs = sorted([d async for d in cursor], key=lambda d: str(d["_id"]))
            out.extend(RowResult.from_doc(r) for d in docs for r in d.get("results") or [])
        return out
