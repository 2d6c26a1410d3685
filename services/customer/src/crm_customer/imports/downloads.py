"""What a download link opens (`imports.routes` serves it): the import template and an
import's error report, rendered on request from what they are made of now (the same data give
the same bytes: `files.render(stable=True)`), and an export's stored file, read part by part.

Before a job's file is read, the caller the link was made for must still see the job (its
starter, or ADMIN: `model.may_see`, as the GraphQL fields check): FORBIDDEN otherwise;
NOT_FOUND when the job is gone or of the other kind, or its file is no longer kept (an export
past its `expiresAt`). The template is anyone's who signed in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crm_customer.catalog.model import FieldDefinition
from crm_customer.catalog.queries import CatalogQueries
from crm_customer.imports import files
from crm_customer.imports.columns import ColumnSet
from crm_customer.imports.export import ExportService
from crm_customer.imports.links import FileKind, link_principal
from crm_customer.imports.model import Job, JobKind, may_see
from crm_customer.imports.queries import JobQueries
from crm_customer.imports.reports import error_report
from crm_kit.errors import Forbidden, NotFound
from crm_kit.file_links import FileLink

TEMPLATE_STEM = "customer-import-template"
# What the audit log names as each kind of file's target.
TARGET_TYPES = {
    FileKind.TEMPLATE: "CustomerImportTemplate",
    FileKind.ERROR_REPORT: "CustomerImportJob",
    FileKind.EXPORT: "CustomerExportJob",
}


class UnusableLink(Exception):
    """A genuine link whose parameters name no file (a format or language this version does
    not write)."""


@dataclass(frozen=True, slots=True)
class OpenedFile:
    name: str
    content_type: str
    size: int
    chunks: AsyncIterator[bytes]
    details: dict[str, Any]  # for the audit record: kind, format, language, size


def file_name(stem: str, fmt: files.FileFormat) -> str:
    return f"{stem}.{fmt.lower()}"


def report_stem(job_id: str) -> str:
    return f"import-{job_id}-errors"


def export_stem(job_id: str) -> str:
    return f"customers-{job_id}"


def header_language(tag: str) -> str:
    """`en` for a language tag starting with `en`, else `zh`."""
    return "en" if tag.lower().startswith("en") else "zh"


def render_template(
    definitions: Iterable[FieldDefinition], fmt: files.FileFormat, lang: str
) -> bytes:
    """The import template: its header row (a column per active custom field after the fixed
    ones); an XLSX adds the instructions sheet."""
    columns = ColumnSet.of(definitions)
    header = columns.template_header(lang)
    if fmt is files.FileFormat.CSV:
        return files.to_csv([header])
    notes = "Instructions" if lang == "en" else "填写说明"
    sheets = [("customers", [header]), (notes, columns.template_notes(lang))]
    return files.to_xlsx(sheets, stable=True)


async def one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _format(link: FileLink) -> files.FileFormat:
    try:
        return files.FileFormat(link.params.get("format", ""))
    except ValueError as exc:
        raise UnusableLink("no such format") from exc


@dataclass(frozen=True, slots=True)
class Downloads:
    catalog: CatalogQueries
    jobs: JobQueries
    exports: ExportService

    async def open(self, link: FileLink, now: datetime) -> OpenedFile:
        """The file of a verified link of this service (FORBIDDEN, NOT_FOUND, UnusableLink)."""
        kind = FileKind(link.kind)
        if kind is FileKind.TEMPLATE:
            return await self._template(link)
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

    async def _template(self, link: FileLink) -> OpenedFile:
        fmt = _format(link)
        lang = link.params.get("language", "")
        if lang not in ("en", "zh"):
            raise UnusableLink("no such header language")
        data = render_template((await self.catalog.definitions()).values(), fmt, lang)
        details = {"file": FileKind.TEMPLATE.value, "format": str(fmt), "language": lang}
        return _rendered(file_name(TEMPLATE_STEM, fmt), fmt, data, details)

    async def _report(self, link: FileLink, job: Job) -> OpenedFile:
        fmt = _format(link)
        data = error_report(job, await self.jobs.results(job), fmt)
        details = {"file": FileKind.ERROR_REPORT.value, "format": str(fmt)}
        return _rendered(file_name(report_stem(job.id), fmt), fmt, data, details)

    async def _export(self, job: Job, now: datetime) -> OpenedFile:
        size = await self.exports.file_size(job, now)
        if size is None:
            raise NotFound("CustomerExportJob file", job.id)
        fmt = files.FileFormat(job.format)
        return OpenedFile(
            file_name(export_stem(job.id), fmt),
            files.CONTENT_TYPES[str(fmt)],
            size,
            self.exports.file_chunks(job),
            {"file": FileKind.EXPORT.value, "format": str(fmt), "bytes": size},
        )


def _rendered(name: str, fmt: files.FileFormat, data: bytes, details: dict[str, Any]) -> OpenedFile:
    content_type = files.CONTENT_TYPES[str(fmt)]
    return OpenedFile(
        name, content_type, len(data), one_chunk(data), details | {"bytes": len(data)}
    )
