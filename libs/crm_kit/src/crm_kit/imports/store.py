"""MongoDB adapter of import jobs, for any service (its collection names and job type given).

- jobs (`JobCollections.jobs`): one document per job (status, counters, timings), mapped by
  the service's `JobCodec` (the common fields: `base_document` / `base_fields`).
- chunks: the staged rows of an import in bounded batches, `_id = <job>:<n>`, the rows passed
  through the service's `CellProtector` (the customer service encrypts them: they hold
  identity numbers and phones) and dropped when the job finishes; each chunk keeps its row
  results for the error report.
- keys: idempotency guards, `_id = <actor>:<key>` → job id.
- file keys: for a dry run, the keys of the rows it would have created, `_id = <job>:<key>` →
  the first such row, so a later batch sees the earlier rows of the file as the real run sees
  the records they created; dropped with the staged rows.
Every lookup on the hot path is by `_id`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import orjson
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from crm_kit.imports.model import Counts, ImportMode, Job, JobKind, JobStatus, RowResult
from crm_kit.lease import LEASES_COLLECTION
from crm_kit.mongo import Document, IndexSpec, Session

DUPLICATE_KEY = 11000


@dataclass(frozen=True, slots=True)
class JobCollections:
    """The names of a service's job collections (each service keeps its own)."""

    jobs: str
    chunks: str
    keys: str
    file_keys: str

    @classmethod
    def named(cls, prefix: str) -> JobCollections:
        """`<prefix>_jobs`, `<prefix>_job_chunks`, `<prefix>_job_keys`, `<prefix>_job_file_keys`."""
        return cls(
            f"{prefix}_jobs",
            f"{prefix}_job_chunks",
            f"{prefix}_job_keys",
            f"{prefix}_job_file_keys",
        )

    def indexes(self) -> list[IndexSpec]:
        return [
            IndexSpec(
                self.jobs,
                (
                    IndexModel([("status", ASCENDING), ("created_at", ASCENDING)], name="open"),
                    IndexModel([("actor", ASCENDING), ("created_at", DESCENDING)], name="by_actor"),
                ),
            ),
            IndexSpec(self.chunks, ()),
            IndexSpec(self.keys, ()),
            IndexSpec(self.file_keys, (IndexModel([("job_id", ASCENDING)], name="job"),)),
        ]


class CellProtector(Protocol):
    """How staged cells are kept at rest: `encrypt` bound to the chunk's id, `decrypt` back."""

    def encrypt(self, plaintext: str, record_id: str) -> str: ...

    def decrypt(self, stored: str, record_id: str) -> str: ...


class PlainCells:
    """Cells kept as they are: for rows without personal data, dropped when the job ends."""

    def encrypt(self, plaintext: str, record_id: str) -> str:
        return plaintext

    def decrypt(self, stored: str, record_id: str) -> str:
        return stored


@dataclass(frozen=True, slots=True)
class JobCodec[J: Job]:
    """A service's job type to and from its document."""

    document: Callable[[J], Document]
    job: Callable[[Document], J]


def chunk_id(job_id: str, index: int) -> str:
    return f"{job_id}:{index:06d}"


def base_document(job: Job) -> Document:
    """The fields every job has, as stored."""
    return {
        "_id": job.id, "kind": str(job.kind), "status": str(job.status), "actor": job.actor,
        "actor_roles": list(job.actor_roles), "actor_team": job.actor_team,
        "created_at": job.created_at, "started_at": job.started_at,
        "finished_at": job.finished_at, "format": job.format,
        "mode": str(job.mode) if job.mode else None, "dry_run": job.dry_run,
        "file_name": job.file_name, "file_sha256": job.file_sha256, "total": job.total,
        "chunk_count": job.chunk_count, "next_chunk": job.next_chunk,
        "processed": job.counts.processed, "created": job.counts.created,
        "updated": job.counts.updated, "skipped": job.counts.skipped,
        "failed": job.counts.failed, "headers": job.headers, "error": job.error,
    }  # fmt: skip


def base_fields(doc: Document) -> dict[str, Any]:
    """The keyword arguments of the common fields of a stored job."""
    counts = Counts(**{k: int(doc.get(k, 0)) for k in Counts.__dataclass_fields__})
    return {
        "id": doc["_id"], "kind": JobKind(doc["kind"]), "status": JobStatus(doc["status"]),
        "actor": doc["actor"], "created_at": doc["created_at"], "format": doc["format"],
        "actor_roles": tuple(doc.get("actor_roles") or ()),
        "actor_team": doc.get("actor_team", ""), "started_at": doc.get("started_at"),
        "finished_at": doc.get("finished_at"),
        "mode": ImportMode(doc["mode"]) if doc.get("mode") else None,
        "dry_run": bool(doc.get("dry_run")), "file_name": doc.get("file_name", ""),
        "file_sha256": doc.get("file_sha256", ""), "total": int(doc.get("total", 0)),
        "chunk_count": int(doc.get("chunk_count", 0)),
        "next_chunk": int(doc.get("next_chunk", 0)), "counts": counts,
        "headers": dict(doc.get("headers") or {}), "error": doc.get("error"),
    }  # fmt: skip


