"""What a customer download link opens (`imports.routes` serves it): the import template and
an import's error report, rendered on request from what they are made of now (the kit's
`crm_kit.imports.downloads`), and an export's stored file, read part by part.

Before a job's file is read, the caller the link was made for must still see the job (its
starter, or ADMIN: `may_see`, as the GraphQL fields check): FORBIDDEN otherwise; NOT_FOUND
when the job is gone or of the other kind, or its file is no longer kept (an export past its
`expiresAt`). The template is anyone's who signed in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from crm_customer.catalog.model import FieldDefinition
from crm_customer.catalog.queries import CatalogQueries
from crm_customer.imports.columns import ColumnSet
from crm_customer.imports.export import ExportService
from crm_customer.imports.model import Job
from crm_customer.imports.queries import JobQueries
from crm_customer.imports.reports import error_report
from crm_kit.errors import Forbidden, NotFound
from crm_kit.file_links import FileLink
from crm_kit.imports import downloads, tables
from crm_kit.imports.downloads import (
    FileKind,
    OpenedFile,
    file_name,
    link_format,
    link_principal,
    rendered,
    report_stem,
)
from crm_kit.imports.model import JobKind, may_see

TEMPLATE_STEM = "customer-import-template"
TEMPLATE_SHEET = "customers"
# What the audit log names as each kind of file's target.
TARGET_TYPES: dict[str, str] = {
    FileKind.TEMPLATE: "CustomerImportTemplate",
    FileKind.ERROR_REPORT: "CustomerImportJob",
    FileKind.EXPORT: "CustomerExportJob",
}


def export_stem(job_id: str) -> str:
    return f"customers-{job_id}"


def render_template(
    definitions: Iterable[FieldDefinition], fmt: tables.FileFormat, lang: str
) -> bytes:
    """The import template: its header row (a column per active custom field after the fixed
    ones); an XLSX adds the instructions sheet."""
    return downloads.render_template(ColumnSet.of(definitions), fmt, lang, TEMPLATE_SHEET)


@dataclass(frozen=True, slots=True)
class Downloads:
    catalog: CatalogQueries
    jobs: JobQueries
    exports: ExportService

    async def open(self, link: FileLink, now: datetime) -> OpenedFile:
        """The file of a verified link of this service (FORBIDDEN, NOT_FOUND, UnusableLink)."""
        kind = FileKind(link.kind)
        if kind is FileKind.TEMPLATE:
            columns = ColumnSet.of((await self.catalog.definitions()).values())
            return downloads.template_download(columns, link, TEMPLATE_STEM, TEMPLATE_SHEET)
        if kind is FileKind.ERROR_REPORT:
            return await self._report(link, await self._job(link, JobKind.IMPORT))
        return await self._export(await self._job(link, JobKind.EXPORT), now)

    async def _job(self, link: FileLink, kind: JobKind) -> Job:
        job = await self.jobs.get(link.resource)
        if job is None or job.kind is not kind:
            raise NotFound(f"Customer{kind.title()}Job", link.resource)
        if not may_see(link_principal(link), job):
            raise Forbidden("The link's holder may not read this job")
        return job

    async def _report(self, link: FileLink, job: Job) -> OpenedFile:
        fmt = link_format(link)
        data = error_report(job, await self.jobs.results(job), fmt)
        details = {"file": FileKind.ERROR_REPORT.value, "format": str(fmt)}
        return rendered(file_name(report_stem(job.id), fmt), fmt, data, details)

    async def _export(self, job: Job, now: datetime) -> OpenedFile:
        size = await self.exports.file_size(job, now)
        if size is None:
            raise NotFound("CustomerExportJob file", job.id)
        fmt = tables.FileFormat(job.format)
        return OpenedFile(
            file_name(export_stem(job.id), fmt),
            tables.CONTENT_TYPES[str(fmt)],
            size,
            self.exports.file_chunks(job),
            {"file": FileKind.EXPORT.value, "format": str(fmt), "bytes": size},
        )
