"""GraphQL types of customer import and export jobs.

Files (the template, an error report, an export) are returned inside GraphQL as base64 in a
`CustomerFile`: the gateway is the only public endpoint, so a download stays behind its
authentication, rate limits and the subgraph's own access checks, with no second URL scheme
or signing key to run. The files are small (reports, templates; exports are capped).
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Self

import strawberry

from crm_customer.graphql.context import Info
from crm_customer.imports import files
from crm_customer.imports.model import ImportMode, Job, JobStatus, UpsertKey, texts
from crm_customer.imports.reports import error_lines, error_report
from crm_customer.imports.wiring import JobServices
from crm_kit.auth import Principal, Role
from crm_kit.errors import NotFound
from crm_kit.events import utcnow

ImportModeEnum = strawberry.enum(ImportMode, name="ImportMode")
UpsertKeyEnum = strawberry.enum(UpsertKey, name="ImportUpsertKey")
FileFormatEnum = strawberry.enum(files.FileFormat, name="CustomerFileFormat")
JobStatusEnum = strawberry.enum(JobStatus, name="CustomerJobStatus")


def jobs_of(info: Info) -> JobServices:
    jobs = getattr(info.context.deps, "jobs", None)
    if not isinstance(jobs, JobServices):
        raise RuntimeError("import/export jobs are not wired in this process")
    return jobs


def may_see(principal: Principal, job: Job) -> bool:
    """A job is seen by whoever started it, and by ADMIN."""
    return job.actor == principal.sub or principal.has_role(Role.ADMIN)


async def visible_job(info: Info, job_id: str) -> Job:
    principal = info.context.principal
    job = await jobs_of(info).store.get(job_id)
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
        results = await jobs_of(info).store.results(self.job)
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
        results = await jobs_of(info).store.results(self.job)
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
        data = await jobs_of(info).exporter.download(self.job, utcnow())
        if data is None:
            return None
        fmt = files.FileFormat(self.job.format)
        return CustomerFile.of(f"customers-{self.job.id}", fmt, data)
