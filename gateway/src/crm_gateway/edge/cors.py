"""Cross-origin browser access (CORS): which origins may call `/graphql` from a web page, and
the request headers a preflight may announce.

`GATEWAY_CORS_ORIGINS` lists origins (`https://app.example.com`) or patterns in which `*`
stands for one port or one host label (`http://localhost:*`, `https://*.example.com`); a lone
`*` admits every origin. Credentials (cookies) are never allowed: the gateway authenticates by
the `Authorization` header only, never by ambient credentials such as cookies, so a page on
another origin cannot make a user's browser send a request as that user, uploads
(`multipart/form-data`) included; the gateway therefore needs no CSRF header of its own and
merely admits, in preflights, the ones Apollo clients send for Apollo Server's CSRF prevention.
"""

from __future__ import annotations

import re

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

ALLOWED_HEADERS = (
    "authorization",
    "content-type",
    "accept",
    "accept-language",
    "x-request-id",
    "traceparent",
    "tracestate",
    "apollographql-client-name",
    "apollographql-client-version",
    # what Apollo clients send so that Apollo Server's CSRF prevention admits uploads and GETs
    "apollo-require-preflight",
    "x-apollo-operation-name",
    "x-gateway-debug",
)
EXPOSED_HEADERS = ("x-request-id", "retry-after", "www-authenticate", "server-timing")
ANY_ORIGIN = "*"
# what `*` in an origin pattern matches: a port number or a single DNS label, never a dot,
# slash or colon (so `https://*.example.com` does not admit `https://evil.com#.example.com`)
_WILDCARD = "[A-Za-z0-9-]+"


def origin_pattern(origins: tuple[str, ...]) -> str | None:
    """One regular expression for the patterns among `origins` (None when there are none)."""
    patterns = [o for o in origins if "*" in o and o != ANY_ORIGIN]
    if not patterns:
        return None
    return "|".join(_WILDCARD.join(re.escape(part) for part in o.split("*")) for o in patterns)


def cors_middleware(origins: tuple[str, ...], client_id_header: str) -> Middleware | None:
    """The CORS middleware for `origins` (None: no cross-origin access at all)."""
    if not origins:
        return None
    exact = [o for o in origins if "*" not in o]
    return Middleware(
        CORSMiddleware,
        allow_origins=[ANY_ORIGIN] if ANY_ORIGIN in origins else exact,
        allow_origin_regex=origin_pattern(origins),
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=[*ALLOWED_HEADERS, client_id_header],
        expose_headers=list(EXPOSED_HEADERS),
        max_age=600,
    )
