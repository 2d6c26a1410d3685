"""A minimal graphql-transport-ws client for tests (subgraph or gateway)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

PROTOCOL = Subprotocol("graphql-transport-ws")

RECEIVED = "subscription { notificationReceived { id type title recipientId customerId } }"


class WsSubscription:
    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    async def next(self) -> dict[str, Any]:
        """The next `next` payload; pings are answered, anything else fails the test."""
        while True:
            message = json.loads(await self.connection.recv())
            if message["type"] == "ping":
                await self.connection.send(json.dumps({"type": "pong"}))
                continue
            assert message["type"] == "next", message
            payload: dict[str, Any] = message["payload"]
            return payload


@asynccontextmanager
async def subscribe(
    url: str, token: str | None, query: str = RECEIVED
) -> AsyncIterator[WsSubscription]:
    """Connect, authenticate in `connection_init`, start one subscription (id "1")."""
    ws_url = url.replace("http://", "ws://", 1)
    async with connect(ws_url, subprotocols=[PROTOCOL], open_timeout=10) as connection:
        init: dict[str, Any] = {"type": "connection_init"}
        if token is not None:
            init["payload"] = {"Authorization": f"Bearer {token}"}
        await connection.send(json.dumps(init))
        ack = json.loads(await connection.recv())
        assert ack["type"] == "connection_ack", ack
        await connection.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}})
        )
        yield WsSubscription(connection)
