"""GraphQL types of customer import and export: the jobs, their row errors and the files
they return, the jobs' filter, and the enums they use.

A file (the template, an error report, an export) is a `CustomerFile`: its name, type and size,
and a short-lived signed link through the gateway (`imports.links`, served by
`imports.routes`) for the caller who asked."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

import strawberry

from crm_customer.access import options
from crm_customer.graphql.context import Info
from crm_customer.i18n import EN, language_var
from crm_customer.imports.downloads import export_stem
from crm_customer.imports.model import Job, UpsertKey, texts
from crm_customer.imports.reports import error_lines, error_report
from crm_customer.staff.graphql import StaffMember, staff_member
from crm_kit.events import utcnow
from crm_kit.graphql import PageAfter, PageFirst, PageInfo, described_enum, page_info
from crm_kit.imports import tables
from crm_kit.imports.downloads import FileKind, SignedUrl, file_name, report_stem
from crm_kit.imports.graphql import service_enum
from crm_kit.imports.model import ImportMode, JobStatus
from crm_kit.imports.reports import error_page
from crm_kit.paging import page_size

ImportModeEnum = service_enum(
    ImportMode,
    "ImportMode",
    "How an import applies its rows; each row as createCustomer or updateCustomer "
    "would, in its own transaction.",
    values={
        "CREATE_ONLY": "Every row creates a customer; a row that is an exact duplicate of a "
        "stored customer fails (DUPLICATE), one of an earlier row too (DUPLICATE_IN_FILE).",
        "UPSERT": "A row whose `upsertKey` value names one stored customer updates it (of "
        "another kind: KIND_MISMATCH; several: AMBIGUOUS_KEY; an unknown id: NOT_FOUND); "
        "otherwise it creates one.",
        "SKIP_DUPLICATES": "As CREATE_ONLY, but a duplicate row is skipped "
        "(DUPLICATE_SKIPPED) rather than failed.",
    },
)
UpsertKeyEnum = described_enum(
    UpsertKey,
    name="ImportUpsertKey",
    description="The column by which an UPSERT row names its stored customer; the file must "
    "have it (`file` MISSING_COLUMNS).",
    values={
        "ID": "The id column: a customer id.",
        "PHONE": "The phones column: a customer holding its first number.",
        "EMAIL": "The emails column: a customer holding its first address.",
        "ID_CARD": "The ID-card number column.",
        "USCC": "The unified social credit code column.",
    },
)
FileFormatEnum = service_enum(
    tables.FileFormat,
    "CustomerFileFormat",
    "A spreadsheet file format.",
    values={
        "CSV": "Comma-separated values, UTF-8 (written with a BOM; read with ',', ';' or tab "
        "as the separator).",
        "XLSX": "An Excel workbook (Office Open XML); legacy .xls is not read.",
    },
)
JobStatusEnum = service_enum(
    JobStatus,
    "CustomerJobStatus",
    "Where an import or export job is.",
    values={
        "QUEUED": "Accepted, waiting for a worker.",
        "RUNNING": "Being processed.",
        "COMPLETED": "Done (an import's rows may still have failed: see its counts and errors).",
        "FAILED": "Stopped by an error before it was done.",
    },
)
# The arguments' defaults, as members of the GraphQL enums.
CSV_FORMAT, XLSX_FORMAT = FileFormatEnum("CSV"), FileFormatEnum("XLSX")
CREATE_ONLY_MODE = ImportModeEnum(ImportMode.CREATE_ONLY)
_WHEN = "(ISO 8601 date-time, UTC)"
_ROWS = "Data rows that"


@strawberry.type(
    description="A file to download: fetch `url` (a browser link or `fetch`, no Authorization "
    "header) before `expiresAt`; ask for the field again for a fresh link."
)
class CustomerFile:
    file_name: str = strawberry.field(
        description="The file name, with .csv or .xlsx (the download's Content-Disposition)."
    )
    content_type: str = strawberry.field(
        description="Its MIME type (text/csv; charset=utf-8, or the XLSX type), as downloaded."
    )
    size: int = strawberry.field(description="Its size in bytes (the download's Content-Length).")
    url: str = strawberry.field(
        description="Where to download it: a path on the gateway's origin, "
        "`/files/customer/<token>`. The signed token is the permission: it is bound to the "
        "caller who asked (re-checked on download) and short-lived (FILE_LINK_TTL_SECONDS, 300 "
        "unless configured); keep it to that caller. GET answers the bytes (attachment), 403 "
        "for a tampered link, 410 once it has expired, 404 when the file is gone."
    )
    expires_at: datetime = strawberry.field(
        description="When `url` stops working (ISO 8601 date-time, UTC): a download after it "
        "is refused with 410; an export's link ends at the latest when its file expires."
    )

    @classmethod
    def of(cls, name: str, fmt: tables.FileFormat, size: int, link: SignedUrl) -> Self:
        return cls(
            file_name=name,
            content_type=tables.CONTENT_TYPES[str(fmt)],
            size=size,
            url=link.url,
            expires_at=link.expires_at,
        )


DEFAULT_ERRORS_PAGE = 100
_ERRORS = "import-errors"  # the cursor's list: an import's problems, by row


_USE_MESSAGE = "Use message, in the caller's language (Accept-Language)."


@strawberry.type(description="One problem of one row (rows are numbered as in the file).")
class ImportRowError:
    row: int = strawberry.field(description="The row's number in the file (1: its first row).")
    column: str = strawberry.field(description="The header as written in the file.")
    code: str = strawberry.field(
        description="What is wrong: a field-error code as createCustomer gives (INVALID_PHONE, "
        "REQUIRED, …) or an import code (DUPLICATE, DUPLICATE_IN_FILE, AMBIGUOUS_KEY, "
        "NOT_FOUND, KIND_MISMATCH, INVALID_DATE, …)."
    )
    message_zh: str = strawberry.field(
        description="The problem in Chinese.", deprecation_reason=_USE_MESSAGE
    )
    message_en: str = strawberry.field(
        description="The problem in English.", deprecation_reason=_USE_MESSAGE
    )
    customer_id: strawberry.ID | None = strawberry.field(
        description="The stored customer it concerns (e.g. the one it duplicates); null: none."
    )

    @strawberry.field(description="The problem in the caller's language (Accept-Language).")
    def message(self) -> str:
        return self.message_en if language_var.get() == EN else self.message_zh


@strawberry.type(description="One problem of a page of an import's row errors.")
class ImportRowErrorEdge:
    cursor: str = strawberry.field(
        description="Opaque cursor of this problem: pass it as `after` for the problems after it."
    )
    node: ImportRowError = strawberry.field(description="The problem.")


@strawberry.type(description="A page of an import's row errors, in row order.")
class ImportRowErrorConnection:
    edges: list[ImportRowErrorEdge] = strawberry.field(
        description="The problems of this page, in row order."
    )
    page_info: PageInfo = strawberry.field(
        description="Where this page ends and whether another follows."
    )
    total_count: int = strawberry.field(description="All problems found so far, over all pages.")


@strawberry.type(
    description="A customer import: its progress and results. Seen by whoever started it, "
    "and by ADMIN."
)
class CustomerImportJob:
    id: strawberry.ID = strawberry.field(description="The job's id.")
    status: JobStatusEnum = strawberry.field(description="Where the job is.")  # type: ignore[valid-type]
    mode: ImportModeEnum = strawberry.field(description="How rows are applied.")  # type: ignore[valid-type]
    upsert_key: UpsertKeyEnum | None = strawberry.field(  # type: ignore[valid-type]
        description="UPSERT: the column rows name their customer by; null otherwise."
    )
    dry_run: bool = strawberry.field(
        description="Checked only: nothing is written; the counts say what would happen."
    )
    file_name: str = strawberry.field(
        description="The uploaded file's name (its first 200 characters)."
    )
    format: FileFormatEnum = strawberry.field(  # type: ignore[valid-type]
        description="The file's format, as read from its content."
    )
    total_rows: int = strawberry.field(description="Data rows in the file (blank rows aside).")
    processed: int = strawberry.field(description=f"{_ROWS} are done so far.")
    created: int = strawberry.field(description=f"{_ROWS} created a customer.")
    updated: int = strawberry.field(description=f"{_ROWS} updated a customer.")
    skipped: int = strawberry.field(
        description=f"{_ROWS} changed nothing (a duplicate skipped, nothing to update)."
    )
    failed: int = strawberry.field(description=f"{_ROWS} failed (see `errors`).")
    actor_id: strawberry.ID = strawberry.field(
        description="Who started it (staff id; see `actor`)."
    )
    created_at: datetime = strawberry.field(description=f"When it was accepted {_WHEN}.")
    started_at: datetime | None = strawberry.field(
        description=f"When processing started {_WHEN}; null while queued."
    )
    finished_at: datetime | None = strawberry.field(
        description=f"When it finished {_WHEN}; null until then."
    )
    job: strawberry.Private[Job]

    @classmethod
    def from_model(cls, job: Job) -> Self:
        return cls(
            id=strawberry.ID(job.id),
            status=JobStatusEnum(job.status),
            mode=ImportModeEnum(job.mode or ImportMode.CREATE_ONLY),
            upsert_key=job.upsert_key,
            dry_run=job.dry_run,
            file_name=job.file_name,
            format=FileFormatEnum(job.format),
            total_rows=job.total,
            processed=job.counts.processed,
            created=job.counts.created,
            updated=job.counts.updated,
            skipped=job.counts.skipped,
            failed=job.counts.failed,
            actor_id=strawberry.ID(job.actor),
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            job=job,
        )

    @strawberry.field(
        description="The staff member who started it (`actorId` resolved; loaded in batches); "
        "null when the id is not in the staff directory."
    )
    async def actor(self, info: Info) -> StaffMember | None:
        return await staff_member(info, self.actor_id)

    @strawberry.field(
        description="Problems found so far, in row order, paged with `first` / `after`. "
        "Errors: BAD_USER_INPUT (`first` OUT_OF_RANGE, `after` INVALID_CURSOR)."
    )
    async def errors(
        self, info: Info, first: PageFirst = DEFAULT_ERRORS_PAGE, after: PageAfter = None
    ) -> ImportRowErrorConnection:
        size = page_size(first, DEFAULT_ERRORS_PAGE, options())
        results = await info.context.deps.jobs.results(self.job)
        page = error_page(error_lines(self.job, results), size, after, _ERRORS)
        edges = [
            ImportRowErrorEdge(
                cursor=cursor,
                node=ImportRowError(
                    row=line.row,
                    column=line.column,
                    code=line.code,
                    message_zh=texts(line.code)[0],
                    message_en=texts(line.code)[1],
                    customer_id=strawberry.ID(line.record_id) if line.record_id else None,
                ),
            )
            for cursor, line in page.lines
        ]
        return ImportRowErrorConnection(
            edges=edges,
            page_info=page_info([e.cursor for e in edges], page.has_next, after is not None),
            total_count=page.total,
        )

    @strawberry.field(
        description="The per-row error report (row, column, code, zh, en) as a download link "
        "for the caller; rendered from the job's results when downloaded."
    )
    async def error_report(
        self,
        info: Info,
        format: Annotated[
            FileFormatEnum, strawberry.argument(description="The file's format; CSV by default.")  # type: ignore[valid-type]
        ] = CSV_FORMAT,
    ) -> CustomerFile:
        fmt = tables.FileFormat(format)
        deps = info.context.deps
        data = error_report(self.job, await deps.jobs.results(self.job), fmt)
        link = deps.jobs.links.sign(
            info.context.principal, FileKind.ERROR_REPORT, self.job.id, {"format": str(fmt)}
        )
        return CustomerFile.of(file_name(report_stem(self.job.id), fmt), fmt, len(data), link)


@strawberry.type(description="One job of a page of `importJobs`.")
class CustomerImportJobEdge:
    cursor: str = strawberry.field(
        description="Opaque cursor of this job: pass it as `after` for the older jobs."
    )
    node: CustomerImportJob = strawberry.field(description="The import job.")


@strawberry.type(description="A page of import jobs, newest first, paged with `first` / `after`.")
class CustomerImportJobConnection:
    edges: list[CustomerImportJobEdge] = strawberry.field(
        description="The jobs of this page, newest first."
    )
    page_info: PageInfo = strawberry.field(
        description="Where this page ends and whether older jobs follow."
    )
    total_count: int = strawberry.field(
        description="How many jobs match (the caller's, or everyone's for ADMIN, within "
        "`filter`), over all pages."
    )


@strawberry.input(description="Which import jobs `importJobs` lists: every condition given holds.")
class ImportJobFilterInput:
    statuses: list[JobStatusEnum] | None = strawberry.field(  # type: ignore[valid-type]
        default=None,
        description="Only jobs in one of these statuses; every status when omitted, null or empty.",
    )

    def job_statuses(self) -> list[JobStatus]:
        return [JobStatus(s) for s in self.statuses or []]


@strawberry.type(description="A customer export. Seen by whoever started it, and by ADMIN.")
class CustomerExportJob:
    id: strawberry.ID = strawberry.field(description="The job's id.")
    status: JobStatusEnum = strawberry.field(description="Where the job is.")  # type: ignore[valid-type]
    format: FileFormatEnum = strawberry.field(description="The file's format.")  # type: ignore[valid-type]
    includes_personal_data: bool = strawberry.field(
        description="The file has the personal data columns (masked as its requester sees them)."
    )
    row_count: int = strawberry.field(
        description="Customers in the file (at most 50,000); 0 until COMPLETED."
    )
    created_at: datetime = strawberry.field(description=f"When it was requested {_WHEN}.")
    started_at: datetime | None = strawberry.field(
        description=f"When processing started {_WHEN}; null while queued."
    )
    finished_at: datetime | None = strawberry.field(
        description=f"When it finished {_WHEN}; null until then."
    )
    expires_at: datetime | None = strawberry.field(
        description=f"Until when the file can be downloaded {_WHEN}: 24 hours after it "
        "finished; null until COMPLETED."
    )
    job: strawberry.Private[Job]

    @classmethod
    def from_model(cls, job: Job) -> Self:
        return cls(
            id=strawberry.ID(job.id),
            status=JobStatusEnum(job.status),
            format=FileFormatEnum(job.format),
            includes_personal_data=job.include_personal,
            row_count=job.row_count,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            expires_at=job.expires_at,
            job=job,
        )

    @strawberry.field(
        description="The exported file as a download link for the caller once COMPLETED; null "
        "before, and after the file expires (`expiresAt`)."
    )
    async def file(self, info: Info) -> CustomerFile | None:
        deps = info.context.deps
        size = await deps.exports.file_size(self.job, utcnow())
        if size is None:
            return None
        fmt = tables.FileFormat(self.job.format)
        link = deps.jobs.links.sign(info.context.principal, FileKind.EXPORT, self.job.id)
        if self.job.expires_at is not None and self.job.expires_at < link.expires_at:
            link = SignedUrl(link.url, self.job.expires_at)
        return CustomerFile.of(file_name(export_stem(self.job.id), fmt), fmt, size, link)
