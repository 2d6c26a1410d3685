"""graphql-transport-ws client to a subgraph: one upstream WebSocket per client subscription.

The subgraph is reached at its GraphQL URL with the scheme switched to ws/wss. Forwarded
headers (authorization, request id, trace context) go on the upgrade request, and the
authorization also in the `connection_init` payload, so subgraphs that authenticate either way
accept the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.typing import Subprotocol

from crm_gateway.transport.client import Endpoint, SubgraphUnavailable

WS_PROTOCOL = "graphql-transport-ws"


class SubgraphSubscriptionError(Exception):
    """The subgraph refused the subscription with an `error` message (GraphQL errors)."""

    def __init__(self, errors: list[Any]) -> None:
        super().__init__("subgraph refused the subscription")
        self.errors = errors


def ws_url(http_url: str) -> str:
    if http_url.startswith("https://"):
        return "wss://" + http_url.removeprefix("https://")
    if http_url.startswith("http://"):
        return "ws://" + http_url.removeprefix("http://")
    return http_url


def _dumps(message: dict[str, Any]) -> str:
    return orjson.dumps(message).decode()


async def _receive(connection: ClientConnection) -> dict[str, Any]:
    raw = await connection.recv()
    message = orjson.loads(raw)
    if not isinstance(message, dict):
        raise orjson.JSONDecodeError("not an object", str(raw), 0)
    return message


async def _handshake(connection: ClientConnection, headers: dict[str, str], timeout: float) -> None:
    init: dict[str, Any] = {"type": "connection_init"}
    if "authorization" in headers:
        init["payload"] = {"Authorization": headers["authorization"]}
    await connection.send(_dumps(init))
    async with asyncio.timeout(timeout):
        while True:
            message = await _receive(connection)
            kind = message.get("type")
            if kind == "connection_ack":
                return
            if kind == "ping":
                await connection.send(_dumps({"type": "pong"}))


async def subscribe_upstream(
    endpoint: Endpoint,
    payload: dict[str, Any],
    *,
    headers: dict[str, str],
    connect_timeout: float,
) -> AsyncGenerator[dict[str, Any]]:
    """Yield each `next` payload (`{"data": ..., "errors": ...}`) of one subgraph subscription.

    Ends when the subgraph completes; raises `SubgraphSubscriptionError` for an `error` message
    and `SubgraphUnavailable` when the connection cannot be made or drops.
    """
    subgraph, url = endpoint.name, endpoint.url
    try:
        connection = await connect(
            ws_url(url),
            subprotocols=[Subprotocol(WS_PROTOCOL)],
            additional_headers=headers,
            open_timeout=connect_timeout,
            ping_interval=None,  # graphql-transport-ws has its own ping/pong
        )
    except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
        raise SubgraphUnavailable(subgraph, f"websocket: {type(exc).__name__}") from exc
    completed = False
    try:
        await _handshake(connection, headers, connect_timeout)
        await connection.send(_dumps({"id": "1", "type": "subscribe", "payload": payload}))
        while True:
            message = await _receive(connection)
            kind = message.get("type")
            if kind == "next" and isinstance(message.get("payload"), dict):
                yield message["payload"]
            elif kind == "error":
                completed = True
                errors = message.get("payload")
                raise SubgraphSubscriptionError(errors if isinstance(errors, list) else [errors])
            elif kind == "complete":
                completed = True
                return
            elif kind == "ping":
                await connection.send(_dumps({"type": "pong"}))
    except (ConnectionClosed, TimeoutError, orjson.JSONDecodeError) as exc:
        completed = True
        raise SubgraphUnavailable(subgraph, f"websocket: {type(exc).__name__}") from exc
    finally:
        if not completed:
            with contextlib.suppress(ConnectionClosed, OSError):
                await connection.send(_dumps({"id": "1", "type": "complete"}))
        with contextlib.suppress(ConnectionClosed, OSError, TimeoutError):
            await asyncio.wait_for(connection.close(), 2)
