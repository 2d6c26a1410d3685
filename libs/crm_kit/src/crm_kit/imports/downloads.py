"""A service's download links and the files they open (`routes` serves them).

A link is `/files/<service>/<token>`, relative to the gateway's origin, which forwards it to the
service's `/files/<token>`. The token (crm_kit.file_links, signed with FILE_LINK_SECRET) names
the file — an import template in a format and header language, an import's error report in a
format, an export — and the caller it was made for, with the roles their token had; it works
for FILE_LINK_TTL_SECONDS (300 unless configured). No Authorization header goes with a
download: the link is the capability, so it is only ever handed to the caller it names.

Templates and error reports are rendered on request from what they are made of now (the same
data give the same bytes: `tables.render(stable=True)`), so nothing is stored for them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from crm_kit.auth import Principal, Role
from crm_kit.file_links import BadLink, ExpiredLink, FileLink, FileLinkSigner, Verified
from crm_kit.imports import tables
from crm_kit.imports.columns import Column, ColumnTable


class FileKind(StrEnum):
    TEMPLATE = "template"  # resource "": params format, language
    ERROR_REPORT = "errors"  # resource: the import job's id; params: format
    EXPORT = "export"  # resource: the export job's id


class UnusableLink(Exception):
    """A genuine link whose parameters name no file (a format or language this version does
    not write)."""


@dataclass(frozen=True, slots=True)
class SignedUrl:
    url: str
    expires_at: datetime


class DownloadLinks:
    """Links to the `kinds` of files `service` serves."""

    def __init__(
        self, signer: FileLinkSigner, service: str, kinds: Collection[FileKind] = tuple(FileKind)
    ) -> None:
        self.signer = signer
        self.service = service
        self.prefix = f"/files/{service}/"  # the service's name at the gateway
        self._kinds = frozenset(str(k) for k in kinds)

    def sign(
        self,
        principal: Principal,
        kind: FileKind,
        resource: str = "",
        params: Mapping[str, str] | None = None,
    ) -> SignedUrl:
        """A link to a file for `principal`, from now for the configured lifetime."""
        link = self.signer.issue(
            self.service,
            str(kind),
            resource,
            principal.sub,
            params=params,
            roles=tuple(sorted(str(r) for r in principal.roles)),
        )
        return SignedUrl(self.prefix + self.signer.sign(link), link.expires)

    def verify(self, token: str) -> Verified:
        """The link of a token, a BadLink (also a genuine link of another service or of a kind
        this one does not serve) or an ExpiredLink."""
        found = self.signer.verify(token)
        link = found.link if isinstance(found, ExpiredLink) else found
        if isinstance(link, FileLink) and (
            link.service != self.service or link.kind not in self._kinds
        ):
            return BadLink("malformed")
        return found

    def for_another_feature(self, token: str) -> bool:
        """A genuine link of this service of a kind these links do not serve: another feature
        of the service serves it (the service has one `/files/{token}` route)."""
        found = self.signer.verify(token)
        link = found.link if isinstance(found, ExpiredLink) else found
        return (
            isinstance(link, FileLink)
            and link.service == self.service
            and link.kind not in self._kinds
        )


def link_principal(link: FileLink) -> Principal:
    """The caller a link was made for, with the roles they had then."""
    roles = frozenset(Role(r) for r in link.roles if r in Role.__members__)
    return Principal(link.subject, link.subject, roles, "")


@dataclass(frozen=True, slots=True)
class OpenedFile:
    name: str
    content_type: str
    size: int
    chunks: AsyncIterator[bytes]
    details: dict[str, Any]  # for the audit record: kind, format, language, size


def file_name(stem: str, fmt: tables.FileFormat) -> str:
    return f"{stem}.{fmt.lower()}"


def report_stem(job_id: str) -> str:
    return f"import-{job_id}-errors"


def header_language(tag: str) -> str:
    """`en` for a language tag starting with `en`, else `zh`."""
    return "en" if tag.lower().startswith("en") else "zh"


def link_format(link: FileLink) -> tables.FileFormat:
    """The format a link names (UnusableLink for none this version writes)."""
    try:
        return tables.FileFormat(link.params.get("format", ""))
    except ValueError as exc:
        raise UnusableLink("no such format") from exc


def link_language(link: FileLink) -> str:
    """The header language a template link names (UnusableLink for another)."""
    lang = link.params.get("language", "")
    if lang not in ("en", "zh"):
        raise UnusableLink("no such header language")
    return lang


def render_template[C: Column](
    columns: ColumnTable[C], fmt: tables.FileFormat, lang: str, sheet: str
) -> bytes:
    """An import template: its header row; an XLSX adds the instructions sheet."""
    header = columns.template_header(lang)
    if fmt is tables.FileFormat.CSV:
        return tables.to_csv([header])
    notes = "Instructions" if lang == "en" else "填写说明"
    return tables.to_xlsx([(sheet, [header]), (notes, columns.template_notes(lang))], stable=True)


async def one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


def rendered(name: str, fmt: tables.FileFormat, data: bytes, details: dict[str, Any]) -> OpenedFile:
    """A file rendered in memory, as a download."""
    content_type = tables.CONTENT_TYPES[str(fmt)]
    return OpenedFile(
        name, content_type, len(data), one_chunk(data), details | {"bytes": len(data)}
    )


def template_download[C: Column](
    columns: ColumnTable[C], link: FileLink, stem: str, sheet: str
) -> OpenedFile:
    """The template a link names (UnusableLink for a format or language of no template)."""
    fmt, lang = link_format(link), link_language(link)
    data = render_template(columns, fmt, lang, sheet)
    details = {"file": FileKind.TEMPLATE.value, "format": str(fmt), "language": lang}
    return rendered(file_name(stem, fmt), fmt, data, details)
