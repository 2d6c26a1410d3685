"""MongoDB adapter of opportunity imports.

- `opportunity_import_jobs`, `_job_chunks`, `_job_keys`, `_job_file_keys`: the kit's job store
  (`crm_kit.imports.store`). Staged cells are kept as they are (`PlainCells`): an opportunity
  row holds no identity numbers or phones, and the cells are dropped when the job ends.
- `opportunity_import_keys`: the external keys imported so far, `_id` = the key → the deal it
  created (`opportunityId`), by which job and row. Written in the transaction that creates the
  deal (`OpportunityService.create(after=…)`), so a key is held iff its deal exists; two
  imports racing on one key collide on `_id` and the second create rolls back.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.imports.store import (
    JobCodec,
    JobCollections,
    JobStore,
    PlainCells,
    base_document,
    base_fields,
)
from crm_kit.mongo import Document, IndexSpec, Session
from crm_sales.imports.model import OpportunityImportJob, UpsertKey

COLLECTIONS = JobCollections.named("opportunity_import")
EXTERNAL_KEYS = "opportunity_import_keys"
INDEXES: list[IndexSpec] = [*COLLECTIONS.indexes(), IndexSpec(EXTERNAL_KEYS, ())]


def job_document(job: OpportunityImportJob) -> Document:
    return base_document(job) | {"upsert_key": str(job.upsert_key) if job.upsert_key else None}


def job_from(doc: Document) -> OpportunityImportJob:
    key = doc.get("upsert_key")
    return OpportunityImportJob(**base_fields(doc), upsert_key=UpsertKey(key) if key else None)


CODEC = JobCodec(job_document, job_from)


class ImportJobRepository(JobStore[OpportunityImportJob]):
    """The kit's job store over the opportunity import collections."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        super().__init__(db, COLLECTIONS, PlainCells(), CODEC)


@dataclass(frozen=True, slots=True)
class KeyHolder:
    """The deal an external key was imported as, and the job and row that imported it (None:
    a row of this dry run that would create it)."""

    opportunity_id: str | None
    job_id: str
    row: int


class ExternalKeys:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._keys = db[EXTERNAL_KEYS]

    async def holders(self, keys: Collection[str]) -> dict[str, KeyHolder]:
        """key → who holds it, for the keys held (one `_id $in` lookup)."""
        if not keys:
            return {}
        cursor = self._keys.find({"_id": {"$in": sorted(set(keys))}})
        return {
            str(d["_id"]): KeyHolder(str(d["opportunityId"]), str(d["jobId"]), int(d["row"]))
            async for d in cursor
        }

    async def claim(
        self,
        key: str,
        opportunity_id: str,
        *,
        job_id: str,
        row: int,
        at: datetime,
        session: Session,
    ) -> None:
        """Hold `key` for the deal, inside the transaction that creates it (DuplicateKeyError
        when it is held already: that transaction rolls back)."""
        doc = {"_id": key, "opportunityId": opportunity_id, "jobId": job_id, "row": row, "at": at}
        await self._keys.insert_one(doc, session=session)
