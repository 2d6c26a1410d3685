"""The customer service's download links (pure): `/files/customer/<token>`, relative to the
gateway's origin, which forwards it to this service's `/files/<token>` (`imports.routes`).

A token (crm_kit.file_links, signed with FILE_LINK_SECRET) names the file — the import
template in a format and header language, an import's error report in a format, an export —
and the caller it was made for, with the roles their token had; it works for
FILE_LINK_TTL_SECONDS (300 unless configured). No Authorization header goes with a download:
the link is the capability, so it is only ever handed to the caller it names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from crm_kit.auth import Principal, Role
from crm_kit.file_links import BadLink, ExpiredLink, FileLink, FileLinkSigner, Verified

SERVICE = "customer"  # the subgraph's name at the gateway: the second segment of the path
PREFIX = f"/files/{SERVICE}/"


class FileKind(StrEnum):
    TEMPLATE = "template"  # resource "": params format, language
    ERROR_REPORT = "errors"  # resource: the import job's id; params: format
    EXPORT = "export"  # resource: the export job's id


_KINDS = frozenset(str(k) for k in FileKind)


@dataclass(frozen=True, slots=True)
class SignedUrl:
    url: str
    expires_at: datetime


class DownloadLinks:
    def __init__(self, signer: FileLinkSigner) -> None:
        self.signer = signer

    def sign(
        self,
        principal: Principal,
        kind: FileKind,
        resource: str = "",
        params: Mapping[str, str] | None = None,
    ) -> SignedUrl:
        """A link to a file for `principal`, from now for the configured lifetime."""
        link = self.signer.issue(
            SERVICE,
            str(kind),
            resource,
            principal.sub,
            params=params,
            roles=tuple(sorted(str(r) for r in principal.roles)),
        )
        return SignedUrl(PREFIX + self.signer.sign(link), link.expires)

    def verify(self, token: str) -> Verified:
        """The link of a token, a BadLink (also a genuine link of another service or of a kind
        this one does not serve) or an ExpiredLink."""
        found = self.signer.verify(token)
        link = found.link if isinstance(found, ExpiredLink) else found
        if isinstance(link, FileLink) and (link.service != SERVICE or link.kind not in _KINDS):
            return BadLink("malformed")
        return found


def link_principal(link: FileLink) -> Principal:
    """The caller a link was made for, with the roles they had then."""
    roles = frozenset(Role(r) for r in link.roles if r in Role.__members__)
    return Principal(link.subject, link.subject, roles, "")
