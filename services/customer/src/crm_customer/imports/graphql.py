"""GraphQL of customer import and export: upload (GraphQL multipart request), jobs, progress.

Files (the template, an error report, an export) are returned inside GraphQL as base64 in a
`CustomerFile`: the gateway is the only public endpoint, so a download stays behind its
authentication, rate limits and the subgraph's own access checks, with no second URL scheme
or signing key to run. The files are small (reports, templates; exports are capped).
"""

from __future__ import annotations

import base64
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Self

import strawberry
from strawberry.file_uploads import Upload

from crm_customer.customers.inputs import CustomerFilterInput, to_filter
from crm_customer.graphql.context import Info
from crm_customer.imports import files
from crm_customer.imports.columns import ColumnSet
from crm_customer.imports.model import (
    ImportMode,
    ImportUpload,
    Job,
    JobKind,
    JobStatus,
    UpsertKey,
    texts,
)
from crm_customer.imports.reports import error_lines, error_report
from crm_customer.imports.worker import progress
from crm_kit.auth import Principal, Role
from crm_kit.errors import BadUserInput, NotFound
from crm_kit.events import utcnow

MAX_JOBS_PAGE = 100
ImportModeEnum = strawberry.enum(ImportMode, name="ImportMode")
UpsertKeyEnum = strawberry.enum(UpsertKey, name="ImportUpsertKey")
FileFormatEnum = strawberry.enum(files.FileFormat, name="CustomerFileFormat")
JobStatusEnum = strawberry.enum(JobStatus, name="CustomerJobStatus")


def may_see(principal: Principal, job: Job) -> bool:
    """A job is seen by whoever started it, and by ADMIN."""
    return job.actor == principal.sub or principal.has_role(Role.ADMIN)


async def visible_job(info: Info, job_id: str) -> Job:
    principal = info.context.principal
    job = await info.context.deps.jobs.get(job_id)
    if job is None or not may_see(principal, job):
        raise NotFound("CustomerJob", job_id)
    return job


@strawberry.type(description="A downloadable file, base64-encoded.")
class CustomerFile:
    file_name: str
    content_type: str
    size: int
    base64: str

    @classmethod
    def of(cls, name: str, fmt: files.FileFormat, data: bytes) -> Self:
        return cls(
            file_name=f"{name}.{fmt.lower()}",
            content_type=files.CONTENT_TYPES[str(fmt)],
            size=len(data),
            base64=base64.b64encode(data).decode(),
        )


@strawberry.type(description="One problem of one row (rows are numbered as in the file).")
class ImportRowError:
    row: int
    column: str = strawberry.field(description="The header as written in the file.")
    code: str
    message_zh: str
    message_en: str
    customer_id: strawberry.ID | None


@strawberry.type(description="A customer import: its progress and results.")
class CustomerImportJob:
    id: strawberry.ID
    status: JobStatusEnum  # type: ignore[valid-type]
    mode: ImportModeEnum  # type: ignore[valid-type]
    upsert_key: UpsertKeyEnum | None  # type: ignore[valid-type]
    dry_run: bool
    file_name: str
    format: FileFormatEnum  # type: ignore[valid-type]
    total_rows: int
    processed: int
    created: int
    updated: int
    skipped: int
    failed: int
    actor_id: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    job: strawberry.Private[Job]

    @classmethod
    def from_model(cls, job: Job) -> Self:
        return cls(
            id=strawberry.ID(job.id),
            status=job.status,
            mode=job.mode or ImportMode.CREATE_ONLY,
            upsert_key=job.upsert_key,
            dry_run=job.dry_run,
            file_name=job.file_name,
            format=files.FileFormat(job.format),
            total_rows=job.total,
            processed=job.counts.processed,
            created=job.counts.created,
            updated=job.counts.updated,
            skipped=job.counts.skipped,
            failed=job.counts.failed,
            actor_id=job.actor,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            job=job,
        )

    @strawberry.field(description="Problems found so far, in row order (at most `first`).")
    async def errors(self, info: Info, first: int = 100) -> list[ImportRowError]:
        results = await info.context.deps.jobs.results(self.job)
        lines = error_lines(self.job, results)[: max(0, min(first, 1000))]
        return [
            ImportRowError(
                row=line.row,
                column=line.column,
                code=line.code,
                message_zh=texts(line.code)[0],
                message_en=texts(line.code)[1],
                customer_id=strawberry.ID(line.customer_id) if line.customer_id else None,
            )
            for line in lines
        ]

    @strawberry.field(description="The per-row error report (row, column, code, zh, en).")
    async def error_report(
        self,
        info: Info,
        format: FileFormatEnum = files.FileFormat.CSV,  # type: ignore[valid-type]
    ) -> CustomerFile:
        fmt = files.FileFormat(format)
        results = await info.context.deps.jobs.results(self.job)
        data = error_report(self.job, results, fmt)
        return CustomerFile.of(f"import-{self.job.id}-errors", fmt, data)


