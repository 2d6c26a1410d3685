"""Import and export of customers: upload (GraphQL multipart request), jobs, progress."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.file_uploads import Upload

from crm_customer.graphql.context import Info
from crm_customer.graphql.import_types import (
    CustomerExportJob,
    CustomerFile,
    CustomerImportJob,
    FileFormatEnum,
    ImportModeEnum,
    JobStatusEnum,
    UpsertKeyEnum,
    jobs_of,
    visible_job,
)
from crm_customer.graphql.resolvers import to_filter
from crm_customer.graphql.types import CustomerFilterInput
from crm_customer.imports import files
from crm_customer.imports.columns import template_header, template_notes
from crm_customer.imports.model import ImportMode, JobKind, JobStatus, UpsertKey
from crm_customer.imports.worker import progress
from crm_kit.auth import Role
from crm_kit.errors import BadUserInput, NotFound

MAX_JOBS_PAGE = 100


@strawberry.type
class ImportQuery:
    @strawberry.field(
        description="The import template: required (*) and optional columns; zh or en headers "
        "(both are accepted on import). XLSX adds an instructions sheet."
    )
    def customer_import_template(
        self,
        info: Info,
        format: FileFormatEnum = files.FileFormat.XLSX,  # type: ignore[valid-type]
        language: str = "zh-CN",
    ) -> CustomerFile:
        info.context.principal  # noqa: B018 - authenticated callers only
        lang = "en" if language.lower().startswith("en") else "zh"
        fmt = files.FileFormat(format)
        header = template_header(lang)
        if fmt is files.FileFormat.CSV:
            data = files.to_csv([header])
        else:
            notes = "Instructions" if lang == "en" else "填写说明"
            data = files.to_xlsx([("customers", [header]), (notes, template_notes(lang))])
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
        found = await jobs_of(info).store.of_actor(
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
        jobs = jobs_of(info)
        if idempotency_key is not None and not 1 <= len(idempotency_key) <= 200:
            raise BadUserInput.single("idempotencyKey", "TOO_LONG", "1 to 200 characters")
        name = str(getattr(file, "filename", "") or "")
        data = await _read_limited(file, jobs.importer.max_bytes)
        job = await jobs.importer.start(
            principal,
            data=data,
            filename=name,
            mode=ImportMode(mode),
            upsert_key=UpsertKey(upsert_key) if upsert_key else None,
            dry_run=dry_run,
            idempotency_key=idempotency_key,
        )
        jobs.worker.wake()
        return CustomerImportJob.from_model(job)

    @strawberry.mutation(
        description="Export the customers matching `filter` (the caller's scope, masked as the "
        "caller sees them) as a job; personal data needs the export right (not ANALYST). "
        "Audited; emits customer.export_finished.v1."
    )
    async def export_customers(
        self,
        info: Info,
        filter: CustomerFilterInput | None = None,
        format: FileFormatEnum = files.FileFormat.XLSX,  # type: ignore[valid-type]
        include_personal_data: bool = True,
    ) -> CustomerExportJob:
        jobs = jobs_of(info)
        job = await jobs.exporter.start(
            info.context.principal,
            to_filter(filter or CustomerFilterInput(), info.context.principal),
            files.FileFormat(format),
            include_personal_data,
        )
        jobs.worker.wake()
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
        jobs = jobs_of(info)
        async for current in progress(jobs.hub, job.id, jobs.store.get):
            yield CustomerImportJob.from_model(current)
