"""GraphQL of opportunity imports: the template, the upload (GraphQL multipart request) and the
jobs. The shape is the customer import's (`importCustomers`, `importJob`, `importJobs`,
`customerImportTemplate`), named for opportunities; progress is read by polling
`opportunityImportJob` (the counters move after every batch).

Files (the template, an error report) are `OpportunityImportFile`s with a short-lived link
signed for the caller, which the browser fetches from the gateway's `/files/sales/<token>`
without an Authorization header (`imports.downloads`)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.file_uploads import Upload

from crm_kit.auth import Role
from crm_kit.errors import NotFound
from crm_kit.graphql import PageAfter, PageFirst, page_info
from crm_kit.imports import tables
from crm_kit.imports.downloads import FileKind, file_name, header_language
from crm_kit.imports.graphql import check_upload_key, read_upload, upload_name
from crm_kit.imports.model import ImportMode, ImportUpload, JobKind, may_see
from crm_kit.paging import Keyset, decode_cursor, encode_cursor, page_size
from crm_sales import access
from crm_sales.graphql.context import Info
from crm_sales.imports.downloads import TEMPLATE_STEM, render_template
from crm_sales.imports.model import OpportunityImportJob as ImportJob
from crm_sales.imports.model import UpsertKey
from crm_sales.imports.types import (
    CREATE_ONLY_MODE,
    XLSX_FORMAT,
    FileFormatEnum,
    ImportModeEnum,
    OpportunityImportFile,
    OpportunityImportJob,
    OpportunityImportJobConnection,
    OpportunityImportJobEdge,
    OpportunityImportJobFilterInput,
    UpsertKeyEnum,
)

_JOBS = "opportunity-import-jobs"  # the cursor's list: import jobs, newest first
JobId = Annotated[strawberry.ID, strawberry.argument(description="The job's id.")]
_UNSEEN = "NOT_FOUND (also for another's job, unless ADMIN)"


async def visible_job(info: Info, job_id: str) -> ImportJob:
    job = await info.context.deps.imports.jobs.get(job_id)
    if job is None or job.kind is not JobKind.IMPORT or not may_see(info.context.principal, job):
        raise NotFound("OpportunityImportJob", job_id)
    return job


@strawberry.type
class ImportQuery:
    @strawberry.field(
        description="The opportunity import template as a download link for the caller: "
        "required (*) and optional columns; zh or en headers (both, the column keys and the API "
        "field names are accepted on import). XLSX adds an instructions sheet: each column's "
        "key and what it takes. Roles that may import (ADMIN, MANAGER, SALES); others: "
        "FORBIDDEN."
    )
    async def opportunity_import_template(
        self,
        info: Info,
        format: Annotated[
            FileFormatEnum,  # type: ignore[valid-type]
            strawberry.argument(description="The file's format; XLSX by default."),
        ] = XLSX_FORMAT,
        language: Annotated[
            str,
            strawberry.argument(
                description="The headers' language: English for a tag starting with `en`, else "
                "Chinese (default zh-CN)."
            ),
        ] = "zh-CN",
    ) -> OpportunityImportFile:
        principal = info.context.principal
        access.require_creator(principal)  # who may import may have the template
        lang, fmt = header_language(language), tables.FileFormat(format)
        size = len(render_template(fmt, lang))  # as the download will render it
        link = info.context.deps.imports.jobs.links.sign(
            principal, FileKind.TEMPLATE, params={"format": str(fmt), "language": lang}
        )
        return OpportunityImportFile.of(file_name(TEMPLATE_STEM, fmt), fmt, size, link)

    @strawberry.field(
        description="One opportunity import job (its starter's or, for ADMIN, any). Errors: "
        + _UNSEEN
        + "."
    )
    async def opportunity_import_job(self, info: Info, id: JobId) -> OpportunityImportJob | None:
        return OpportunityImportJob.from_model(await visible_job(info, str(id)))

    @strawberry.field(
        description="The caller's opportunity import jobs, newest first (ADMIN: everyone's), "
        "within `filter`. Errors: BAD_USER_INPUT (`first` OUT_OF_RANGE, `after` "
        "INVALID_CURSOR)."
    )
    async def opportunity_import_jobs(
        self,
        info: Info,
        filter: Annotated[
            OpportunityImportJobFilterInput | None,
            strawberry.argument(description="Which jobs; every job of the caller when omitted."),
        ] = None,
        first: PageFirst = 20,
        after: PageAfter = None,
    ) -> OpportunityImportJobConnection:
        principal = info.context.principal
        actor = None if principal.has_role(Role.ADMIN) else principal.sub
        size = page_size(first, 20, access.options())
        position = None if after is None else decode_cursor(after, order=_JOBS)
        statuses = filter.job_statuses() if filter is not None else []
        found, total = await info.context.deps.imports.jobs.page_of_actor(
            actor, JobKind.IMPORT, size + 1, statuses, position
        )
        edges = [
            OpportunityImportJobEdge(
                cursor=encode_cursor(Keyset(j.created_at, j.id), _JOBS),
                node=OpportunityImportJob.from_model(j),
            )
            for j in found[:size]
        ]
        return OpportunityImportJobConnection(
            edges=edges,
            page_info=page_info([e.cursor for e in edges], len(found) > size, after is not None),
            total_count=total,
        )


@strawberry.type
class ImportMutation:
    @strawberry.mutation(
        description="Upload a CSV or XLSX file of opportunities (GraphQL multipart request). "
        "Each row is processed by a job as createOpportunity would take it (the customer's and "
        "the caller's access, money and dates, the stage gate of its stage: a row whose stage "
        "requires fields it lacks fails with a REQUIRED error in each such column), one "
        "transaction per row; with UPSERT as updateOpportunity / moveOpportunity. `dryRun` "
        "writes nothing; the same `idempotencyKey` and file return the same job; an external "
        "key is imported once. ADMIN, MANAGER (their team's deals), SALES (their own). Row "
        "problems are in the job's `errors`. Errors: BAD_USER_INPUT (`file` REQUIRED, "
        "FILE_TOO_LARGE, UNSUPPORTED_FILE_TYPE, EMPTY_FILE, TOO_MANY_ROWS, TOO_MANY_COLUMNS, "
        "MISSING_COLUMNS, UNKNOWN_COLUMNS, REPEATED_COLUMNS; `upsertKey` REQUIRED; "
        "`idempotencyKey` TOO_LONG), CONFLICT (the `idempotencyKey` was used for another file), "
        "FORBIDDEN."
    )
    async def import_opportunities(
        self,
        info: Info,
        *,
        file: Annotated[
            Upload,
            strawberry.argument(
                description="The CSV or XLSX file, as a multipart part: at most UPLOAD_MAX_BYTES "
                "(10 MB unless configured), SALES_IMPORT_MAX_ROWS data rows (50,000 unless "
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
                description="Check every row as the real run would and count what would "
                "happen; write nothing."
            ),
        ] = False,
        idempotency_key: Annotated[
            str | None,
            strawberry.argument(
                description="1–200 characters: the same key with the same file returns the "
                "first job."
            ),
        ] = None,
    ) -> OpportunityImportJob:
        imports = info.context.deps.imports
        check_upload_key(idempotency_key)
        data = await read_upload(file, imports.service.max_bytes)
        job = await imports.service.start(
            info.context.principal,
            ImportUpload(
                data=data,
                filename=upload_name(file),
                mode=ImportMode(mode),
                upsert_key=UpsertKey(upsert_key) if upsert_key else None,
                dry_run=dry_run,
                idempotency_key=idempotency_key,
            ),
        )
        imports.worker.wake()
        return OpportunityImportJob.from_model(job)
