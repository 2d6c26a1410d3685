"""The safelist read from an Apollo persisted query manifest (the file
`@apollo/generate-persisted-query-manifest` and `rover persisted-queries generate` write):
listed operations run by their manifest id or as their text, over HTTP and WebSocket; anything
else is refused with FORBIDDEN before a subgraph sees it."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from gw_support import Gateway, Served, gateway_settings, gql, start_gateway
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from crm_gateway.edge.persisted import PersistedQueries, PersistedQueryError, load_manifest

ME = "query Me { me { id } }"
ME_ID = hashlib.sha256(ME.encode()).hexdigest()  # the generator's default id
# a manifest generated with `createOperationId` carries ids that are not body hashes
PRODUCTS = "query TopProducts($n: Int) { topProducts(first: $n) { upc } }"
PRODUCTS_ID = "web@TopProducts:3"
LIVE = "subscription Live($upc: String!) { reviewAdded(upc: $upc, count: 1) { id } }"
UNLISTED = "query Unlisted { me { id name } }"


def sha(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def manifest(*operations: dict[str, str], **top: Any) -> dict[str, Any]:
    return {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        **top,
        "operations": list(operations),
    }


def operation(body: str, name: str, kind: str = "query", id: str | None = None) -> dict[str, str]:
    return {"id": id or sha(body), "name": name, "type": kind, "body": body}


def by_id(operation_id: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": operation_id}}


def write(path: Path, content: Any) -> str:
    path.write_bytes(orjson.dumps(content))
    return str(path)


# ---- reading the manifest -----------------------------------------------------------------


def test_apollo_manifest_lists_operations_by_id_and_by_body_hash(tmp_path: Path) -> None:
    listed = load_manifest(
        write(
            tmp_path / "persisted-query-manifest.json",
            manifest(
                operation(ME, "Me"),
                operation(PRODUCTS, "TopProducts", id=PRODUCTS_ID),
                operation(LIVE, "Live", "subscription"),
            ),
        )
    )
    assert listed == {sha(ME): ME, PRODUCTS_ID: PRODUCTS, sha(PRODUCTS): PRODUCTS, sha(LIVE): LIVE}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ({"format": "relay-persisted-queries", "operations": []}, "unknown manifest format"),
        (manifest(version=2), "unsupported manifest version"),
        (manifest({"id": "x", "name": "X", "type": "query"}), "needs a string 'body'"),
        (manifest(operation(ME, "Me", "fragment")), "unknown type"),
        (manifest(operation(ME, "Me", id="a"), operation(UNLISTED, "U", id="a")), "two different"),
    ],
)
def test_malformed_manifests_are_refused_at_start(
    tmp_path: Path, content: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        load_manifest(write(tmp_path / "manifest.json", content))


def test_the_other_safelist_formats_still_load(tmp_path: Path) -> None:
    expected = {sha(ME): ME, sha(UNLISTED): UNLISTED}
    assert load_manifest(write(tmp_path / "list.json", [ME, UNLISTED])) == expected
    assert load_manifest(write(tmp_path / "map.json", {"a": ME, "b": UNLISTED})) == expected
    bare = {"operations": [{"body": ME}, {"body": UNLISTED}]}  # no format, no ids
    assert load_manifest(write(tmp_path / "bare.json", bare)) == expected


def test_a_custom_id_sent_with_its_text_is_accepted() -> None:
    persisted = PersistedQueries(safelist={PRODUCTS_ID: PRODUCTS, sha(PRODUCTS): PRODUCTS})
    assert persisted.resolve(PRODUCTS, by_id(PRODUCTS_ID)) == PRODUCTS
    with pytest.raises(PersistedQueryError) as mismatch:
        persisted.resolve(ME, by_id(PRODUCTS_ID))
    assert mismatch.value.error["extensions"]["code"] == "BAD_REQUEST"


# ---- a gateway enforcing the safelist ------------------------------------------------------


@pytest.fixture(scope="module")
async def safelisted(
    subgraphs: dict[str, Served], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Gateway]:
    path = tmp_path_factory.mktemp("safelist") / "persisted-query-manifest.json"
    content = manifest(
        operation(ME, "Me"),
        operation(PRODUCTS, "TopProducts", id=PRODUCTS_ID),
        operation(LIVE, "Live", "subscription"),
    )
    handle = await start_gateway(gateway_settings(subgraphs, safelist_file=write(path, content)))
    yield handle
    await handle.served.stop()


@pytest.fixture
async def http(safelisted: Gateway, token: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=safelisted.base, headers={"authorization": f"Bearer {token}"}, timeout=30
    ) as client:
        yield client


def code_of(result: dict[str, Any]) -> str:
    return str(result["errors"][0]["extensions"]["code"])


async def run_by_id(
    http: httpx.AsyncClient, operation_id: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    body = {"extensions": by_id(operation_id), "variables": variables or {}}
    result: dict[str, Any] = (await http.post("/graphql", json=body)).json()
    return result


async def test_listed_operations_run_by_id_and_as_text(http: httpx.AsyncClient) -> None:
    assert await run_by_id(http, sha(ME)) == {"data": {"me": {"id": "u1"}}}
    two = {"data": {"topProducts": [{"upc": "p1"}, {"upc": "p2"}]}}
    assert await run_by_id(http, PRODUCTS_ID, {"n": 2}) == two
    assert await run_by_id(http, sha(PRODUCTS), {"n": 2}) == two  # its body hash works too
    got = await http.get("/graphql", params={"extensions": orjson.dumps(by_id(ME_ID)).decode()})
    assert got.json() == {"data": {"me": {"id": "u1"}}}
    assert (await gql(http, ME))["data"] == {"me": {"id": "u1"}}


async def test_unlisted_operations_are_refused(
    http: httpx.AsyncClient, subgraphs: dict[str, Served]
) -> None:
    assert code_of(await gql(http, UNLISTED)) == "FORBIDDEN"
    assert code_of(await run_by_id(http, sha(UNLISTED))) == "FORBIDDEN"
    # manifest ids are compared as written: the same id in other letters is another id
    assert code_of(await run_by_id(http, PRODUCTS_ID.upper())) == "FORBIDDEN"
    # the text of a listed operation changed by one character is not listed
    assert code_of(await gql(http, ME.replace("{ id }", "{ id  }"))) == "FORBIDDEN"
    assert all(not served.recorder.requests for served in subgraphs.values())


# ---- the same safelist over graphql-transport-ws -------------------------------------------


async def ws_messages(
    gateway: Gateway, token: str, payload: dict[str, Any]
) -> list[dict[str, Any]]:
    """The messages of one operation sent over the socket, up to `complete` or `error`."""
    url = gateway.base.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
        await send(ws, {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        assert (await receive(ws))["type"] == "connection_ack"
        await send(ws, {"id": "1", "type": "subscribe", "payload": payload})
        messages = [await receive(ws)]
        while messages[-1]["type"] == "next":
            messages.append(await receive(ws))
        return messages


async def send(ws: ClientConnection, message: dict[str, Any]) -> None:
    await ws.send(orjson.dumps(message).decode())


async def receive(ws: ClientConnection) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
        if message["type"] != "ping":
            return message


async def test_the_safelist_applies_over_websocket(safelisted: Gateway, token: str) -> None:
    listed = await ws_messages(
        safelisted, token, {"extensions": by_id(sha(LIVE)), "variables": {"upc": "p3"}}
    )
    assert [m["type"] for m in listed] == ["next", "complete"]
    assert listed[0]["payload"] == {"data": {"reviewAdded": {"id": "p3-live0"}}}
    unlisted_subscription = 'subscription { reviewAdded(upc: "p3", count: 1) { id body } }'
    for payload in ({"query": unlisted_subscription}, {"query": UNLISTED}):
        refused = await ws_messages(safelisted, token, payload)
        assert [m["type"] for m in refused] == ["error"]
        assert refused[0]["payload"][0]["extensions"]["code"] == "FORBIDDEN"
