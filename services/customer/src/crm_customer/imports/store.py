"""MongoDB adapter for import/export jobs.

- `customer_jobs`: one document per job (status, counters, timings).
- `customer_job_chunks`: the staged rows of an import in bounded batches, `_id =
  <job>:<n>`, the rows encrypted with the data key (they hold identity numbers and phones)
  and dropped when the job finishes; each chunk keeps its row results for the error report.
- `customer_job_files`: an export's file in parts of at most 1 MB, encrypted likewise.
- `customer_job_keys`: idempotency guards, `_id = <actor>:<key>` → job id.
- `customer_job_file_keys`: for a dry run, the match keys (blind indexes, as the registry
  holds them) of the rows it would have created, `_id = <job>:<key>` → the first such row, so
  a later batch sees the earlier rows of the file as the real run sees the customers they
  created; dropped with the staged rows.
Every lookup on the hot path is by `_id`.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Collection, Sequence
from datetime import datetime
from typing import Any

import orjson
from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from crm_customer.catalog.model import FieldDefinition, FieldType
from crm_customer.imports.model import (
    Counts,
    ImportMode,
    Job,
    JobKind,
    JobStatus,
    RowResult,
    UpsertKey,
)
from crm_customer.protection.crypto import DataProtector
from crm_kit.lease import LEASES_COLLECTION
from crm_kit.mongo import Document, IndexSpec, Session

JOBS = "customer_jobs"
CHUNKS = "customer_job_chunks"
FILES = "customer_job_files"
JOB_KEYS = "customer_job_keys"
FILE_KEYS = "customer_job_file_keys"
DUPLICATE_KEY = 11000
FILE_PART_BYTES = 1024 * 1024

JOB_INDEXES: list[IndexSpec] = [
    IndexSpec(
        JOBS,
        (
            IndexModel([("status", ASCENDING), ("created_at", ASCENDING)], name="open"),
            IndexModel([("actor", ASCENDING), ("created_at", DESCENDING)], name="by_actor"),
        ),
    ),
    IndexSpec(CHUNKS, ()),
    IndexSpec(FILES, ()),
    IndexSpec(JOB_KEYS, ()),
    IndexSpec(FILE_KEYS, (IndexModel([("job_id", ASCENDING)], name="job"),)),
]


def chunk_id(job_id: str, index: int) -> str:
    return f"{job_id}:{index:06d}"


def definition_document(d: FieldDefinition) -> Document:
    """What a job keeps of a custom field definition: what its column and values need."""
    return {
        "key": d.key, "label_zh": d.label_zh, "label_en": d.label_en, "type": str(d.type),
        "required": d.required, "options": list(d.options),
    }  # fmt: skip


def definition_of(doc: Document) -> FieldDefinition:
    return FieldDefinition(
        key=doc["key"], label_zh=doc["label_zh"], label_en=doc["label_en"],
        type=FieldType(doc["type"]), required=bool(doc.get("required")),
        options=list(doc.get("options") or []),
    )  # fmt: skip


def job_document(job: Job) -> Document:
    return {
        "_id": job.id,
        "kind": str(job.kind),
        "status": str(job.status),
        "actor": job.actor,
        "actor_roles": list(job.actor_roles),
        "actor_team": job.actor_team,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "format": job.format,
        "mode": str(job.mode) if job.mode else None,
        "upsert_key": str(job.upsert_key) if job.upsert_key else None,
        "dry_run": job.dry_run,
        "file_name": job.file_name,
        "file_sha256": job.file_sha256,
        "total": job.total,
        "chunk_count": job.chunk_count,
        "next_chunk": job.next_chunk,
        "processed": job.counts.processed,
        "created": job.counts.created,
        "updated": job.counts.updated,
        "skipped": job.counts.skipped,
        "failed": job.counts.failed,
        "headers": job.headers,
        "custom_fields": [definition_document(d) for d in job.custom_fields],
        "filter": job.filter,
        "query": job.query,
        "include_personal": job.include_personal,
        "reveal_identity": job.reveal_identity,
        "row_count": job.row_count,
        "file_parts": job.file_parts,
        "file_size": job.file_size,
        "expires_at": job.expires_at,
        "error": job.error,
    }


def job_from(doc: Document) -> Job:
    return Job(
        id=doc["_id"],
        kind=JobKind(doc["kind"]),
        status=JobStatus(doc["status"]),
        actor=doc["actor"],
        created_at=doc["created_at"],
        format=doc["format"],
        actor_roles=tuple(doc.get("actor_roles") or ()),
        actor_team=doc.get("actor_team", ""),
        started_at=doc.get("started_at"),
        finished_at=doc.get("finished_at"),
        mode=ImportMode(doc["mode"]) if doc.get("mode") else None,
        upsert_key=UpsertKey(doc["upsert_key"]) if doc.get("upsert_key") else None,
        dry_run=bool(doc.get("dry_run")),
        file_name=doc.get("file_name", ""),
        file_sha256=doc.get("file_sha256", ""),
        total=int(doc.get("total", 0)),
        chunk_count=int(doc.get("chunk_count", 0)),
        next_chunk=int(doc.get("next_chunk", 0)),
        counts=Counts(
            processed=int(doc.get("processed", 0)),
            created=int(doc.get("created", 0)),
            updated=int(doc.get("updated", 0)),
            skipped=int(doc.get("skipped", 0)),
            failed=int(doc.get("failed", 0)),
        ),
        headers=dict(doc.get("headers") or {}),
        custom_fields=tuple(definition_of(d) for d in doc.get("custom_fields") or ()),
        filter=dict(doc.get("filter") or {}),
        query=bytes(doc.get("query") or b""),
        include_personal=bool(doc.get("include_personal")),
        reveal_identity=bool(doc.get("reveal_identity")),
        row_count=int(doc.get("row_count", 0)),
        file_parts=int(doc.get("file_parts", 0)),
        file_size=int(doc.get("file_size", 0)),
        expires_at=doc.get("expires_at"),
        error=doc.get("error"),
    )


class JobRepository:
    def __init__(self, db: AsyncDatabase[Document], protector: DataProtector) -> None:
        self._jobs = db[JOBS]
        self._chunks = db[CHUNKS]
        self._files = db[FILES]
        self._keys = db[JOB_KEYS]
        self._file_keys = db[FILE_KEYS]
        self.leases = db[LEASES_COLLECTION]
        self._protector = protector

    # --- jobs ---------------------------------------------------------------------------------

    async def get(self, job_id: str, session: Session | None = None) -> Job | None:
        doc = await self._jobs.find_one({"_id": job_id}, session=session)
        return None if doc is None else job_from(doc)

    async def insert(self, job: Job, session: Session) -> None:
        await self._jobs.insert_one(job_document(job), session=session)

    async def open_jobs(self, limit: int = 20) -> list[Job]:
        cursor = (
            self._jobs.find({"status": {"$in": ["QUEUED", "RUNNING"]}})
            .sort([("status", ASCENDING), ("created_at", ASCENDING)])
            .limit(limit)
        )
        return [job_from(d) async for d in cursor]

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

    async def drop_rows(self, job: Job, session: Session) -> None:
        """The uploaded values go once the job is done (a dry run's file keys with them);
        the results stay for the report."""
        ids = [chunk_id(job.id, i) for i in range(job.chunk_count)]
        await self._chunks.update_many(
            {"_id": {"$in": ids}}, {"$set": {"rows": None}}, session=session
        )
        if job.dry_run:
            await self._file_keys.delete_many({"job_id": job.id}, session=session)

    # --- a dry run's file keys ------------------------------------------------------------------

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

    async def discard(self, job_id: str, chunk_count: int) -> None:
        ids = [chunk_id(job_id, i) for i in range(chunk_count)]
        await self._chunks.delete_many({"_id": {"$in": ids}})

    # --- export files -------------------------------------------------------------------------

    async def save_file(self, job_id: str, data: bytes) -> int:
        parts = [data[i : i + FILE_PART_BYTES] for i in range(0, len(data), FILE_PART_BYTES)]
        for i, part in enumerate(parts or [b""]):
            pid = chunk_id(job_id, i)
            text = base64.b64encode(part).decode()
            await self._files.replace_one(
                {"_id": pid},
                {"_id": pid, "job_id": job_id, "data": self._protector.encrypt(text, pid)},
                upsert=True,
            )
        return max(1, len(parts))

    async def load_file(self, job: Job) -> bytes:
        out = bytearray()
        for i in range(job.file_parts):
            part = await self._file_part(job.id, i)
            if part is None:
                return b""
            out += part
        return bytes(out)

    async def file_chunks(self, job: Job) -> AsyncIterator[bytes]:
        """The file part by part (at most FILE_PART_BYTES each), one part in memory at a time;
        it stops early when a part is gone."""
        for i in range(job.file_parts):
            part = await self._file_part(job.id, i)
            if part is None:
                return
            yield part

    async def _file_part(self, job_id: str, index: int) -> bytes | None:
        pid = chunk_id(job_id, index)
        doc = await self._files.find_one({"_id": pid})
        if doc is None:
            return None
        return base64.b64decode(self._protector.decrypt(doc["data"], pid))

    async def delete_file(self, job: Job) -> None:
        ids = [chunk_id(job.id, i) for i in range(job.file_parts)]
        await self._files.delete_many({"_id": {"$in": ids}})
