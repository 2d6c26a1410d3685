"""MongoDB adapter for customer import/export jobs: the kit's job store
(`crm_kit.imports.store`) over the customer collections, and the export files.

- `customer_jobs`, `customer_job_chunks`, `customer_job_keys`, `customer_job_file_keys`: the
  kit's jobs, staged rows, idempotency guards and a dry run's file keys (the match keys, blind
  indexes as the registry holds them). The staged rows are encrypted with the data key (they
  hold identity numbers and phones).
- `customer_job_files`: an export's file in parts of at most 1 MB, encrypted likewise.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

from pymongo.asynchronous.database import AsyncDatabase

from crm_customer.catalog.model import FieldDefinition, FieldType
from crm_customer.imports.model import Job, UpsertKey
from crm_customer.protection.crypto import DataProtector
from crm_kit.imports.store import (
    JobCodec,
    JobCollections,
    JobStore,
    base_document,
    base_fields,
    chunk_id,
)
from crm_kit.mongo import Document, IndexSpec

COLLECTIONS = JobCollections.named("customer")
FILES = "customer_job_files"
FILE_PART_BYTES = 1024 * 1024

JOB_INDEXES: list[IndexSpec] = [*COLLECTIONS.indexes(), IndexSpec(FILES, ())]


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
    return base_document(job) | {
        "upsert_key": str(job.upsert_key) if job.upsert_key else None,
        "custom_fields": [definition_document(d) for d in job.custom_fields],
        "filter": job.filter,
        "query": job.query,
        "include_personal": job.include_personal,
        "reveal_identity": job.reveal_identity,
        "row_count": job.row_count,
        "file_parts": job.file_parts,
        "file_size": job.file_size,
        "expires_at": job.expires_at,
    }


def job_from(doc: Document) -> Job:
    return Job(
        **base_fields(doc),
        upsert_key=UpsertKey(doc["upsert_key"]) if doc.get("upsert_key") else None,
        custom_fields=tuple(definition_of(d) for d in doc.get("custom_fields") or ()),
        filter=dict(doc.get("filter") or {}),
        query=bytes(doc.get("query") or b""),
        include_personal=bool(doc.get("include_personal")),
        reveal_identity=bool(doc.get("reveal_identity")),
        row_count=int(doc.get("row_count", 0)),
        file_parts=int(doc.get("file_parts", 0)),
        file_size=int(doc.get("file_size", 0)),
        expires_at=doc.get("expires_at"),
    )


CODEC = JobCodec(job_document, job_from)


class JobRepository(JobStore[Job]):
    """The kit's job store over the customer collections, and the export files."""

    def __init__(self, db: AsyncDatabase[Document], protector: DataProtector) -> None:
        super().__init__(db, COLLECTIONS, protector, CODEC)
        self._files = db[FILES]
        self._file_protector = protector

    # --- export files -------------------------------------------------------------------------

    async def save_file(self, job_id: str, data: bytes) -> int:
        parts = [data[i : i + FILE_PART_BYTES] for i in range(0, len(data), FILE_PART_BYTES)]
        for i, part in enumerate(parts or [b""]):
            pid = chunk_id(job_id, i)
            text = base64.b64encode(part).decode()
            await self._files.replace_one(
                {"_id": pid},
                {"_id": pid, "job_id": job_id, "data": self._file_protector.encrypt(text, pid)},
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
        return base64.b64decode(self._file_protector.decrypt(doc["data"], pid))

    async def delete_file(self, job: Job) -> None:
        ids = [chunk_id(job.id, i) for i in range(job.file_parts)]
        await self._files.delete_many({"_id": {"$in": ids}})
