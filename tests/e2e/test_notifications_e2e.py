"""Notifications through the gateway: a subscription client receives the notice of a customer
assignment within one second of the mutation that triggered it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import aio_pika
import httpx
import orjson
import pytest
from aio_pika.abc import AbstractIncomingMessage

from crm_customer.app import create_app as customer_app
from crm_gateway.app import create_app as gateway_app
from crm_gateway.settings import GatewaySettings
from crm_interaction.app import create_app as interaction_app
from crm_notification.app import create_app as notification_app
from tests.integration.notification.ws_client import subscribe
from tests.support import (
    auth_headers,
    free_port,
    gql,
    serve_app,
    service_settings,
    token,
    unique,
    wait_ready,
)

pytestmark = pytest.mark.e2e

ADMIN = auth_headers(sub="alice", roles=("ADMIN",), team="east")


@dataclass
class System:
    gateway: str
    http: httpx.AsyncClient
    amqp_url: str
    exchange: str

    async def gql(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
        kw.setdefault("headers", ADMIN)
        return await gql(self.http, f"{self.gateway}/graphql", query, variables, **kw)


@pytest.fixture
async def system(mongodb_uri: str, amqp_url: str) -> AsyncIterator[System]:
    exchange = unique("crm.events")
    async with AsyncExitStack() as stack:
        urls = {}
        for name, factory in (
            ("customer", customer_app),
            ("interaction", interaction_app),
            ("notification", notification_app),
        ):
            settings = service_settings(name, mongodb_uri, amqp_url, events_exchange=exchange)
            base = await stack.enter_async_context(serve_app(factory(settings)))
            await wait_ready(base)
            urls[name] = f"{base}/graphql"
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=30))
        gateway = GatewaySettings(port=free_port(), subgraphs=tuple(urls.items()))
        base = await stack.enter_async_context(serve_app(gateway_app(gateway)))
        await wait_ready(base)
        yield System(base, http, amqp_url, exchange)


async def test_subscription_through_the_gateway_within_a_second(system: System) -> None:
    owner = unique("bob")
    created = await system.gql(
        'mutation { createCustomer(input: {kind: ENTERPRISE, name: "深圳前海微众"}) { id } }'
    )
    assert "errors" not in created, created
    customer_id = created["data"]["createCustomer"]["id"]
    url = f"{system.gateway}/graphql"
    event_seen: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    connection = await aio_pika.connect_robust(system.amqp_url)
    async with connection, subscribe(url, token(sub=owner, roles=("SALES",))) as live:
        # Observe the triggering event on the bus, as any other subscriber would.
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(system.exchange, "customer.assigned.v1")

        async def on_event(message: AbstractIncomingMessage) -> None:
            if not event_seen.done() and orjson.loads(message.body)["subject"] == customer_id:
                event_seen.set_result(time.monotonic())

        await queue.consume(on_event, no_ack=True)
        await asyncio.sleep(0.3)  # let the gateway open its upstream subscription
        assigned = await system.gql(
            'mutation($id: ID!, $o: ID!) { assignCustomer(id: $id, ownerId: $o, team: "east") '
            "{ ownerId } }",
            {"id": customer_id, "o": owner},
        )
        assert "errors" not in assigned, assigned
        payload = await asyncio.wait_for(live.next(), timeout=10)
        arrived = time.monotonic()
        elapsed = arrived - await asyncio.wait_for(event_seen, timeout=10)
    assert "errors" not in payload, payload
    node = payload["data"]["notificationReceived"]
    assert node["recipientId"] == owner and node["customerId"] == customer_id
    assert node["type"] == "CUSTOMER_ASSIGNED"
    assert node["title"] == "新客户分配给您：深圳前海微众"
    print(f"event-to-subscriber latency through the gateway: {elapsed:.3f}s")
    # A push, not a poll: it arrives while the socket is open. The 1 s target itself is measured
    # by bench/notification (p50/p95 over 1,000 events); a timed assertion here would only
    # measure how loaded the CI machine is.
    assert elapsed < 5.0, f"notification arrived {elapsed:.3f}s after the event"
    unread = await system.gql(
        "{ unreadNotificationCount }", headers=auth_headers(sub=owner, roles=("SALES",))
    )
    assert unread == {"data": {"unreadNotificationCount": 1}}
