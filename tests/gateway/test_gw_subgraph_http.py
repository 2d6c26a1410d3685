"""The gateway's HTTP/1.1 transport to subgraphs (`subgraph_http.HttpPool`) against a raw TCP
server: keep-alive reuse, chunked bodies, `Connection: close`, connections the server drops,
malformed answers, timeouts and header injection. Each scenario runs on asyncio's loop and on
uvloop (which `python -m crm_gateway` uses)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
import uvloop

from crm_gateway.transport.http import BadResponse, HttpPool

Answer = Callable[[bytes], bytes | None]  # request bytes -> raw response (None: hang up)


class RawServer:
    """Reads one request (headers + Content-Length body) at a time and writes `answer`."""

    def __init__(self, answer: Answer, *, idle_close: bool = False) -> None:
        self.answer = answer
        self.idle_close = idle_close  # close each connection right after answering
        self.connections = 0
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/graphql"

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                response = self.answer(request)
                if response is None:
                    break
                writer.write(response)
                await writer.drain()
                if b"connection: close" in response.lower() or self.idle_close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def ok(body: bytes, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)


def on_both_loops(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(scenario())  # type: ignore[arg-type]
    uvloop.run(scenario())  # type: ignore[arg-type]


def test_keep_alive_connection_is_reused_and_the_request_is_well_formed() -> None:
    async def scenario() -> None:
        server = RawServer(lambda _: ok(b'{"data":{"a":1}}'))
        pool = HttpPool(limit=10, keepalive_seconds=4)
        async with server as url:
            for _ in range(5):
                status, body = await pool.post(url, b'{"query":"{a}"}', {"x-a": "b"}, 5)
                assert (status, body) == (200, b'{"data":{"a":1}}')
        pool.close()
        assert server.connections == 1
        head, _, payload = server.requests[0].partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        assert lines[0] == b"POST /graphql HTTP/1.1"
        assert b"Content-Length: 15" in lines and b"x-a: b" in lines
        assert any(line.startswith(b"Host: 127.0.0.1:") for line in lines)
        assert payload == b'{"query":"{a}"}'

    on_both_loops(scenario)


def test_chunked_bodies_and_connection_close() -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'5\r\n{"dat\r\n8\r\na":null}\r\n0\r\n\r\n'
    )

    async def scenario() -> None:
        pool = HttpPool(limit=10, keepalive_seconds=4)
        server = RawServer(lambda _: chunked)
        async with server as url:
            assert await pool.post(url, b"{}", {}, 5) == (200, b'{"data":null}')
            assert await pool.post(url, b"{}", {}, 5) == (200, b'{"data":null}')
        assert server.connections == 1
        closing = RawServer(lambda _: ok(b"{}", b"Connection: close\r\n"))
        async with closing as url:
            for _ in range(3):
                assert await pool.post(url, b"{}", {}, 5) == (200, b"{}")
        pool.close()
        assert closing.connections == 3  # never reused after `Connection: close`

    on_both_loops(scenario)


def test_dropped_connections_malformed_answers_and_timeouts() -> None:
    async def scenario() -> None:
        pool = HttpPool(limit=10, keepalive_seconds=4)
        # the server hangs up without answering: a connection error (retryable upstream)
        async with RawServer(lambda _: None) as url:
            with pytest.raises(ConnectionError):
                await pool.post(url, b"{}", {}, 5)
        # an idle connection the server closed (keep-alive timeout) is not reused
        server = RawServer(lambda _: ok(b"1"), idle_close=True)
        async with server as url:
            assert await pool.post(url, b"{}", {}, 5) == (200, b"1")
            await asyncio.sleep(0.1)
            assert await pool.post(url, b"{}", {}, 5) == (200, b"1")
        assert server.connections == 2
        # not HTTP at all
        async with RawServer(lambda _: b"garbage\r\n\r\n") as url:
            with pytest.raises(BadResponse):
                await pool.post(url, b"{}", {}, 5)
        # a subgraph that never answers: TimeoutError, and the connection is not kept
        slow = RawServer(lambda _: b"")
        async with slow as url:
            with pytest.raises(TimeoutError):
                await pool.post(url, b"{}", {}, 0.2)
            slow.answer = lambda _: ok(b"late")
            assert await pool.post(url, b"{}", {}, 5) == (200, b"late")
        assert slow.connections == 2
        pool.close()

    on_both_loops(scenario)


def test_header_injection_is_refused() -> None:
    async def scenario() -> None:
        pool = HttpPool(limit=10, keepalive_seconds=4)
        server = RawServer(lambda _: ok(b"{}"))
        async with server as url:
            with pytest.raises(ValueError, match="invalid header"):
                await pool.post(url, b"{}", {"x-a": "b\r\nx-evil: 1"}, 5)
        assert server.requests == []
        pool.close()

    on_both_loops(scenario)
