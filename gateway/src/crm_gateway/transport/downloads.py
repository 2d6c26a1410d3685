"""File downloads from subgraphs: a GET of the subgraph's `/files/<token>`, relayed as it
arrives.

Separate from the GraphQL hot path (`transport.http`, which reads whole JSON answers): a file
may be large, so the answer's body is handed on chunk by chunk, never held whole, over an
aiohttp session of its own. Connecting and each wait for the next chunk are bounded by the
subgraph timeout; the whole transfer is not (a large export on a slow link takes its time).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import aiohttp

CHUNK_BYTES = 64 * 1024
# Hop-by-hop headers (RFC 9110 7.6.1) and those the gateway's server writes itself.
_NOT_RELAYED = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "date",
        "server",
    }
)


class FilesUnavailable(Exception):
    """The subgraph did not answer (refused, lost, timed out)."""

    def __init__(self, reason: str, *, timeout: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.timeout = timeout


def files_url(graphql_url: str, token: str) -> str:
    """The subgraph's file URL: its GraphQL URL's last path segment replaced by
    `files/<token>` (`http://customer:4001/graphql` → `http://customer:4001/files/<token>`)."""
    parts = urlsplit(graphql_url)
    base = parts.path.rsplit("/", 1)[0]
    return urlunsplit(parts._replace(path=f"{base}/files/{token}", query="", fragment=""))


@dataclass(slots=True)
class FileAnswer:
    """A subgraph's answer whose body has not been read yet: iterate `body()` once (it closes
    the answer at the end or when abandoned), or `close()` it."""

    status: int
    headers: list[tuple[str, str]]
    _response: aiohttp.ClientResponse

    async def body(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_chunked(CHUNK_BYTES):
                yield chunk
        finally:
            self._response.release()

    def close(self) -> None:
        self._response.release()


class FileFetcher:
    def __init__(self, *, timeout_seconds: float, max_connections: int = 100) -> None:
        self._timeout = aiohttp.ClientTimeout(
            total=None, connect=timeout_seconds, sock_read=timeout_seconds
        )
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        """Created on first use (it belongs to the running event loop)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._max_connections, ttl_dns_cache=60),
                timeout=self._timeout,
                auto_decompress=False,  # relayed as sent, with its Content-Encoding
                skip_auto_headers=("User-Agent",),
            )
        return self._session

    async def open(self, url: str, headers: Mapping[str, str]) -> FileAnswer:
        """The answer's status and headers (hop-by-hop ones left out); FilesUnavailable when
        the subgraph cannot be reached."""
        try:
            response = await self._client().get(url, headers=dict(headers), allow_redirects=False)
        except TimeoutError as exc:
            raise FilesUnavailable("timeout", timeout=True) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise FilesUnavailable(type(exc).__name__) from exc
        relayed = [
            (name, value)
            for name, value in response.headers.items()
            if name.lower() not in _NOT_RELAYED
        ]
        return FileAnswer(response.status, relayed, response)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
