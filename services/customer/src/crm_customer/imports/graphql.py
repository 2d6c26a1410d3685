"""GraphQL of customer import and export: upload (GraphQL multipart request), jobs, progress.

Files (the template, an error report, an export) are `CustomerFile`s: name, type, size and a
short-lived link signed for the caller (`imports.links`), which the browser fetches from the
gateway's `/files/customer/<token>` without an Authorization header; this service answers it
(`imports.routes`) after checking the signature, the expiry and the caller's access again. So
no file travels inside a GraphQL response, and an export streams however large it is.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from strawberry.file_uploads import Upload

from crm_customer import access
from crm_customer.customers.arguments import Filter
from crm_customer.customers.list_inputs import to_filter
from crm_customer.graphql.context import Info
from crm_customer.imports.downloads import TEMPLATE_STEM, render_template
from crm_customer.imports.model import Job, UpsertKey
from crm_customer.imports.types import (
    CREATE_ONLY_MODE,
    XLSX_FORMAT,
    CustomerExportJob,
    CustomerFile,
    CustomerImportJob,
    CustomerImportJobConnection,
    CustomerImportJobEdge,
    FileFormatEnum,
    ImportJobFilterInput,
    ImportModeEnum,
    UpsertKeyEnum,
)
from crm_kit.auth import Role
from crm_kit.errors import NotFound
from crm_kit.graphql import PageAfter, PageFirst, page_info
from crm_kit.imports import tables
from crm_kit.imports.downloads import FileKind, file_name, header_language
from crm_kit.imports.graphql import check_upload_key, read_upload, upload_name
from crm_kit.imports.model import ImportMode, ImportUpload, JobKind, may_see
from crm_kit.imports.worker import progress
from crm_kit.paging import Keyset, decode_cursor, encode_cursor, page_size

_JOBS = "import-jobs"  # the cursor's list: import jobs, newest first
JobId = Annotated[strawberry.ID, strawberry.argument(description="The job's id.")]
_UNSEEN = "NOT_FOUND (also for another's job, unless ADMIN)"


async def visible_job(info: Info, job_id: str) -> Job:
    principal = info.context.principal
    job = await info.context.deps.jobs.get(job_id)
    if job is None or not may_see(principal, job):
        raise NotFound("CustomerJob", job_id)
    return job


@strawberry.type
class ImportQuery:
    @strawberry.field(
        description="The import template as a download link for the caller: required (*) and "
        "optional columns, one per active custom field after the fixed ones; zh or en headers "
        "(both, and the API field names, are accepted on import). XLSX adds an instructions "
        "sheet: each column's API field name and what it takes (a choice field's options)."
    )
    async def customer_import_template(
        self,
        info: Info,
        format: Annotated[
            FileFormatEnum, strawberry.argument(description="The file's format; XLSX by default.")  # type: ignore[valid-type]
        ] = XLSX_FORMAT,
        language: Annotated[
            str,
            strawberry.argument(
                description="The headers' language: English for a tag starting with `en`, else "
                "Chinese (default zh-CN)."
            ),
        ] = "zh-CN",
    ) -> CustomerFile:
        principal = info.context.principal  # authenticated callers only
        lang = header_language(language)
        fmt = tables.FileFormat(format)
        definitions = (await info.context.deps.catalog_queries.definitions()).values()
        size = len(render_template(definitions, fmt, lang))  # as the download will render it
        link = info.context.deps.jobs.links.sign(
            principal, FileKind.TEMPLATE, params={"format": str(fmt), "language": lang}
        )
        return CustomerFile.of(file_name(TEMPLATE_STEM, fmt), fmt, size, link)

    @strawberry.field(
        description="One import job (its starter's or, for ADMIN, any). Errors: " + _UNSEEN + "."
    )
    async def import_job(self, info: Info, id: JobId) -> CustomerImportJob | None:
        job = await visible_job(info, str(id))
        if job.kind is not JobKind.IMPORT:
            raise NotFound("CustomerImportJob", str(id))
        return CustomerImportJob.from_model(job)

    @strawberry.field(
        description="The caller's import jobs, newest first (ADMIN: everyone's), within "
        "`filter`. Errors: BAD_USER_INPUT (`first` OUT_OF_RANGE, `after` INVALID_CURSOR)."
    )
    async def import_jobs(
        self,
        info: Info,
        filter: Annotated[
            ImportJobFilterInput | None,
            strawberry.argument(description="Which jobs; every job of the caller when omitted."),
        ] = None,
        first: PageFirst = 20,
        after: PageAfter = None,
    ) -> CustomerImportJobConnection:
        principal = info.context.principal
        actor = None if principal.has_role(Role.ADMIN) else principal.sub
        size = page_size(first, 20, access.options())
        position = None if after is None else decode_cursor(after, order=_JOBS)
        found, total = await info.context.deps.jobs.page_of_actor(
            actor,
            JobKind.IMPORT,
            size + 1,
            filter.job_statuses() if filter is not None else [],
            position,
        )
        edges = [
            CustomerImportJobEdge(
                cursor=encode_cursor(Keyset(j.created_at, j.id), _JOBS),
                node=CustomerImportJob.from_model(j),
            )
            for j in found[:size]
        ]
        return CustomerImportJobConnection(
            edges=edges,
            page_info=page_info([e.cursor for e in edges], len(found) > size, after is not None),
            total_count=total,
        )

    @strawberry.field(
        description="One export job of the caller (ADMIN: any). Errors: " + _UNSEEN + "."
    )
    async def export_job(self, info: Info, id: JobId) -> CustomerExportJob | None:
        job = await visible_job(info, str(id))
        if job.kind is not JobKind.EXPORT:
            raise NotFound("CustomerExportJob", str(id))
        return CustomerExportJob.from_model(job)


@strawberry.type
class ImportMutation:
    @strawberry.mutation(
        description="Upload a CSV or XLSX file of customers (GraphQL multipart request). The "
        "rows are processed by a job like createCustomer/updateCustomer, one transaction per "
        "row; `dryRun` writes nothing; the same `idempotencyKey` and file return the same job. "
        "ADMIN, MANAGER, SALES; rows follow the caller's rights. Row problems are in the job's "
        "`errors`. Errors: BAD_USER_INPUT (`file` REQUIRED, FILE_TOO_LARGE, "
        "UNSUPPORTED_FILE_TYPE, EMPTY_FILE, TOO_MANY_ROWS, TOO_MANY_COLUMNS, MISSING_COLUMNS, "
        "UNKNOWN_COLUMNS; `upsertKey` REQUIRED; `idempotencyKey` TOO_LONG), CONFLICT (the "
        "`idempotencyKey` was used for another file), FORBIDDEN."
    )
    async def import_customers(
        self,
        info: Info,
        *,
        file: Annotated[
            Upload,
            strawberry.argument(
                description="The CSV or XLSX file, as a multipart part: at most UPLOAD_MAX_BYTES "
                "(10 MB unless configured), CUSTOMER_IMPORT_MAX_ROWS data rows (50,000 unless "
                "configured) and 256 columns; its header row as the template's."
            ),
        ],
        mode: Annotated[
            ImportModeEnum,  # type: ignore[valid-type]
            strawberry.argument(description="How rows are applied; CREATE_ONLY by default."),
        ] = CREATE_ONLY_MODE,
        upsert_key: Annotated[
            UpsertKeyEnum | None,  # type: ignore[valid-type]
            strawberry.argument(description="Required with UPSERT; ignored otherwise."),
        ] = None,
        dry_run: Annotated[
            bool,
            strawberry.argument(
                description="Check every row and count what would happen; write nothing."
            ),
        ] = False,
        idempotency_key: Annotated[
            str | None,
            strawberry.argument(
                description="1–200 characters: the same key with the same file returns the "
                "first job."
            ),
        ] = None,
    ) -> CustomerImportJob:
        principal = info.context.principal
        deps = info.context.deps
        check_upload_key(idempotency_key)
        name = upload_name(file)
        data = await read_upload(file, deps.imports.max_bytes)
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
        "needs the export right (not ANALYST). Audited; emits customer.export_finished.v1. "
        "At most 50,000 rows. Errors: BAD_USER_INPUT (the filter's field errors), FORBIDDEN."
    )
    async def export_customers(
        self,
        info: Info,
        filter: Filter = None,
        format: Annotated[
            FileFormatEnum, strawberry.argument(description="The file's format; XLSX by default.")  # type: ignore[valid-type]
        ] = XLSX_FORMAT,
        include_personal_data: Annotated[
            bool,
            strawberry.argument(
                description="With the personal data columns (default true): needs the EXPORT "
                "right (ADMIN; MANAGER, SALES within their scope); without them the LIST right "
                "suffices."
            ),
        ] = True,
    ) -> CustomerExportJob:
        deps = info.context.deps
        job = await deps.exports.start(
            info.context.principal,
            to_filter(filter, info.context.principal),
            tables.FileFormat(format),
            include_personal_data,
            list((await deps.catalog_queries.definitions()).values()),
        )
        deps.worker.wake()
        return CustomerExportJob.from_model(job)


@strawberry.type(
    description="The CRM's live updates (WebSocket, graphql-transport-ws): the gateway "
    "composes every service's into one Subscription."
)
class ImportSubscription:
    @strawberry.subscription(
        description="The import job now and after every batch, until it has finished. Errors: "
        + _UNSEEN
        + "."
    )
    async def import_job_progress(self, info: Info, id: JobId) -> AsyncGenerator[CustomerImportJob]:
        job = await visible_job(info, str(id))
        if job.kind is not JobKind.IMPORT:
            raise NotFound("CustomerImportJob", str(id))
        deps = info.context.deps
        async for current in progress(deps.worker.hub, job.id, deps.jobs.get):
            yield CustomerImportJob.from_model(current)
