"""The hot path to subgraphs: JSON POSTs over keep-alive HTTP/1.1 connections.

One asyncio Protocol per connection with httptools' C response parser (the parser uvicorn
uses) and a pool of idle connections per origin. Measured against aiohttp on the same
subgraph: 0.19 instead of 0.61 ms of gateway CPU per request, most of the difference being
aiohttp's per-request objects and event-loop callbacks. Multipart uploads and readiness probes
still go through aiohttp (`transport.client`).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

import httptools

_SKIPPED = frozenset({"host", "content-length", "connection", "transfer-encoding"})


class BadResponse(Exception):
    """The subgraph's answer is not valid HTTP."""


class ConnectionClosed(ConnectionError):
    """The connection closed before the whole response arrived."""


@dataclass(frozen=True, slots=True)
class _Origin:
    host: str
    port: int
    tls: bool
    path: bytes
    authority: bytes  # the Host header


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.body: list[bytes] = []
        self.closed = False
        self.reusable = False
        self.idle_since = 0.0

    # ---- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # (uvloop's transports are not `asyncio.Transport` instances but have its methods)
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(BadResponse(str(exc)))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(ConnectionClosed("the subgraph closed the connection"))

    # ---- httptools callbacks
    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        status = self.parser.get_status_code()
        self.reusable = self.parser.should_keep_alive()
        payload = b"".join(self.body)
        self.body = []
        self.parser = httptools.HttpResponseParser(self)
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((status, payload))
        else:  # an answer nobody asked for: this connection cannot be trusted any more
            self.close()

    # ----
    def _fail(self, exc: Exception) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        assert self.transport is not None
        self.reusable = False
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        try:
            return await self.waiter
        finally:
            self.waiter = None

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()


class HttpPool:
    """Keep-alive connections per origin; at most `limit` requests in flight at once."""

    def __init__(self, *, limit: int, keepalive_seconds: float) -> None:
        self._limit = limit
        self._keepalive = keepalive_seconds
        self._idle: dict[_Origin, list[_Connection]] = {}
        self._origins: dict[str, _Origin] = {}
        self._slots: asyncio.Semaphore | None = None
        self._tls: ssl.SSLContext | None = None

    def _origin(self, url: str) -> _Origin:
        origin = self._origins.get(url)
        if origin is None:
            parts = urlsplit(url)
            tls = parts.scheme == "https"
            host = parts.hostname or "localhost"
            port = parts.port or (443 if tls else 80)
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            origin = self._origins[url] = _Origin(
                host, port, tls, path.encode("ascii"), parts.netloc.encode("idna")
            )
        return origin

    async def post(
        self, url: str, body: bytes, headers: dict[str, str], timeout: float
    ) -> tuple[int, bytes]:
        """POST `body`; the status and the whole response body. Raises TimeoutError,
        ConnectionError/OSError (could not connect, connection lost) or BadResponse."""
        origin = self._origin(url)
        request = _head(origin, len(body), headers) + body
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._limit)
        async with asyncio.timeout(timeout), self._slots:  # the wait for a slot counts too
            connection = await self._acquire(origin)
            try:
                status, payload = await connection.exchange(request)
            except BaseException:
                connection.close()
                raise
        if connection.reusable and not connection.closed:
            connection.idle_since = time.monotonic()
            self._idle.setdefault(origin, []).append(connection)
        else:
            connection.close()
        return status, payload

    async def _acquire(self, origin: _Origin) -> _Connection:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            connection = idle.pop()
            if not connection.closed and now - connection.idle_since < self._keepalive:
                return connection
            connection.close()
        tls: ssl.SSLContext | None = None
        if origin.tls:
            tls = self._tls = self._tls or ssl.create_default_context()
        loop = asyncio.get_running_loop()
        _, connection = await loop.create_connection(_Connection, origin.host, origin.port, ssl=tls)
        return connection

    def close(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()


def _head(origin: _Origin, length: int, headers: dict[str, str]) -> bytes:
    lines = [
        b"POST " + origin.path + b" HTTP/1.1",
        b"Host: " + origin.authority,
        b"Content-Length: " + str(length).encode(),
    ]
    for name, value in headers.items():
        if name.lower() in _SKIPPED:
            continue
        if "\r" in name or "\n" in name or ":" in name or "\r" in value or "\n" in value:
            raise ValueError(f"invalid header {name!r}")
        lines.append(name.encode("latin-1") + b": " + value.encode("latin-1"))
    return b"\r\n".join(lines) + b"\r\n\r\n"
