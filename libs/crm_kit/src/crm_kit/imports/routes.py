"""`GET /files/{token}`: a service's downloads. Clients call the gateway's
`/files/<service>/<token>` (`downloads.DownloadLinks`), which forwards here; no Authorization
header: the signed link is the capability.

- 200: the bytes with Content-Type, Content-Length, Content-Disposition (attachment, an RFC 6266
  `filename*=UTF-8''…` and an ASCII `filename` fallback), Cache-Control: no-store and
  X-Content-Type-Options: nosniff;
- 403 `INVALID_LINK`: not a link of this service's secret (malformed, tampered, another
  service's) or one naming no file this version writes;
- 410 `LINK_EXPIRED`: a genuine link past its time;
- 404 `NOT_FOUND`: the job or its file is gone (an export past its own expiry);
- 403 `FORBIDDEN`: the caller the link was made for may not read the job.

Errors are JSON `{"error": {"code", "message"}}`, the message in the caller's language
(Accept-Language, zh-CN by default; the service's catalogue, which holds `DOWNLOAD_MESSAGES`).
Each download, and each refusal of a genuine link, is an audit record `<service>.download` (the
caller the link names, the file's kind, format and size; the outcome). Neither the token nor
the URL is logged or recorded."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import quote

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from crm_kit.audit import record_now
from crm_kit.audit.scope import current_who, operation_who
from crm_kit.errors import Forbidden, NotFound
from crm_kit.events import utcnow
from crm_kit.file_links import BadLink, ExpiredLink, FileLink
from crm_kit.graphql import new_request_id
from crm_kit.i18n import Catalog
from crm_kit.imports.downloads import DownloadLinks, OpenedFile, UnusableLink

_log = logging.getLogger("crm_kit.downloads")

INVALID_LINK, LINK_EXPIRED = "INVALID_LINK", "LINK_EXPIRED"
STATUS = {INVALID_LINK: 403, LINK_EXPIRED: 410, "NOT_FOUND": 404, "FORBIDDEN": 403}
DOWNLOAD_MESSAGES = {
    f"download.{INVALID_LINK}": (
        "下载链接无效，请重新获取",
        "This download link is not valid; get a new one",
    ),
    f"download.{LINK_EXPIRED}": (
        "下载链接已过期，请重新获取",
        "This download link has expired; get a new one",
    ),
    "download.NOT_FOUND": ("文件不存在或已过期", "The file no longer exists or has expired"),
    "download.FORBIDDEN": ("您无权下载此文件", "You may not download this file"),
}
_NEVER_STORED = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
_ATTR_CHARS = "!#$&+-.^_`|~"  # RFC 5987 attr-char besides letters and digits

# The file a verified link names, opened for the request (FORBIDDEN, NOT_FOUND, UnusableLink).
type Opener = Callable[[Request, FileLink, datetime], Awaitable[OpenedFile]]
type Endpoint = Callable[[Request], Awaitable[Response]]


def content_disposition(name: str) -> str:
    """`attachment` with the name as RFC 6266 `filename*` (UTF-8, percent-encoded) and an ASCII
    `filename` fallback for old clients (other characters, quotes and backslashes as `_`)."""
    fallback = (
        "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in name).strip()
        or "download"
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe=_ATTR_CHARS)}"


def file_response(opened: OpenedFile) -> StreamingResponse:
    headers = {
        "Content-Length": str(opened.size),
        "Content-Disposition": content_disposition(opened.name),
        **_NEVER_STORED,
    }
    return StreamingResponse(opened.chunks, media_type=opened.content_type, headers=headers)


@dataclass(frozen=True, slots=True)
class DownloadRoute:
    """The download route of `service`: its links (`links` of the running app), what a link
    opens, the audit log's target type of each kind of file, and its message catalogue.
    `others` serves the genuine links of the service's other features (their own kinds of
    file): a service has one `/files/{token}` route, so this one hands those links on."""

    service: str
    links: Callable[[Request], DownloadLinks]
    open: Opener
    target_types: Mapping[str, str]
    catalog: Catalog
    others: Endpoint | None = None

    def routes(self) -> list[Route]:
        return [Route("/files/{token}", self.download, methods=["GET"])]

    def refusal(self, code: str, status: int | None = None, text: str | None = None) -> Response:
        message = text or self.catalog.text(f"download.{code}", code)
        return Response(
            orjson.dumps({"error": {"code": code, "message": message}}),
            status_code=status or STATUS[code],
            media_type="application/json",
            headers=_NEVER_STORED,
        )

    async def download(self, request: Request) -> Response:
        """The endpoint: the file, or a JSON error (an unexpected failure is a masked 500
        with the request id, as the GraphQL errors are)."""
        try:
            return await self._serve(request)
        except Exception:
            request_id = request.headers.get("x-request-id") or new_request_id()
            _log.exception("download failed", extra={"fields": {"request_id": request_id}})
            text = self.catalog.text(
                "error.INTERNAL_SERVER_ERROR",
                f"Internal server error (request {request_id})",
                requestId=request_id,
            )
            return self.refusal("INTERNAL_SERVER_ERROR", 500, text)

    async def _serve(self, request: Request) -> Response:
        links, token = self.links(request), request.path_params["token"]
        if self.others is not None and links.for_another_feature(token):
            return await self.others(request)
        found = links.verify(token)
        if isinstance(found, BadLink):
            _log.info("download refused: bad link", extra={"fields": {"reason": found.reason}})
            return self.refusal(INVALID_LINK)
        if isinstance(found, ExpiredLink):
            return self.refusal(LINK_EXPIRED)
        try:
            opened = await self.open(request, found, utcnow())
        except UnusableLink:
            return self.refusal(INVALID_LINK)
        except (NotFound, Forbidden) as exc:
            code = str(exc.code)
            await self._audit(request, found, {"file": found.kind}, outcome=code)
            return self.refusal(code)
        await self._audit(request, found, opened.details)
        return file_response(opened)

    async def _audit(
        self, request: Request, link: FileLink, details: dict[str, Any], outcome: str = "OK"
    ) -> None:
        """The download (or its refusal) in the audit log, as done by the caller the link
        names."""
        who = replace(
            current_who(),
            actor=link.subject,
            roles=tuple(sorted(link.roles)),
            request_id=request.headers.get("x-request-id", ""),
        )
        token = operation_who.set(who)
        try:
            await record_now(
                f"{self.service}.download",
                self.target_types[link.kind],
                link.resource,
                details=details,
                outcome=outcome,
            )
        finally:
            operation_who.reset(token)
