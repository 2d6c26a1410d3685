"""`notificationReceived` over graphql-transport-ws, directly on the notification subgraph."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from websockets.exceptions import ConnectionClosed

from crm_kit.events import CloudEvent
from tests.integration.notification.harness import Stack, running_stack
from tests.integration.notification.ws_client import subscribe
from tests.support import token

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def stack(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Stack]:
    async with running_stack(mongodb_uri, amqp_url) as s:
        yield s


def assigned(customer: str, owner: str, name: str) -> CloudEvent:
    return CloudEvent(
        type="customer.assigned.v1",
        source="crm/customer",
        subject=customer,
        data={
            "customer": {"id": customer, "displayName": name, "ownerId": owner},
            "ownerId": owner,
            "previousOwnerId": None,
            "team": "east",
            "actorId": "mgr-1",
        },
    )


async def test_subscriber_gets_its_notification_within_a_second(stack: Stack) -> None:
    me, other = f"sales-{uuid.uuid4().hex[:6]}", f"sales-{uuid.uuid4().hex[:6]}"
    timings: list[float] = []
    async with subscribe(stack.graphql, token(sub=me, roles=("SALES",))) as live:
        await asyncio.sleep(0.2)  # the subscription is registered once the resolver starts
        # Someone else's notification first: it must not reach this subscriber.
        await stack.publish(assigned(f"c-{uuid.uuid4().hex[:6]}", other, "别人的客户"))
        # Up to three events: one CPU stall on a shared 2-core CI machine must not decide the
        # latency claim, but every event must arrive, in order, and only this subscriber's.
        while len(timings) < 3 and not any(t < 1.0 for t in timings):
            customer = f"c-{uuid.uuid4().hex[:6]}"
            started = time.monotonic()
            await stack.publish(assigned(customer, me, "杭州云帆网络"))
            payload = await asyncio.wait_for(live.next(), timeout=5)
            timings.append(time.monotonic() - started)
            node = payload["data"]["notificationReceived"]
            assert node["recipientId"] == me and node["customerId"] == customer
            assert node["title"] == "新客户分配给您：杭州云帆网络"
    assert min(timings) < 1.0, timings


async def test_a_connection_without_a_valid_token_is_refused(stack: Stack) -> None:
    for bad in (None, "not-a-jwt"):
        with pytest.raises(ConnectionClosed) as closed:
            async with subscribe(stack.graphql, bad) as live:
                await asyncio.wait_for(live.next(), timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403, bad
