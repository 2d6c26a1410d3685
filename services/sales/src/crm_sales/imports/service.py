"""Opportunity import use cases: accept a file as a job (the kit's intake: checked, read, staged
in bounded batches, the same `idempotencyKey` and file giving the same job), and process a
batch of its rows (`batch.ImportBatch`: each row through the opportunity use cases).

Who may import: whoever may create an opportunity (ADMIN, MANAGER, SALES: `access`); each row
is then held to the caller's rights as `createOpportunity` holds them, so SALES import their
own deals (a row naming another owner is FORBIDDEN) and MANAGER their team's.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crm_kit.auth import Principal
from crm_kit.errors import BadUserInput
from crm_kit.imports import tables
from crm_kit.imports.columns import missing_column_error
from crm_kit.imports.intake import Chunks, JobIntake, chunked, import_fields
from crm_kit.imports.model import ImportMode, ImportUpload, RowResult
from crm_kit.uow import UnitOfWork
from crm_sales import access
from crm_sales.imports.batch import ImportBatch
from crm_sales.imports.columns import TABLE
from crm_sales.imports.model import UPSERT_COLUMN, OpportunityImportJob, UpsertKey
from crm_sales.imports.rows import stage_rows
from crm_sales.imports.store import ImportJobRepository

type Upload = ImportUpload[UpsertKey]


@dataclass(frozen=True, slots=True)
class ImportLimits:
    """`SALES_IMPORT_MAX_ROWS` (data rows per file, 50 000) and `SALES_IMPORT_BATCH_ROWS`
    (rows per batch, 50); the file's size is the service's `UPLOAD_MAX_BYTES`."""

    max_bytes: int = 10 * 1024 * 1024
    max_rows: int = 50_000
    batch_rows: int = 50

    @classmethod
    def from_env(cls, upload_max_bytes: int, env: Mapping[str, str] = os.environ) -> ImportLimits:
        return cls(
            max_bytes=upload_max_bytes,
            max_rows=max(1, int(env.get("SALES_IMPORT_MAX_ROWS", "50000"))),
            batch_rows=max(1, int(env.get("SALES_IMPORT_BATCH_ROWS", "50"))),
        )


def _check_upsert_column(upload: Upload, headers: dict[str, str]) -> None:
    """An UPSERT names its deals by a column the file must have."""
    if upload.upsert_key is None or upload.mode is not ImportMode.UPSERT:
        return
    column = TABLE.by_key[UPSERT_COLUMN[upload.upsert_key]]
    if column.key not in headers:
        raise missing_column_error(column, f"UPSERT by {upload.upsert_key}")


@dataclass(frozen=True, slots=True)
class ImportService:
    uow: UnitOfWork
    jobs: ImportJobRepository
    batch: ImportBatch
    limits: ImportLimits = ImportLimits()

    @property
    def max_bytes(self) -> int:
        return self.limits.max_bytes

    async def start(self, actor: Principal, upload: Upload) -> OpportunityImportJob:
        """The upload as a queued job (its rows staged); the same `idempotencyKey` and file
        give the same job."""
        access.require_creator(actor)
        if upload.mode is ImportMode.UPSERT and upload.upsert_key is None:
            raise BadUserInput.single("upsertKey", "REQUIRED", "UPSERT needs an upsertKey")

        async def build(sha: str) -> tuple[OpportunityImportJob, Chunks]:
            return self._read(actor, upload, sha)

        return await JobIntake(self.uow, self.jobs).accept(actor, upload, build)

    def _read(
        self, actor: Principal, upload: Upload, sha: str
    ) -> tuple[OpportunityImportJob, Chunks]:
        """The file checked, read and staged in batches, and its job (not stored yet)."""
        fmt, table = tables.read_upload(
            upload.data, upload.filename, max_bytes=self.limits.max_bytes,
            max_rows=self.limits.max_rows,
        )  # fmt: skip
        staged = stage_rows(table)
        headers = TABLE.resolve_header(table[0][1]).headers
        _check_upsert_column(upload, headers)
        chunks = chunked(staged, self.limits.batch_rows)
        fields = import_fields(
            actor, upload, str(fmt), sha, staged=len(staged), chunks=len(chunks), headers=headers
        )
        upsert_key = upload.upsert_key if upload.mode is ImportMode.UPSERT else None
        return OpportunityImportJob(**fields, upsert_key=upsert_key), chunks

    async def process_batch(
        self, job: OpportunityImportJob, actor: Principal, rows: list[dict[str, Any]]
    ) -> list[RowResult]:
        """Each row's result (`batch.ImportBatch`)."""
        return await self.batch.run(job, actor, rows)
