"""`GET /files/{service}/{token}` at the gateway (crm_gateway.edge.downloads): only a known
subgraph and a token-shaped path reach a subgraph; the subgraph's `/files/<token>` answer is
relayed with its status and headers as it arrives (a large body is never held whole); the
client's language, trace context, request id and address go along, its credentials do not."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import gw_toys
import httpx
import pytest
import pytest_asyncio
from gw_support import Gateway, Served, gateway_settings, make_token, serve, start_gateway
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from crm_dev.ports import free_port
from crm_gateway.transport.downloads import FileFetcher, FilesUnavailable, files_url

FIRST = b"a" * 200_000
TOKEN = "eyJrIjoieCJ9.c2lnbmF0dXJl"  # the shape of a token: base64url.base64url


class Files:
    """A subgraph's `/files/{token}` for the tests: `stream-*` sends FIRST, then waits for
    `release` before the rest; `gone-*` is a 410; anything else echoes the request headers."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.seen: list[dict[str, str]] = []

    async def endpoint(self, request: Request) -> Response:
        token = request.path_params["token"]
        self.seen.append(dict(request.headers))
        if token.startswith("stream-"):
            return StreamingResponse(
                self._slow(),
                media_type="text/csv; charset=utf-8",
                headers={
                    "content-disposition": "attachment; filename=\"a.csv\"; filename*=UTF-8''a.csv",
                    "cache-control": "no-store",
                    "x-content-type-options": "nosniff",
                    "content-length": str(len(FIRST) + 4),
                },
            )
        if token.startswith("gone-"):
            body = {"error": {"code": "LINK_EXPIRED", "message": "expired"}}
            return JSONResponse(body, status_code=410, headers={"cache-control": "no-store"})
        return JSONResponse({"token": token, "headers": dict(request.headers)})

    async def _slow(self) -> AsyncIterator[bytes]:
        yield FIRST
        await asyncio.wait_for(self.release.wait(), 10)
        yield b"rest"


class WithFiles:
    """A toy subgraph that also serves `/files/…`."""

    def __init__(self, graphql: ASGIApp, files: Files) -> None:
        self.graphql = graphql
        self.files = Starlette(routes=[Route("/files/{token}", files.endpoint)])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/files/"):
            await self.files(scope, receive, send)
        else:
            await self.graphql(scope, receive, send)


@pytest_asyncio.fixture(scope="module")
async def files() -> Files:
    return Files()


@pytest_asyncio.fixture(scope="module")
async def gateway(files: Files) -> AsyncIterator[Gateway]:
    served: dict[str, Served] = {}
    for name in gw_toys.SCHEMAS:
        recorder = gw_toys.Recorder()
        app = WithFiles(gw_toys.subgraph_app(name, recorder), files)
        url, port, server, task = await serve(app, lifespan="off")
        served[name] = Served(url, port, server, task, recorder)
    handle = await start_gateway(gateway_settings(served, trusted_proxy_hops=0))
    yield handle
    await handle.served.stop()
    for item in served.values():
        await item.stop()


@pytest_asyncio.fixture
async def http(gateway: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway.base, timeout=30) as client:
        yield client


def test_the_files_url_sits_beside_the_graphql_path() -> None:
    assert files_url("http://customer:4001/graphql", "a.b") == "http://customer:4001/files/a.b"
    assert files_url("https://h/api/v1/graphql?x=1", "a.b") == "https://h/api/v1/files/a.b"
    assert files_url("http://h:1", "a.b") == "http://h:1/files/a.b"


async def test_the_answer_is_relayed_as_it_arrives(http: httpx.AsyncClient, files: Files) -> None:
    files.release.clear()
    async with http.stream("GET", f"/files/products/stream-{TOKEN}") as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.headers["content-length"] == str(len(FIRST) + 4)
        assert response.headers["content-disposition"].startswith("attachment; filename=")
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "transfer-encoding" not in response.headers  # its length is known
        received = b""
        chunks = response.aiter_raw()
        while len(received) < len(FIRST):  # the subgraph has not finished: it waits for us
            received += await asyncio.wait_for(anext(chunks), 5)
        files.release.set()
        async for chunk in chunks:
            received += chunk
    assert received == FIRST + b"rest"


async def test_statuses_and_bodies_of_refusals_pass_unchanged(http: httpx.AsyncClient) -> None:
    response = await http.get(f"/files/reviews/gone-{TOKEN}", headers={"x-request-id": "r-9"})
    assert response.status_code == 410
    assert response.json() == {"error": {"code": "LINK_EXPIRED", "message": "expired"}}
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-request-id"] == "r-9"


async def test_language_trace_and_address_go_along_and_credentials_do_not(
    http: httpx.AsyncClient,
) -> None:
    sent = {
        "authorization": f"Bearer {make_token()}",
        "cookie": "session=1",
        "accept-language": "en-US,en;q=0.9",
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "tracestate": "k=v",
        "x-request-id": "dl-42",
        "x-forwarded-for": "6.6.6.6",
    }
    body: dict[str, Any] = (await http.get(f"/files/accounts/{TOKEN}", headers=sent)).json()
    assert body["token"] == TOKEN
    headers = body["headers"]
    assert "authorization" not in headers and "cookie" not in headers
    assert headers["accept-language"] == "en-US,en;q=0.9"
    # the same trace (its parent is the gateway's span when a tracer provider is installed)
    assert headers["traceparent"].split("-")[1] == sent["traceparent"].split("-")[1]
    assert headers["tracestate"] == "k=v"
    assert headers["x-request-id"] == "dl-42"
    assert headers["x-forwarded-for"] == "127.0.0.1"  # the client's own claim is not trusted


@pytest.mark.parametrize(
    "path",
    [
        f"/files/unknown/{TOKEN}",  # not a subgraph
        "/files/products/graphql",  # not a token
        "/files/products/a.b.c",
        "/files/products/..%2Fgraphql",
        "/files/products/" + "a" * 5000 + ".b",
    ],
)
async def test_only_subgraphs_and_tokens_are_forwarded(
    http: httpx.AsyncClient, files: Files, path: str
) -> None:
    seen = len(files.seen)
    response = await http.get(path)
    assert response.status_code == 404
    if "%2F" not in path:  # a decoded slash matches no route at all: Starlette's plain 404
        assert response.json() == {"error": {"code": "NOT_FOUND", "message": "No such file"}}
    assert len(files.seen) == seen


async def test_an_unreachable_subgraph_is_a_502(
    http: httpx.AsyncClient, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = f"http://127.0.0.1:{free_port()}/graphql"
    monkeypatch.setattr(gateway.runtime, "subgraph_urls", lambda: {"ghost": dead})
    response = await http.get(f"/files/ghost/{TOKEN}")
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    fetcher = FileFetcher(timeout_seconds=1)
    try:
        with pytest.raises(FilesUnavailable):
            await fetcher.open(files_url(dead, TOKEN), {})
    finally:
        await fetcher.aclose()
