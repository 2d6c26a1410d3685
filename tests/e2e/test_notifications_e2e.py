"""Notifications through the gateway: a subscription client receives the notice of a customer
assignment within one second of the mutation that triggered it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aio_pika
import orjson
import pytest
from aio_pika.abc import AbstractIncomingMessage

from tests.harness import SystemHandle, serve_system
from tests.integration.notification.ws_client import subscribe
from tests.support import auth_headers, token, unique

pytestmark = pytest.mark.e2e

ADMIN = auth_headers(sub="alice", roles=("ADMIN",), team="east")


@pytest.fixture
async def system(mongodb_uri: str, amqp_url: str) -> AsyncIterator[SystemHandle]:
    async with serve_system(mongodb_uri, amqp_url) as system:
        yield system


async def test_subscription_through_the_gateway_within_a_second(system: SystemHandle) -> None:
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
