"""GraphQL types of opportunity imports: the job, its row errors, the files it returns, the jobs'
filter, and the enums they use (the service's own copies of the kit's enums:
`crm_kit.imports.graphql.service_enum`).

A file (the template, an error report) is an `OpportunityImportFile`: its name, type and size,
and a short-lived signed link through the gateway (`/files/sales/<token>`, served by
`imports.downloads`) for the caller who asked."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

import strawberry

from crm_kit.graphql import PageAfter, PageFirst, PageInfo, described_enum, page_info
from crm_kit.i18n import EN, language_var
from crm_kit.imports import tables
from crm_kit.imports.downloads import FileKind, SignedUrl, file_name, report_stem
from crm_kit.imports.graphql import service_enum
from crm_kit.imports.model import ImportMode, JobStatus
from crm_kit.imports.reports import error_lines, error_page, error_report
from crm_kit.paging import page_size
from crm_sales import access
from crm_sales.graphql.context import Info
from crm_sales.graphql.refs import StaffEntity, staff_ref
from crm_sales.imports.columns import header_of
from crm_sales.imports.model import OpportunityImportJob as ImportJob
from crm_sales.imports.model import UpsertKey, texts

ImportModeEnum = service_enum(
    ImportMode,
    "OpportunityImportMode",
    "How an opportunity import applies its rows; each row as createOpportunity (or "
    "updateOpportunity / moveOpportunity) would, in its own transaction.",
    {
        "CREATE_ONLY": "Every row creates an opportunity; a row whose external key was "
        "imported before fails (DUPLICATE), one repeating an earlier row too "
        "(DUPLICATE_IN_FILE).",
        "UPSERT": "A row whose `upsertKey` value names a deal updates it (another customer: "
        "CUSTOMER_MISMATCH, another pipeline: PIPELINE_MISMATCH, an unknown id: NOT_FOUND; a "
        "new stage moves it through that stage's gate; nothing to change: SKIPPED); otherwise "
        "it creates one.",
        "SKIP_DUPLICATES": "As CREATE_ONLY, but a row whose external key was imported before "
        "is skipped (DUPLICATE_SKIPPED) rather than failed.",
    },
)
UpsertKeyEnum = described_enum(
    UpsertKey,
    name="OpportunityImportUpsertKey",
    description="The column by which an UPSERT row names its deal; the file must have it "
    "(`file` MISSING_COLUMNS).",
    values={
        "ID": "The opportunity id column (商机ID).",
        "EXTERNAL_KEY": "The external key column (外部编号): the deal an earlier import "
        "created with that key.",
    },
)
FileFormatEnum = service_enum(
    tables.FileFormat,
    "OpportunityImportFileFormat",
    "A spreadsheet file format.",
    {
        "CSV": "Comma-separated values, UTF-8 (written with a BOM; read with ',', ';' or tab "
        "as the separator; GB18030 is read too).",
        "XLSX": "An Excel workbook (Office Open XML); legacy .xls is not read.",
    },
)
JobStatusEnum = service_enum(
    JobStatus,
    "OpportunityImportJobStatus",
    "Where an opportunity import job is.",
    {
        "QUEUED": "Accepted, waiting for a worker.",
        "RUNNING": "Being processed.",
        "COMPLETED": "Done (rows may still have failed: see its counts and errors).",
        "FAILED": "Stopped by an error before it was done.",
    },
)
# The arguments' defaults, as members of the GraphQL enums.
CSV_FORMAT, XLSX_FORMAT = FileFormatEnum("CSV"), FileFormatEnum("XLSX")
CREATE_ONLY_MODE = ImportModeEnum(ImportMode.CREATE_ONLY)
DEFAULT_ERRORS_PAGE = 100
_ERRORS = "opportunity-import-errors"  # the cursor's list: an import's problems, by row
_WHEN = "(ISO 8601 date-time, UTC)"
_ROWS = "Data rows that"


@strawberry.type(
    description="A file to download: fetch `url` (a browser link or `fetch`, no Authorization "
    "header) before `expiresAt`; ask for the field again for a fresh link."
)
class OpportunityImportFile:
    file_name: str = strawberry.field(
        description="The file name, with .csv or .xlsx (the download's Content-Disposition)."
    )
    content_type: str = strawberry.field(
        description="Its MIME type (text/csv; charset=utf-8, or the XLSX type), as downloaded."
    )
    size: int = strawberry.field(description="Its size in bytes (the download's Content-Length).")
    url: str = strawberry.field(
        description="Where to download it: a path on the gateway's origin, "
        "`/files/sales/<token>`. The signed token is the permission: it is bound to the caller "
        "who asked (re-checked on download) and short-lived (FILE_LINK_TTL_SECONDS, 300 unless "
        "configured); keep it to that caller. GET answers the bytes (attachment), 403 for a "
        "tampered link, 410 once it has expired, 404 when the job is gone."
    )
    expires_at: datetime = strawberry.field(
        description=f"When `url` stops working {_WHEN}: a download after it is refused with 410."
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


@strawberry.type(description="One problem of one row (rows are numbered as in the file).")
class OpportunityImportRowError:
    row: int = strawberry.field(description="The row's number in the file (1: its first row).")
    column: str = strawberry.field(
        description="The header as written in the file; a field the file has no column for "
        "(one the stage requires, such as `lineItems`) by its API name."
    )
    code: str = strawberry.field(
        description="What is wrong: a field-error code as createOpportunity gives (REQUIRED "
        "for a field the stage gate asks for, INVALID_CURRENCY, INVALID, PRECISION, "
        "UNKNOWN_CUSTOMER, UNKNOWN_STAGE, FORBIDDEN, …) or an import code (DUPLICATE, "
        "DUPLICATE_IN_FILE, DUPLICATE_SKIPPED, AMBIGUOUS_NAME, NOT_FOUND, CUSTOMER_MISMATCH, "
        "PIPELINE_MISMATCH, STALE, INVALID_DATE)."
    )
    opportunity_id: strawberry.ID | None = strawberry.field(
        description="The deal it concerns (the one an external key was imported as); null: none."
    )

    @strawberry.field(description="The problem in the caller's language (Accept-Language).")
    def message(self) -> str:
        zh, en = texts(self.code)
        return en if language_var.get() == EN else zh


@strawberry.type(description="One problem of a page of an opportunity import's row errors.")
class OpportunityImportRowErrorEdge:
    cursor: str = strawberry.field(
        description="Opaque cursor of this problem: pass it as `after` for the problems after it."
    )
    node: OpportunityImportRowError = strawberry.field(description="The problem.")


@strawberry.type(description="A page of an opportunity import's row errors, in row order.")
class OpportunityImportRowErrorConnection:
    edges: list[OpportunityImportRowErrorEdge] = strawberry.field(
        description="The problems of this page, in row order."
    )
    page_info: PageInfo = strawberry.field(
        description="Where this page ends and whether another follows."
    )
    total_count: int = strawberry.field(description="All problems found so far, over all pages.")


@strawberry.type(
    description="An opportunity import: its progress and results. Seen by whoever started it, "
    "and by ADMIN."
)
class OpportunityImportJob:
    id: strawberry.ID = strawberry.field(description="The job's id.")
    status: JobStatusEnum = strawberry.field(description="Where the job is.")  # type: ignore[valid-type]
    mode: ImportModeEnum = strawberry.field(description="How rows are applied.")  # type: ignore[valid-type]
    upsert_key: UpsertKeyEnum | None = strawberry.field(  # type: ignore[valid-type]
        description="UPSERT: the column rows name their deal by; null otherwise."
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
    created: int = strawberry.field(description=f"{_ROWS} created an opportunity.")
    updated: int = strawberry.field(description=f"{_ROWS} updated an opportunity.")
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
    job: strawberry.Private[ImportJob]

    @classmethod
    def from_model(cls, job: ImportJob) -> Self:
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
        description="The staff member who started it (resolved by the customer subgraph)."
    )
    def actor(self) -> StaffEntity | None:
        return staff_ref(str(self.actor_id))

    @strawberry.field(
        description="Problems found so far, in row order, paged with `first` / `after`. "
        "Errors: BAD_USER_INPUT (`first` OUT_OF_RANGE, `after` INVALID_CURSOR)."
    )
    async def errors(
        self, info: Info, first: PageFirst = DEFAULT_ERRORS_PAGE, after: PageAfter = None
    ) -> OpportunityImportRowErrorConnection:
        size = page_size(first, DEFAULT_ERRORS_PAGE, access.options())
        results = await info.context.deps.imports.jobs.results(self.job)
        page = error_page(error_lines(self.job, results, header_of), size, after, _ERRORS)
        edges = [
            OpportunityImportRowErrorEdge(
                cursor=cursor,
                node=OpportunityImportRowError(
                    row=line.row,
                    column=line.column,
                    code=line.code,
                    opportunity_id=strawberry.ID(line.record_id) if line.record_id else None,
                ),
            )
            for cursor, line in page.lines
        ]
        return OpportunityImportRowErrorConnection(
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
            FileFormatEnum,  # type: ignore[valid-type]
            strawberry.argument(description="The file's format; CSV by default."),
        ] = CSV_FORMAT,
    ) -> OpportunityImportFile:
        fmt = tables.FileFormat(format)
        imports = info.context.deps.imports
        lines = error_lines(self.job, await imports.jobs.results(self.job), header_of)
        size = len(error_report(lines, fmt, texts))  # as the download will render it
        link = imports.jobs.links.sign(
            info.context.principal, FileKind.ERROR_REPORT, self.job.id, {"format": str(fmt)}
        )
        return OpportunityImportFile.of(file_name(report_stem(self.job.id), fmt), fmt, size, link)


@strawberry.type(description="One job of a page of `opportunityImportJobs`.")
class OpportunityImportJobEdge:
    cursor: str = strawberry.field(
        description="Opaque cursor of this job: pass it as `after` for the older jobs."
    )
    node: OpportunityImportJob = strawberry.field(description="The import job.")


@strawberry.type(description="A page of opportunity import jobs, newest first.")
class OpportunityImportJobConnection:
    edges: list[OpportunityImportJobEdge] = strawberry.field(
        description="The jobs of this page, newest first."
    )
    page_info: PageInfo = strawberry.field(
        description="Where this page ends and whether older jobs follow."
    )
    total_count: int = strawberry.field(
        description="How many jobs match (the caller's, or everyone's for ADMIN, within "
        "`filter`), over all pages."
    )


@strawberry.input(
    description="Which jobs `opportunityImportJobs` lists: every condition given holds."
)
class OpportunityImportJobFilterInput:
    statuses: list[JobStatusEnum] | None = strawberry.field(  # type: ignore[valid-type]
        default=None,
        description="Only jobs in one of these statuses; every status when omitted, null or empty.",
    )

    def job_statuses(self) -> list[JobStatus]:
        return [JobStatus(s) for s in self.statuses or []]
