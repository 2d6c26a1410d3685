"""The sales service's downloads: `/files/sales/<token>` at the gateway, forwarded to this
service's `/files/<token>` (the kit's `DownloadRoute`: statuses, headers, refusals and the
`sales.download` audit record). A link opens the opportunity import template or an import's
error report, both rendered when downloaded (`crm_kit.imports.downloads`).

Before a report is rendered, the caller the link was made for must still see the job (its
starter, or ADMIN: `may_see`, as `opportunityImportJob` checks): FORBIDDEN otherwise, NOT_FOUND
when the job is gone. A template link is made only for whoever may import
(`opportunityImportTemplate`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from starlette.requests import Request
from starlette.routing import Route

from crm_kit.errors import Forbidden, NotFound
from crm_kit.file_links import FileLink, FileLinkSigner
from crm_kit.i18n import Catalog
from crm_kit.imports import downloads, tables
from crm_kit.imports.downloads import (
    DownloadLinks,
    FileKind,
    OpenedFile,
    file_name,
    link_format,
    link_principal,
    rendered,
    report_stem,
)
from crm_kit.imports.model import may_see
from crm_kit.imports.reports import error_lines, error_report
from crm_kit.imports.routes import DOWNLOAD_MESSAGES, DownloadRoute, Endpoint
from crm_sales.imports.columns import TABLE, header_of
from crm_sales.imports.model import texts
from crm_sales.imports.queries import ImportJobQueries

SERVICE = "sales"  # the subgraph's name at the gateway: the second segment of the path
TEMPLATE_STEM = "opportunity-import-template"
TEMPLATE_SHEET = "opportunities"
# What the audit log names as each kind of file's target.
TARGET_TYPES: dict[str, str] = {
    FileKind.TEMPLATE: "OpportunityImportTemplate",
    FileKind.ERROR_REPORT: "OpportunityImportJob",
}


def download_links(signer: FileLinkSigner) -> DownloadLinks:
    return DownloadLinks(signer, SERVICE, (FileKind.TEMPLATE, FileKind.ERROR_REPORT))


def render_template(fmt: tables.FileFormat, lang: str) -> bytes:
    return downloads.render_template(TABLE, fmt, lang, TEMPLATE_SHEET)


async def open_file(jobs: ImportJobQueries, link: FileLink) -> OpenedFile:
    """The file of a verified link of this service (FORBIDDEN, NOT_FOUND, UnusableLink)."""
    if FileKind(link.kind) is FileKind.TEMPLATE:
        return downloads.template_download(TABLE, link, TEMPLATE_STEM, TEMPLATE_SHEET)
    job = await jobs.get(link.resource)
    if job is None:
        raise NotFound("OpportunityImportJob", link.resource)
    if not may_see(link_principal(link), job):
        raise Forbidden("The link's holder may not read this job")
    fmt = link_format(link)
    data = error_report(error_lines(job, await jobs.results(job), header_of), fmt, texts)
    details = {"file": FileKind.ERROR_REPORT.value, "format": str(fmt)}
    return rendered(file_name(report_stem(job.id), fmt), fmt, data, details)


def download_routes(
    jobs_of: Callable[[Request], ImportJobQueries], catalog: Catalog, others: Endpoint | None
) -> list[Route]:
    """`GET /files/{token}`; `jobs_of` finds the running app's job queries; `others` serves
    the service's other links (a quote's documents)."""
    catalog.register(DOWNLOAD_MESSAGES)

    def links(request: Request) -> DownloadLinks:
        return jobs_of(request).links

    async def opened(request: Request, link: FileLink, now: datetime) -> OpenedFile:
        return await open_file(jobs_of(request), link)

    return DownloadRoute(SERVICE, links, opened, TARGET_TYPES, catalog, others).routes()
