"""Subscriptions through the gateway: graphql-transport-ws from a real WebSocket client, routed
to the toy subgraph that owns the root field, entity fields resolved per event."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import gw_toys
import httpx
import orjson
import pytest
from gw_support import Gateway, Served, gateway_settings, gql, make_token, start_gateway
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

PROTOCOL = [Subprotocol("graphql-transport-ws")]

REVIEW_ADDED = """
subscription Live($upc: String!, $count: Int!) {
  reviewAdded(upc: $upc, count: $count) {
    id
    body
    author { id username name }
  }
}
"""


def ws_url(gateway: Gateway) -> str:
    return gateway.base.replace("http://", "ws://") + "/graphql"


async def send(ws: ClientConnection, message: dict[str, Any]) -> None:
    await ws.send(orjson.dumps(message).decode())


async def receive(ws: ClientConnection, *, skip_pings: bool = True) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
        if not (skip_pings and message["type"] == "ping"):
            return message


@asynccontextmanager
async def connected(
    gateway: Gateway, authorization: str | None = None
) -> AsyncIterator[ClientConnection]:
    async with connect(ws_url(gateway), subprotocols=PROTOCOL) as ws:
        init: dict[str, Any] = {"type": "connection_init"}
        if authorization is not None:
            init["payload"] = {"Authorization": authorization}
        await send(ws, init)
        assert await receive(ws) == {"type": "connection_ack"}
        yield ws


async def close_code(ws: ClientConnection) -> int | None:
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), 5)
    return closed.value.rcvd.code if closed.value.rcvd else None


async def test_subscription_events_are_completed_with_entity_fields(
    gateway: Gateway, token: str, subgraphs: dict[str, Served]
) -> None:
    async with connected(gateway, f"Bearer {token}") as ws:
        await send(
            ws,
            {
                "id": "s1",
                "type": "subscribe",
                "payload": {"query": REVIEW_ADDED, "variables": {"upc": "p7", "count": 3}},
            },
        )
        events = [await receive(ws) for _ in range(3)]
        assert await receive(ws) == {"id": "s1", "type": "complete"}
    assert [e["type"] for e in events] == ["next"] * 3
    reviews = [e["payload"]["data"]["reviewAdded"] for e in events]
    assert [r["id"] for r in reviews] == ["p7-live0", "p7-live1", "p7-live2"]
    # `username` is provided by the reviews subgraph, `name` only exists in accounts: one
    # `_entities` request to accounts per event
    assert reviews[1]["author"] == {"id": "u1", "username": "provided-u1", "name": "Name u1"}
    assert all("errors" not in e["payload"] for e in events)
    accounts_calls = subgraphs["accounts"].recorder.entity_calls
    assert len(accounts_calls) == 3
    assert accounts_calls[0]["variables"]["representations"] == [{"__typename": "User", "id": "u0"}]


async def test_token_from_connection_init_is_verified_and_forwarded(
    gateway: Gateway, token: str
) -> None:
    async with connected(gateway, f"Bearer {token}") as ws:
        query = "subscription { seenAuthorization }"
        await send(ws, {"id": "a", "type": "subscribe", "payload": {"query": query}})
        event = await receive(ws)
        assert event["payload"]["data"] == {"seenAuthorization": f"Bearer {token}"}
        assert await receive(ws) == {"id": "a", "type": "complete"}


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-jwt", "Basic abc"])
async def test_connection_without_a_valid_token_is_closed_4403(
    gateway: Gateway, authorization: str | None
) -> None:
    async with connect(ws_url(gateway), subprotocols=PROTOCOL) as ws:
        init: dict[str, Any] = {"type": "connection_init"}
        if authorization:
            init["payload"] = {"Authorization": authorization}
        await send(ws, init)
        assert await close_code(ws) == 4403


async def test_expired_token_is_refused(gateway: Gateway) -> None:
    expired = make_token(ttl_seconds=-3600)
    async with connect(ws_url(gateway), subprotocols=PROTOCOL) as ws:
        await send(
            ws, {"type": "connection_init", "payload": {"Authorization": f"Bearer {expired}"}}
        )
        assert await close_code(ws) == 4403


async def test_protocol_violations_close_with_their_codes(gateway: Gateway, token: str) -> None:
    async with connect(ws_url(gateway), subprotocols=PROTOCOL) as ws:
        await send(ws, {"id": "x", "type": "subscribe", "payload": {"query": "{ me { id } }"}})
        assert await close_code(ws) == 4401  # subscribe before connection_init
    async with connected(gateway, f"Bearer {token}") as ws:
        await send(ws, {"type": "connection_init"})
        assert await close_code(ws) == 4429
    async with connected(gateway, f"Bearer {token}") as ws:
        subscribe = {
            "id": "dup",
            "type": "subscribe",
            "payload": {"query": REVIEW_ADDED, "variables": {"upc": "p1", "count": -1}},
        }
        await send(ws, subscribe)
        await send(ws, subscribe)
        assert await close_code(ws) == 4409


async def test_client_complete_stops_the_upstream_subscription(
    gateway: Gateway, token: str
) -> None:
    async with connected(gateway, f"Bearer {token}") as ws:
        variables = {"upc": "p2", "count": -1}
        payload = {"query": REVIEW_ADDED, "variables": variables}
        await send(ws, {"id": "inf", "type": "subscribe", "payload": payload})
        first = await receive(ws)
        assert first["payload"]["data"]["reviewAdded"]["id"] == "p2-live0"
        assert gw_toys.LIVE_STREAMS["open"] == 1
        await send(ws, {"id": "inf", "type": "complete"})
        for _ in range(200):
            if gw_toys.LIVE_STREAMS["open"] == 0:
                break
            await asyncio.sleep(0.02)
        assert gw_toys.LIVE_STREAMS["open"] == 0
        # the connection stays usable: ping / pong
        await send(ws, {"type": "ping"})
        message = await receive(ws)
        while message["type"] == "next":  # events already in flight when complete was sent
            message = await receive(ws)
        assert message == {"type": "pong"}


async def test_queries_and_invalid_operations_over_the_socket(gateway: Gateway, token: str) -> None:
    async with connected(gateway, f"Bearer {token}") as ws:
        await send(ws, {"id": "q", "type": "subscribe", "payload": {"query": "{ me { id name } }"}})
        assert await receive(ws) == {
            "id": "q",
            "type": "next",
            "payload": {"data": {"me": {"id": "u1", "name": "Name u1"}}},
        }
        assert await receive(ws) == {"id": "q", "type": "complete"}
        bad = "subscription { reviewAdded(upc: 1) { nope } }"
        await send(ws, {"id": "bad", "type": "subscribe", "payload": {"query": bad}})
        error = await receive(ws)
        assert error["type"] == "error" and error["id"] == "bad"
        assert {e["extensions"]["code"] for e in error["payload"]} == {"GRAPHQL_VALIDATION_FAILED"}


async def test_gateway_pings_idle_clients(subgraphs: dict[str, Served], token: str) -> None:
    handle = await start_gateway(gateway_settings(subgraphs, ws_ping_seconds=0.1))
    try:
        async with connected(handle, f"Bearer {token}") as ws:
            assert await receive(ws, skip_pings=False) == {"type": "ping"}
            await send(ws, {"type": "pong"})
            assert await receive(ws, skip_pings=False) == {"type": "ping"}
    finally:
        await handle.served.stop()


async def test_subscription_over_http_is_refused(client: httpx.AsyncClient) -> None:
    result = await gql(client, "subscription { seenAuthorization }")
    assert result["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "WebSocket" in result["errors"][0]["message"]
