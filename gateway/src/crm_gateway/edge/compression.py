"""Response compression (gzip, `GATEWAY_COMPRESSION`) for everything but file downloads.

A download (`edge.downloads`) is relayed as the subgraph sent it: with its Content-Length (so a
browser shows progress), chunk by chunk, and without compressing spreadsheets again (an XLSX is
a ZIP already)."""

from __future__ import annotations

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

DOWNLOADS_PREFIX = "/files/"


class Compression:
    def __init__(self, app: ASGIApp, *, minimum_size: int) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope["path"]).startswith(DOWNLOADS_PREFIX):
            await self.app(scope, receive, send)
        else:
            await self.gzip(scope, receive, send)
