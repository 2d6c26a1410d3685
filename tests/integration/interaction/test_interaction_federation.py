"""Federation: Customer.lastInteractionAt batched over `_entities`, Customer.interactions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.interaction.harness import Service

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

LOG = "mutation Log($input: LogInteractionInput!) { logInteraction(input: $input) { id } }"
ENTITIES_LAST = """
query Entities($reps: [_Any!]!) {
  _entities(representations: $reps) { ... on Customer { id lastInteractionAt } }
}
"""
ENTITIES_ID = """
query Entities($reps: [_Any!]!) { _entities(representations: $reps) { ... on Customer { id } } }
"""
PAGE = """
query Page($reps: [_Any!]!, $first: Int, $after: String) {
  _entities(representations: $reps) {
    ... on Customer {
      interactions(first: $first, after: $after) {
        totalCount
        edges { cursor node { id occurredAt } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      }
    }
  }
}
"""
BASE = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def log(service: Service, customer_id: str, occurred_at: datetime) -> str:
    body = await service.query(
        LOG,
        {
            "input": {
                "customerId": customer_id,
                "channel": "PHONE",
                "direction": "OUTBOUND",
                "content": "call",
                "occurredAt": occurred_at.isoformat(),
            }
        },
    )
    assert "errors" not in body, body
    interaction_id: str = body["data"]["logInteraction"]["id"]
    return interaction_id


def reps(customer_ids: list[str]) -> dict[str, Any]:
    return {"reps": [{"__typename": "Customer", "id": c} for c in customer_ids]}


async def test_last_interaction_at_for_50_entities_is_one_query(service: Service) -> None:
    known = [await service.new_customer() for _ in range(3)]
    expected: dict[str, datetime] = {}
    for n, customer_id in enumerate(known):
        for hours in (1, 2 + n, 30):
            await log(service, customer_id, BASE - timedelta(hours=hours))
        expected[customer_id] = BASE - timedelta(hours=1)
    customer_ids = known + [uuid.uuid4().hex for _ in range(47)]

    service.commands.clear()
    body = await service.query(ENTITIES_LAST, reps(customer_ids))
    assert "errors" not in body, body
    entities = body["data"]["_entities"]
    assert [e["id"] for e in entities] == customer_ids
    for entity in entities:
        want = expected.get(entity["id"])
        got = entity["lastInteractionAt"]
        assert (datetime.fromisoformat(got) if got else None) == want
    assert service.commands.on("interactions") == ["aggregate"]


async def test_resolving_entity_references_touches_no_database(service: Service) -> None:
    service.commands.clear()
    body = await service.query(ENTITIES_ID, reps([uuid.uuid4().hex for _ in range(50)]))
    assert len(body["data"]["_entities"]) == 50
    assert service.commands.on("interactions") == []
    assert service.commands.on("customers") == []


async def test_entities_need_a_token(service: Service) -> None:
    body = await service.query(ENTITIES_LAST, reps(["c1"]), headers={})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def page(
    service: Service, customer_id: str, first: int | None, after: str | None = None
) -> dict[str, Any]:
    variables: dict[str, Any] = {**reps([customer_id]), "first": first, "after": after}
    if first is None:
        del variables["first"]
    body = await service.query(PAGE, variables)
    assert "errors" not in body, body
    connection: dict[str, Any] = body["data"]["_entities"][0]["interactions"]
    return connection


async def test_interactions_page_newest_first_with_stable_cursors(service: Service) -> None:
    customer_id = await service.new_customer()
    # 12 interactions; three share one instant, so the id breaks ties across a page boundary.
    instants = [BASE - timedelta(minutes=m) for m in (0, 5, 5, 5, 10, 20, 30, 40, 50, 60, 61, 62)]
    created = {await log(service, customer_id, at): at for at in instants}
    await log(service, await service.new_customer(), BASE + timedelta(days=1))  # other customer

    expected = sorted(created, key=lambda i: (created[i], i), reverse=True)
    seen: list[str] = []
    after: str | None = None
    pages = []
    while True:
        connection = await page(service, customer_id, 5, after)
        pages.append(connection)
        seen += [e["node"]["id"] for e in connection["edges"]]
        info = connection["pageInfo"]
        assert info["hasPreviousPage"] is (after is not None)
        if connection["edges"]:
            assert info["startCursor"] == connection["edges"][0]["cursor"]
            assert info["endCursor"] == connection["edges"][-1]["cursor"]
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert seen == expected
    assert [len(p["edges"]) for p in pages] == [5, 5, 2]
    assert {p["totalCount"] for p in pages} == {12}

    default = await page(service, customer_id, None)
    assert [e["node"]["id"] for e in default["edges"]] == expected  # first defaults to 20

    empty = await page(service, uuid.uuid4().hex, 5)
    assert empty["edges"] == [] and empty["totalCount"] == 0
    assert empty["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": False,
        "startCursor": None,
        "endCursor": None,
    }


async def test_first_is_capped_at_100(service: Service) -> None:
    customer_id = uuid.uuid4().hex
    await service.db["interactions"].insert_many(
        [
            {
                "_id": uuid.uuid4().hex,
                "customerId": customer_id,
                "channel": "EMAIL",
                "direction": "INBOUND",
                "subject": None,
                "content": f"mail {n}",
                "occurredAt": BASE - timedelta(minutes=n),
                "durationSeconds": None,
                "loggedBy": "seed",
                "createdAt": BASE,
            }
            for n in range(105)
        ]
    )
    connection = await page(service, customer_id, 100)  # above 100: BAD_USER_INPUT (MAX_PAGE_SIZE)
    assert len(connection["edges"]) == 100
    assert connection["pageInfo"]["hasNextPage"] is True
    assert connection["totalCount"] == 105


async def test_bad_pagination_arguments_are_bad_user_input(service: Service) -> None:
    for variables in ({"first": -1}, {"first": 5, "after": "garbage"}):
        body = await service.query(PAGE, {**reps(["c1"]), **variables})
        error = body["errors"][0]["extensions"]
        assert error["code"] == "BAD_USER_INPUT"
        assert error["fieldErrors"][0]["field"] in {"first", "after"}