@strawberry.type(description="A customer export.")
class CustomerExportJob:
    id: strawberry.ID
    status: JobStatusEnum  # type: ignore[valid-type]
    format: FileFormatEnum  # type: ignore[valid-type]
    includes_personal_data: bool
    row_count: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    expires_at: datetime | None
    job: strawberry.Private[Job]

    @classmethod
    def from_model(cls, job: Job) -> Self:
        return cls(
            id=strawberry.ID(job.id),
            status=job.status,
            format=files.FileFormat(job.format),
            includes_personal_data=job.include_personal,
            row_count=job.row_count,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            expires_at=job.expires_at,
            job=job,
        )

    @strawberry.field(description="The exported file once COMPLETED (until it expires).")
    async def file(self, info: Info) -> CustomerFile | None:
        data = await info.context.deps.exports.download(self.job, utcnow())
        if data is None:
            return None
        fmt = files.FileFormat(self.job.format)
        return CustomerFile.of(f"customers-{self.job.id}", fmt, data)


@strawberry.type
class ImportQuery:
    @strawberry.field(
        description="The import template: required (*) and optional columns, one per active "
        "custom field after the fixed ones; zh or en headers (both, and the API field names, "
        "are accepted on import). XLSX adds an instructions sheet: each column's API field "
        "name and what it takes (a choice field's options)."
    )
    async def customer_import_template(
        self,
        info: Info,
        format: FileFormatEnum = files.FileFormat.XLSX,  # type: ignore[valid-type]
        language: str = "zh-CN",
    ) -> CustomerFile:
        info.context.principal  # noqa: B018 - authenticated callers only
        lang = "en" if language.lower().startswith("en") else "zh"
        fmt = files.FileFormat(format)
        columns = ColumnSet.of((await info.context.deps.catalog_queries.definitions()).values())
        header = columns.template_header(lang)
        if fmt is files.FileFormat.CSV:
            data = files.to_csv([header])
        else:
            notes = "Instructions" if lang == "en" else "填写说明"
            sheets = [("customers", [header]), (notes, columns.template_notes(lang))]
            data = files.to_xlsx(sheets)
        return CustomerFile.of("customer-import-template", fmt, data)

    @strawberry.field(description="One import job (its starter's or, for ADMIN, any).")
    async def import_job(self, info: Info, id: strawberry.ID) -> CustomerImportJob:
        job = await visible_job(info, str(id))
        if job.kind is not JobKind.IMPORT:
            raise NotFound("CustomerImportJob", str(id))
        return CustomerImportJob.from_model(job)

    @strawberry.field(description="The caller's import jobs, newest first (ADMIN: everyone's).")
    async def import_jobs(
        self,
        info: Info,
        first: int = 20,
        status: JobStatusEnum | None = None,  # type: ignore[valid-type]
    ) -> list[CustomerImportJob]:
        principal = info.context.principal
        actor = None if principal.has_role(Role.ADMIN) else principal.sub
        found = await info.context.deps.jobs.of_actor(
            actor,
            JobKind.IMPORT,
            max(1, min(first, MAX_JOBS_PAGE)),
            JobStatus(status) if status else None,
        )
        return [CustomerImportJob.from_model(j) for j in found]

    @strawberry.field(description="One export job of the caller (ADMIN: any).")
    async def export_job(self, info: Info, id: strawberry.ID) -> CustomerExportJob:
        job = await visible_job(info, str(id))
        if job.kind is not JobKind.EXPORT:
            raise NotFound("CustomerExportJob", str(id))
        return CustomerExportJob.from_model(job)


