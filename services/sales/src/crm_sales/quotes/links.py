"""The sales service's download links (pure): `/files/sales/<token>`, relative to the gateway's
origin, which forwards it to this service's `/files/<token>` (`quotes.routes`).

A token (`crm_kit.file_links`, signed with FILE_LINK_SECRET) names one quote, the format
(PDF or XLSX) and the caller it was made for, with the roles and team their token had (the
download checks that caller's access again); it works for FILE_LINK_TTL_SECONDS (300 unless
configured). No Authorization header goes with a download: the link is the capability, so it
is only ever handed to the caller it names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crm_kit.auth import Principal, Role
from crm_kit.file_links import BadLink, ExpiredLink, FileLink, FileLinkSigner, Verified
from crm_sales.quotes.documents import DocumentFormat

SERVICE = "sales"  # the subgraph's name at the gateway: the second segment of the path
PREFIX = f"/files/{SERVICE}/"
QUOTE_FILE = "quote"  # the link's kind; its resource is the quote's id


@dataclass(frozen=True, slots=True)
class SignedUrl:
    url: str
    expires_at: datetime


class QuoteLinks:
    def __init__(self, signer: FileLinkSigner) -> None:
        self.signer = signer

    def sign(self, principal: Principal, quote_id: str, fmt: DocumentFormat) -> SignedUrl:
        """A link to the quote's document for `principal`, from now for the configured
        lifetime."""
        link = self.signer.issue(
            SERVICE,
            QUOTE_FILE,
            quote_id,
            principal.sub,
            params={"format": str(fmt), "team": principal.team},
            roles=tuple(sorted(str(r) for r in principal.roles)),
        )
        return SignedUrl(PREFIX + self.signer.sign(link), link.expires)

    def verify(self, token: str) -> Verified:
        """The link of a token, a BadLink (also a genuine link of another service or of a kind
        or format this one does not serve) or an ExpiredLink."""
        found = self.signer.verify(token)
        link = found.link if isinstance(found, ExpiredLink) else found
        if isinstance(link, FileLink) and not _ours(link):
            return BadLink("malformed")
        return found


def _ours(link: FileLink) -> bool:
    formats = {str(f) for f in DocumentFormat}
    return (
        link.service == SERVICE and link.kind == QUOTE_FILE and link.params.get("format") in formats
    )


def link_format(link: FileLink) -> DocumentFormat:
    return DocumentFormat(link.params["format"])


def link_principal(link: FileLink) -> Principal:
    """The caller a link was made for, with the roles and team they had then."""
    roles = frozenset(Role(r) for r in link.roles if r in Role.__members__)
    return Principal(link.subject, link.subject, roles, link.params.get("team", ""))
