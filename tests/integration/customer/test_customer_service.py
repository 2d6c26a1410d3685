"""Customer subgraph over real HTTP against the embedded MongoDB and the real broker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from pymongo import monitoring

from tests.harness import ServiceHandle, observer, serve_service
from tests.support import auth_headers

pytestmark = pytest.mark.integration

CREATE = """
mutation($input: CreateCustomerInput!) {
  createCustomer(input: $input) { id displayName stage version ownerId phones tags }
}"""


class FindCounter(monitoring.CommandListener):
    def __init__(self) -> None:
        self.commands: list[tuple[str, str]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        name = event.command_name
        self.commands.append((name, str(event.command.get(name, ""))))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def count(self, name: str, collection: str) -> int:
        return sum(1 for n, c in self.commands if n == name and c == collection)


@dataclass
class Subgraph(ServiceHandle):
    counter: FindCounter = field(default_factory=FindCounter)

    async def create(self, **fields: Any) -> dict[str, Any]:
        body = await self.gql(CREATE, {"input": {"kind": "INDIVIDUAL", **fields}})
        assert "errors" not in body, body
        return dict(body["data"]["createCustomer"])


@pytest.fixture
async def subgraph(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Subgraph]:
    counter = FindCounter()
    async with serve_service(
        "customer", mongodb_uri, amqp_url, mongo_listeners=[counter]
    ) as handle:
        yield Subgraph.of(handle, counter=counter)


async def test_create_then_read_back(subgraph: Subgraph) -> None:
    created = await subgraph.create(name="王小明", phones=["13800138000"], tags=["vip"])
    assert created["phones"] == ["+8613800138000"] and created["version"] == 1
    body = await subgraph.gql(
        "query($id: ID!) { customer(id: $id) { displayName tags } }", {"id": created["id"]}
    )
    assert body["data"]["customer"] == {"displayName": "王小明", "tags": ["vip"]}


async def test_bad_input_is_typed_with_field_errors_and_writes_nothing(subgraph: Subgraph) -> None:
    body = await subgraph.gql(
        CREATE, {"input": {"kind": "INDIVIDUAL", "name": "", "emails": ["not-an-email"]}}
    )
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert {e["field"] for e in error["extensions"]["fieldErrors"]} == {"name", "emails[0]"}
    listing = await subgraph.gql("{ customers { totalCount } }")
    assert listing["data"]["customers"]["totalCount"] == 0


async def test_missing_or_forged_token_is_unauthenticated(subgraph: Subgraph) -> None:
    for headers in ({}, {"Authorization": "Bearer forged.token.value"}):
        body = await subgraph.gql("{ customers { totalCount } }", headers=headers)
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert body["data"] is None


async def test_unknown_id_is_not_found(subgraph: Subgraph) -> None:
    body = await subgraph.gql('{ customer(id: "nope") { id } }')
    assert body["data"] == {"customer": None}
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert body["errors"][0]["path"] == ["customer"]


async def test_stale_version_is_a_conflict(subgraph: Subgraph) -> None:
    created = await subgraph.create(name="Acme Ltd", kind="ENTERPRISE")
    update = """mutation($id: ID!, $v: Int!, $name: String) {
      updateCustomer(id: $id, expectedVersion: $v, input: {name: $name}) { version displayName }
    }"""
    first = await subgraph.gql(update, {"id": created["id"], "v": 1, "name": "Acme Co"})
    assert first["data"]["updateCustomer"] == {"version": 2, "displayName": "Acme Co"}
    stale = await subgraph.gql(update, {"id": created["id"], "v": 1, "name": "Acme Inc"})
    assert stale["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert stale["errors"][0]["extensions"]["conflictingId"] == created["id"]
    assert stale["errors"][0]["extensions"]["currentVersion"] == 2


async def test_analyst_cannot_write(subgraph: Subgraph) -> None:
    body = await subgraph.gql(
        CREATE,
        {"input": {"kind": "INDIVIDUAL", "name": "x"}},
        headers=auth_headers(sub="ann", roles=("ANALYST",)),
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_idempotency_key_returns_the_first_result(subgraph: Subgraph) -> None:
    first = await subgraph.create(name="Retry Me", idempotencyKey="k-1")
    again = await subgraph.create(name="Retry Me", idempotencyKey="k-1")
    assert again["id"] == first["id"]
    listing = await subgraph.gql("{ customers { totalCount } }")
    assert listing["data"]["customers"]["totalCount"] == 1


REPLAYS = {
    "createCustomer": (
        "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }",
        {"kind": "INDIVIDUAL", "name": "First Ask"},
        {"kind": "INDIVIDUAL", "name": "Second Ask"},
    ),
    "saveStaffMember": (
        "mutation($i: StaffInput!) { saveStaffMember(input: $i) { id } }",
        {"id": "rep.one", "name": "First"},
        {"id": "rep.one", "name": "Renamed"},
    ),
    "saveAssignmentRule": (
        "mutation($i: AssignmentRuleInput!) { saveAssignmentRule(input: $i) { id } }",
        {"name": "East", "team": "east"},
        {"name": "East", "team": "south"},
    ),
}


@pytest.mark.parametrize("mutation", sorted(REPLAYS))
async def test_an_idempotency_key_reused_for_another_request_is_a_conflict(
    subgraph: Subgraph, mutation: str
) -> None:
    query, first, other = REPLAYS[mutation]
    done = await subgraph.gql(query, {"i": first | {"idempotencyKey": "k-9"}})
    assert "errors" not in done, done
    replay = await subgraph.gql(query, {"i": first | {"idempotencyKey": "k-9"}})
    assert replay["data"] == done["data"]
    refused = await subgraph.gql(query, {"i": other | {"idempotencyKey": "k-9"}})
    assert refused["errors"][0]["extensions"]["code"] == "CONFLICT", refused


async def test_writes_publish_created_assigned_and_updated_events(
    subgraph: Subgraph, amqp_url: str
) -> None:
    async with observer(amqp_url, subgraph.exchange, "customer.#") as seen:
        created = await subgraph.create(name="Li Lei", phones=["13900139000"])
        assigned = await subgraph.gql(
            'mutation($id: ID!) { assignCustomer(id: $id, ownerId: "bob", team: "east") '
            "{ ownerId team version } }",
            {"id": created["id"]},
        )
        assert assigned["data"]["assignCustomer"] == {
            "ownerId": "bob",
            "team": "east",
            "version": 2,
        }
        from tests.support import eventually

        async def three() -> bool:
            return len(seen) >= 2

        await eventually(three)
    types = [e["type"] for e in seen]
    assert types == ["customer.created.v1", "customer.assigned.v1"]
    assigned_event = seen[1]
    assert assigned_event["subject"] == created["id"]
    assert assigned_event["data"]["ownerId"] == "bob"
    assert assigned_event["data"]["previousOwnerId"] is None
    assert "13900139000" not in str(seen), "contact details never leave in events"


async def test_entities_for_50_representations_is_one_find(subgraph: Subgraph) -> None:
    ids = [(await subgraph.create(name=f"客户{i}"))["id"] for i in range(50)]
    subgraph.counter.commands.clear()
    body = await subgraph.gql(
        "query($r: [_Any!]!) { _entities(representations: $r) "
        "{ ... on Customer { id displayName } } }",
        {"r": [{"__typename": "Customer", "id": i} for i in ids]},
    )
    assert [e["id"] for e in body["data"]["_entities"]] == ids
    assert subgraph.counter.count("find", "customers") == 1
    assert len([c for c in subgraph.counter.commands if c[1] == "customers"]) == 1


async def test_pagination_walks_every_customer_once(subgraph: Subgraph) -> None:
    ids = {(await subgraph.create(name=f"P{i}"))["id"] for i in range(7)}
    seen: list[str] = []
    after = None
    while True:
        body = await subgraph.gql(
            "query($after: String) { customers(first: 3, after: $after) "
            "{ totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }",
            {"after": after},
        )
        page = body["data"]["customers"]
        assert page["totalCount"] == 7
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == 7 and set(seen) == ids