@strawberry.type
class ImportMutation:
    @strawberry.mutation(
        description="Upload a CSV or XLSX file of customers (GraphQL multipart request). The "
        "rows are processed by a job like createCustomer/updateCustomer, one transaction per "
        "row; `dryRun` writes nothing; the same `idempotencyKey` and file return the same job."
    )
    async def import_customers(
        self,
        info: Info,
        *,
        file: Upload,
        mode: ImportModeEnum = ImportMode.CREATE_ONLY,  # type: ignore[valid-type]
        upsert_key: UpsertKeyEnum | None = None,  # type: ignore[valid-type]
        dry_run: bool = False,
        idempotency_key: str | None = None,
    ) -> CustomerImportJob:
        principal = info.context.principal
        deps = info.context.deps
        if idempotency_key is not None and not 1 <= len(idempotency_key) <= 200:
            raise BadUserInput.single("idempotencyKey", "TOO_LONG", "1 to 200 characters")
        name = str(getattr(file, "filename", "") or "")
        data = await _read_limited(file, deps.imports.max_bytes)
        job = await deps.imports.start(
            principal,
            ImportUpload(
                data=data,
                filename=name,
                mode=ImportMode(mode),
                upsert_key=UpsertKey(upsert_key) if upsert_key else None,
                dry_run=dry_run,
                idempotency_key=idempotency_key,
            ),
        )
        deps.worker.wake()
        return CustomerImportJob.from_model(job)

    @strawberry.mutation(
        description="Export the customers matching `filter` (the caller's scope, masked as the "
        "caller sees them) as a job, with a column per active custom field; personal data "
        "needs the export right (not ANALYST). Audited; emits customer.export_finished.v1."
    )
    async def export_customers(
        self,
        info: Info,
        filter: CustomerFilterInput | None = None,
        format: FileFormatEnum = files.FileFormat.XLSX,  # type: ignore[valid-type]
        include_personal_data: bool = True,
    ) -> CustomerExportJob:
        deps = info.context.deps
        job = await deps.exports.start(
            info.context.principal,
            to_filter(filter, info.context.principal),
            files.FileFormat(format),
            include_personal_data,
            list((await deps.catalog_queries.definitions()).values()),
        )
        deps.worker.wake()
        return CustomerExportJob.from_model(job)


async def _read_limited(file: Upload, max_bytes: int) -> bytes:
    read = getattr(file, "read", None)
    if read is None:
        raise BadUserInput.single("file", "REQUIRED", "A file upload is required")
    data = await read(max_bytes + 1)
    if not isinstance(data, bytes):
        raise BadUserInput.single("file", "REQUIRED", "A file upload is required")
    if len(data) > max_bytes:
        raise BadUserInput.single("file", "FILE_TOO_LARGE", f"At most {max_bytes} bytes")
    return data


@strawberry.type
class ImportSubscription:
    @strawberry.subscription(
        description="The import job now and after every batch, until it has finished."
    )
    async def import_job_progress(
        self, info: Info, id: strawberry.ID
    ) -> AsyncGenerator[CustomerImportJob]:
        job = await visible_job(info, str(id))
        if job.kind is not JobKind.IMPORT:
            raise NotFound("CustomerImportJob", str(id))
        deps = info.context.deps
        async for current in progress(deps.worker.hub, job.id, deps.jobs.get):
            yield CustomerImportJob.from_model(current)
