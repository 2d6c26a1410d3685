"""The whole system over real HTTP: three subgraphs and the gateway, real broker and MongoDB."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.harness import SystemHandle, serve_system
from tests.support import auth_headers, eventually

pytestmark = pytest.mark.e2e

ADMIN = auth_headers(sub="alice", roles=("ADMIN",), team="east")
BOB = auth_headers(sub="bob", roles=("SALES",), team="east")

CUSTOMER_360 = """
query Customer360($id: ID!) {
  customer(id: $id) {
    id displayName stage ownerId version
    lastInteractionAt
    interactions(first: 5) { totalCount edges { node { channel content } } }
    notifications(first: 5) { totalCount edges { node { recipientId type title } } }
  }
}"""


@pytest.fixture
async def system(mongodb_uri: str, amqp_url: str) -> AsyncIterator[SystemHandle]:
    async with serve_system(
        mongodb_uri,
        amqp_url,
        ("customer", "notification", "interaction"),
        subgraph_timeout_seconds=5.0,
    ) as system:
        yield system


async def create_assigned_customer(system: SystemHandle, name: str) -> str:
    created = await system.gql(
        "mutation($n: String!) { createCustomer(input: {kind: INDIVIDUAL, name: $n}) { id } }",
        {"n": name},
    )
    assert "errors" not in created, created
    customer_id: str = created["data"]["createCustomer"]["id"]
    assigned = await system.gql(
        'mutation($id: ID!) { assignCustomer(id: $id, ownerId: "bob", team: "east") { ownerId } }',
        {"id": customer_id},
    )
    assert assigned["data"]["assignCustomer"]["ownerId"] == "bob", assigned
    return customer_id


async def log_interaction(system: SystemHandle, customer_id: str, content: str) -> None:
    body = await system.gql(
        """mutation($c: ID!, $t: String!) {
          logInteraction(input: {customerId: $c, channel: PHONE, direction: OUTBOUND, content: $t})
          { id }
        }""",
        {"c": customer_id, "t": content},
    )
    assert "errors" not in body, body


async def test_customer_360_returns_profile_interactions_and_notification(
    system: SystemHandle,
) -> None:
    customer_id = await create_assigned_customer(system, "张伟")
    await log_interaction(system, customer_id, "首次电话沟通，客户对产品感兴趣")

    async def notified() -> Any:
        body = await system.gql(CUSTOMER_360, {"id": customer_id})
        return body if body["data"]["customer"]["notifications"]["totalCount"] else None

    body = await eventually(notified)
    assert "errors" not in body, body
    customer = body["data"]["customer"]
    assert customer["displayName"] == "张伟" and customer["ownerId"] == "bob"
    assert customer["interactions"]["totalCount"] == 1
    assert customer["interactions"]["edges"][0]["node"]["content"].startswith("首次电话")
    assert customer["lastInteractionAt"] is not None
    note = customer["notifications"]["edges"][0]["node"]
    assert note["recipientId"] == "bob" and note["type"] == "CUSTOMER_ASSIGNED"
    inbox = await system.gql("{ myNotifications { unreadCount } }", headers=BOB)
    assert inbox["data"]["myNotifications"]["unreadCount"] == 1


async def test_the_gateway_refuses_requests_without_a_valid_token(system: SystemHandle) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-jwt"}):
        body = await system.gql(CUSTOMER_360, {"id": "x"}, headers=headers)
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_subgraph_requests_per_360_query_do_not_grow_with_items(system: SystemHandle) -> None:
    few = await create_assigned_customer(system, "Few Items Ltd")
    many = await create_assigned_customer(system, "Many Items Ltd")
    await log_interaction(system, few, "only call")
    for i in range(25):
        await log_interaction(system, many, f"call {i}")

    async def cost(customer_id: str) -> dict[str, int]:
        before = await system.subgraph_requests()
        body = await system.gql(CUSTOMER_360, {"id": customer_id})
        assert "errors" not in body, body
        after = await system.subgraph_requests()
        return {k: after.get(k, 0) - before.get(k, 0) for k in after}

    # The cheaper of two runs: a gateway retry after a transient failure on a loaded machine
    # would add a request that has nothing to do with list sizes.
    async def cheapest(customer_id: str) -> dict[str, int]:
        first, second = await cost(customer_id), await cost(customer_id)
        return first if sum(first.values()) <= sum(second.values()) else second

    cost_few, cost_many = await cheapest(few), await cheapest(many)
    assert cost_few == cost_many
    assert sum(cost_many.values()) == 3, cost_many  # one request per subgraph


async def test_interaction_outage_gives_partial_data_then_recovers(system: SystemHandle) -> None:
    customer_id = await create_assigned_customer(system, "Outage Co")
    await log_interaction(system, customer_id, "before the outage")
    await system.stop("interaction")
    body = await system.gql(CUSTOMER_360, {"id": customer_id})
    assert body["data"]["customer"]["displayName"] == "Outage Co"
    assert body["data"]["customer"]["interactions"] is None
    paths = [e.get("path", []) for e in body["errors"]]
    assert ["customer", "interactions"] in paths or ["customer", "lastInteractionAt"] in paths
    assert all("Traceback" not in e["message"] for e in body["errors"])
    await system.start("interaction")
    body = await system.gql(CUSTOMER_360, {"id": customer_id})
    assert "errors" not in body, body
    assert body["data"]["customer"]["interactions"]["totalCount"] == 1