class JobStore[J: Job]:
    """Jobs, their idempotency guards, staged rows, row results and a dry run's file keys."""

    def __init__(
        self,
        db: AsyncDatabase[Document],
        collections: JobCollections,
        protector: CellProtector,
        codec: JobCodec[J],
    ) -> None:
        self._jobs = db[collections.jobs]
        self._chunks = db[collections.chunks]
        self._keys = db[collections.keys]
        self._file_keys = db[collections.file_keys]
        self.leases = db[LEASES_COLLECTION]
        self._protector = protector
        self._codec = codec

    # --- jobs ---------------------------------------------------------------------------------

    async def get(self, job_id: str, session: Session | None = None) -> J | None:
        doc = await self._jobs.find_one({"_id": job_id}, session=session)
        return None if doc is None else self._codec.job(doc)

    async def insert(self, job: J, session: Session) -> None:
        await self._jobs.insert_one(self._codec.document(job), session=session)

    async def open_jobs(self, limit: int = 20) -> list[J]:
        cursor = (
            self._jobs.find({"status": {"$in": ["QUEUED", "RUNNING"]}})
            .sort([("status", ASCENDING), ("created_at", ASCENDING)])
            .limit(limit)
        )
        return [self._codec.job(d) async for d in cursor]

    async def set_fields(
        self, job_id: str, fields: Document, session: Session | None = None
    ) -> None:
        await self._jobs.update_one({"_id": job_id}, {"$set": fields}, session=session)

    async def count_attempt(self, job_id: str) -> int:
        doc = await self._jobs.find_one_and_update(
            {"_id": job_id}, {"$inc": {"attempts": 1}}, return_document=ReturnDocument.AFTER
        )
        return 0 if doc is None else int(doc.get("attempts", 0))

    async def add_progress(self, job_id: str, index: int, counts: Counts, session: Session) -> bool:
        """Count a finished chunk once: only if the job is still at chunk `index`."""
        result = await self._jobs.update_one(
            {"_id": job_id, "next_chunk": index},
            {
                "$set": {"next_chunk": index + 1},
                "$inc": {
                    "processed": counts.processed,
                    "created": counts.created,
                    "updated": counts.updated,
                    "skipped": counts.skipped,
                    "failed": counts.failed,
                },
            },
            session=session,
        )
        return result.modified_count == 1

    # --- idempotency guards -------------------------------------------------------------------

    async def job_for_key(self, guard: str, session: Session | None = None) -> str | None:
        doc = await self._keys.find_one({"_id": guard}, session=session)
        return None if doc is None else str(doc["job_id"])

    async def claim_key(self, guard: str, job_id: str, at: datetime, session: Session) -> None:
        await self._keys.insert_one({"_id": guard, "job_id": job_id, "at": at}, session=session)

    # --- staged rows --------------------------------------------------------------------------

    async def stage(self, job_id: str, chunks: Sequence[list[dict[str, Any]]]) -> None:
        docs = []
        for i, rows in enumerate(chunks):
            cid = chunk_id(job_id, i)
            plain = orjson.dumps(rows).decode()
            docs.append(
                {
                    "_id": cid,
                    "job_id": job_id,
                    "rows": self._protector.encrypt(plain, cid),
                    "results": None,
                }
            )
        for start in range(0, len(docs), 100):
            await self._chunks.insert_many(docs[start : start + 100])

    async def rows(self, job_id: str, index: int) -> list[dict[str, Any]]:
        cid = chunk_id(job_id, index)
        doc = await self._chunks.find_one({"_id": cid})
        if doc is None or not doc.get("rows"):
            return []
        rows: list[dict[str, Any]] = orjson.loads(self._protector.decrypt(doc["rows"], cid))
        return rows

    async def save_results(
        self, job_id: str, index: int, results: list[RowResult], session: Session
    ) -> None:
        await self._chunks.update_one(
            {"_id": chunk_id(job_id, index)},
            {"$set": {"results": [r.as_doc() for r in results]}},
            session=session,
        )

    async def drop_rows(self, job: J, session: Session) -> None:
        """The uploaded values go once the job is done (a dry run's file keys with them);
        the results stay for the report."""
        ids = [chunk_id(job.id, i) for i in range(job.chunk_count)]
        await self._chunks.update_many(
            {"_id": {"$in": ids}}, {"$set": {"rows": None}}, session=session
        )
        if job.dry_run:
            await self._file_keys.delete_many({"job_id": job.id}, session=session)

    async def discard(self, job_id: str, chunk_count: int) -> None:
        ids = [chunk_id(job_id, i) for i in range(chunk_count)]
        await self._chunks.delete_many({"_id": {"$in": ids}})

    # --- a dry run's file keys ----------------------------------------------------------------

    async def file_keys(self, job_id: str, keys: Collection[str], before: int) -> dict[str, int]:
        """key → the first row before line `before` that holds it (one `_id $in` lookup);
        rows from `before` on are left out: they are this batch's, from an earlier attempt."""
        if not keys:
            return {}
        ids = [f"{job_id}:{k}" for k in sorted(set(keys))]
        cursor = self._file_keys.find({"_id": {"$in": ids}, "row": {"$lt": before}})
        return {d["key"]: int(d["row"]) async for d in cursor}

    async def add_file_keys(self, job_id: str, rows: dict[str, int]) -> None:
        """Record the keys of rows a dry run would create; a key already held keeps its
        first row (a batch run again records the same keys again)."""
        docs = [
            {"_id": f"{job_id}:{k}", "job_id": job_id, "key": k, "row": row}
            for k, row in sorted(rows.items())
        ]
        if not docs:
            return
        try:
            await self._file_keys.insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors") or []
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
