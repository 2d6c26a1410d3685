"""`GET /files/{token}`: the sales service's downloads, a quote as PDF or XLSX. Clients call
the gateway's `/files/sales/<token>` (`quotes.links`), which forwards here; no Authorization
header: the signed link is the capability.

- 200: the bytes with Content-Type, Content-Length, Content-Disposition (attachment, an RFC 6266
  `filename*=UTF-8''…` and an ASCII `filename` fallback), Cache-Control: no-store and
  X-Content-Type-Options: nosniff;
- 403 `INVALID_LINK`: not a link of this service's secret (malformed, tampered, another
  service's or kind);
- 410 `LINK_EXPIRED`: a genuine link past its time;
- 404 `NOT_FOUND`: the quote or its opportunity is gone;
- 403 `FORBIDDEN`: the caller the link was made for may no longer read the quote;
- 503 `PDF_FONT_MISSING`: the PDF's font is not installed (the XLSX still works).

Errors are JSON `{"error": {"code", "message"}}`, the message in the caller's language
(Accept-Language, zh-CN by default). Each download, and each refusal of a genuine link, is an
audit record `quote.download` (the caller the link names, the quote's number, version, format
and size; the outcome). Neither the token nor the URL is logged or recorded."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any
from urllib.parse import quote as percent_encoded

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crm_kit.audit import record_now
from crm_kit.audit.scope import current_who, operation_who
from crm_kit.errors import Forbidden, NotFound
from crm_kit.file_links import BadLink, ExpiredLink, FileLink
from crm_kit.graphql import new_request_id
from crm_sales.graphql.context import Features
from crm_sales.i18n import CATALOG
from crm_sales.quotes.downloads import OpenedQuote
from crm_sales.quotes.pdf import PdfFontMissing

_log = logging.getLogger("crm_sales.quotes.downloads")

INVALID_LINK, LINK_EXPIRED, FONT_MISSING = "INVALID_LINK", "LINK_EXPIRED", "PDF_FONT_MISSING"
STATUS = {
    INVALID_LINK: 403,
    LINK_EXPIRED: 410,
    "NOT_FOUND": 404,
    "FORBIDDEN": 403,
    FONT_MISSING: 503,
}
_KEYS = {FONT_MISSING: "quote.PDF_FONT_MISSING"}
_NEVER_STORED = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
_ATTR_CHARS = "!#$&+-.^_`|~"  # RFC 5987 attr-char besides letters and digits


def content_disposition(name: str) -> str:
    """`attachment` with the name as RFC 6266 `filename*` (UTF-8, percent-encoded) and an ASCII
    `filename` fallback for old clients (other characters, quotes and backslashes as `_`)."""
    fallback = "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in name).strip()
    encoded = percent_encoded(name, safe=_ATTR_CHARS)
    return f"attachment; filename=\"{fallback or 'quote'}\"; filename*=UTF-8''{encoded}"


def refusal(code: str, status: int | None = None, text: str | None = None) -> Response:
    key = _KEYS.get(code, f"quote.download.{code}")
    body = {"error": {"code": code, "message": text or CATALOG.text(key, code)}}
    return Response(
        orjson.dumps(body),
        status_code=status or STATUS[code],
        media_type="application/json",
        headers=_NEVER_STORED,
    )


def file_response(opened: OpenedQuote) -> Response:
    headers = {"Content-Disposition": content_disposition(opened.name), **_NEVER_STORED}
    return Response(opened.data, media_type=opened.content_type, headers=headers)


async def _audit(
    request: Request, link: FileLink, details: dict[str, Any], outcome: str = "OK"
) -> None:
    """The download (or its refusal) in the audit log, as done by the caller the link names."""
    who = replace(
        current_who(),
        actor=link.subject,
        roles=tuple(sorted(link.roles)),
        request_id=request.headers.get("x-request-id", ""),
    )
    token = operation_who.set(who)
    try:
        await record_now("quote.download", "Quote", link.resource, details=details, outcome=outcome)
    finally:
        operation_who.reset(token)


async def _serve(request: Request, deps: Features) -> Response:
    found = deps.quote_files.links.verify(request.path_params["token"])
    if isinstance(found, BadLink):
        _log.info("download refused: bad link", extra={"fields": {"reason": found.reason}})
        return refusal(INVALID_LINK)
    if isinstance(found, ExpiredLink):
        return refusal(LINK_EXPIRED)
    asked = {"format": found.params.get("format", "")}
    try:
        opened = await deps.quote_files.open(found)
    except (NotFound, Forbidden) as exc:
        code = str(exc.code)
        await _audit(request, found, asked, outcome=code)
        return refusal(code)
    except PdfFontMissing:
        await _audit(request, found, asked, outcome=FONT_MISSING)
        return refusal(FONT_MISSING)
    await _audit(request, found, opened.details)
    return file_response(opened)


async def download(request: Request) -> Response:
    """The route's endpoint: the file, or a JSON error (an unexpected failure is a masked 500
    with the request id, as the GraphQL errors are)."""
    deps: Features = request.app.state.deps
    try:
        return await _serve(request, deps)
    except Exception:
        request_id = request.headers.get("x-request-id") or new_request_id()
        _log.exception("download failed", extra={"fields": {"request_id": request_id}})
        text = CATALOG.text(
            "error.INTERNAL_SERVER_ERROR",
            f"Internal server error (request {request_id})",
            requestId=request_id,
        )
        return refusal("INTERNAL_SERVER_ERROR", 500, text)


ROUTES = [Route("/files/{token}", download, methods=["GET"])]
