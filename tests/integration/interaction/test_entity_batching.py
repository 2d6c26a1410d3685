"""Per-customer paged fields in an `_entities` call: the number of MongoDB commands is the same
for 1 and for 10 customers (one aggregate per field and per count), and every customer still
gets its own, correctly ordered and limited page."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.interaction.harness import Service
from tests.support import unique

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

NOW = datetime.now(UTC).replace(microsecond=0)
DATA_COLLECTIONS = ("interactions", "timeline", "tickets", "tasks", "purchases")
LOG = "mutation($input: LogInteractionInput!) { logInteraction(input: $input) { id } }"
TICKET = "mutation($input: CreateTicketInput!) { createTicket(input: $input) { id } }"
TASK = "mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }"
PURCHASE = "mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) { changed } }"
PAGED = """
query($reps: [_Any!]!) {
  _entities(representations: $reps) {
    ... on Customer {
      id
      interactions(first: 2) {
        totalCount edges { node { id occurredAt } } pageInfo { hasNextPage }
      }
      timeline(first: 3) { totalCount edges { node { kind at } } pageInfo { hasNextPage } }
      tickets(first: 5) { totalCount edges { node { id } } }
      purchases(first: 5) { totalCount edges { node { orderNumber } } }
      tasks(first: 5) { totalCount edges { node { id } } }
      openTasks { id }
      openTickets { id }
    }
  }
}"""


def reps(customer_ids: list[str]) -> dict[str, Any]:
    return {"reps": [{"__typename": "Customer", "id": c} for c in customer_ids]}


async def fill(service: Service, customer_id: str, interactions: int) -> None:
    for hours in range(interactions):
        await service.ok(
            LOG,
            {
                "input": {
                    "customerId": customer_id,
                    "channel": "PHONE",
                    "direction": "OUTBOUND",
                    "content": "回访",
                    "occurredAt": (NOW - timedelta(hours=hours + 1)).isoformat(),
                }
            },
        )
    await service.ok(
        TICKET, {"input": {"customerId": customer_id, "type": "FAULT", "subject": "x"}}
    )
    await service.ok(
        TASK,
        {
            "input": {
                "customerId": customer_id,
                "title": "t",
                "dueAt": (NOW + timedelta(days=2)).isoformat(),
            }
        },
    )
    await service.ok(
        PURCHASE,
        {
            "input": {
                "customerId": customer_id,
                "orderNumber": unique("SO"),
                "amount": "10.00",
                "currency": "CNY",
                "purchasedAt": (NOW - timedelta(days=1)).isoformat(),
                "source": "erp",
                "externalId": unique("o"),
            }
        },
    )


def data_commands(service: Service) -> Counter[tuple[str, str]]:
    return Counter(c for c in service.commands.commands if c[1] in DATA_COLLECTIONS)


async def test_paged_fields_cost_the_same_commands_for_1_and_10_customers(
    service: Service,
) -> None:
    customers = [await service.new_customer() for _ in range(10)]
    for n, customer_id in enumerate(customers[:3]):
        await fill(service, customer_id, interactions=n + 1)

    service.commands.clear()
    one = (await service.ok(PAGED, reps(customers[:1])))["_entities"]
    for_one = data_commands(service)
    service.commands.clear()
    ten = (await service.ok(PAGED, reps(customers)))["_entities"]
    for_ten = data_commands(service)

    assert for_one == for_ten, (for_one, for_ten)
    # one aggregate per paged field and per totalCount; none per customer
    assert for_ten[("aggregate", "interactions")] == 2
    assert for_ten[("aggregate", "timeline")] == 2
    assert for_ten[("aggregate", "tickets")] == 3  # page, count, openTickets
    assert for_ten[("aggregate", "tasks")] == 3  # openTasks, page, count
    assert for_ten[("aggregate", "purchases")] == 2  # page, count
    assert sum(for_ten.values()) == 12

    assert one[0] == ten[0]
    assert [e["id"] for e in ten] == customers
    counts = [e["interactions"]["totalCount"] for e in ten]
    assert counts == [1, 2, 3] + [0] * 7
    assert [e["purchases"]["totalCount"] for e in ten] == [1, 1, 1] + [0] * 7
    assert [e["tasks"]["totalCount"] for e in ten] == [1, 1, 1] + [0] * 7
    third = ten[2]["interactions"]
    assert len(third["edges"]) == 2 and third["pageInfo"]["hasNextPage"] is True
    times = [e["node"]["occurredAt"] for e in third["edges"]]
    assert times == sorted(times, reverse=True)
    # the creation, the interactions, the ticket, the task and the purchase are on the timeline
    assert [e["timeline"]["totalCount"] for e in ten[:4]] == [5, 6, 7, 1]
    assert all(len(e["timeline"]["edges"]) == 3 for e in ten[:3])
    assert [e["tickets"]["totalCount"] for e in ten[:4]] == [1, 1, 1, 0]
    assert [len(e["purchases"]["edges"]) for e in ten[:4]] == [1, 1, 1, 0]
    assert [len(e["tasks"]["edges"]) for e in ten[:4]] == [1, 1, 1, 0]
    assert [len(e["openTasks"]) for e in ten[:4]] == [1, 1, 1, 0]
    assert len(ten[9]["timeline"]["edges"]) == 1 and ten[9]["tickets"]["edges"] == []


RFM = """
query($reps: [_Any!]!) {
  _entities(representations: $reps) {
    ... on Customer { id insight { rfm { recency frequency monetary segment } } }
  }
}"""


async def test_rfm_scores_are_quintiles_of_the_customer_base(service: Service) -> None:
    now = datetime.now(UTC)
    base = [unique("rfm") for _ in range(30)]
    docs = [
        {
            "_id": unique("p"),
            "customerId": customer_id,
            "orderNumber": f"SO-{k}-{n}",
            "amount": "100.00",
            "amountMinor": 10_000,
            "currency": "CNY",
            "status": "PAID",
            # customer k: k+1 purchases, the latest (30-k)*10 days ago
            "purchasedAt": now - timedelta(days=(30 - k) * 10 + n),
        }
        for k, customer_id in enumerate(base)
        for n in range(k + 1)
    ]
    await service.db["purchases"].insert_many(docs)
    service.app.state.deps.insight.forget_distribution()

    data = await service.ok(RFM, reps([base[0], base[15], base[29]]))
    low, middle, top = (e["insight"]["rfm"] for e in data["_entities"])
    assert (low["recency"], low["frequency"], low["monetary"]) == (1, 1, 1)
    assert (middle["recency"], middle["frequency"], middle["monetary"]) == (3, 3, 3)
    # 30 purchases worth 3,000 CNY: the top fifth of this base (a fixed band would say 2)
    assert (top["recency"], top["frequency"], top["monetary"]) == (5, 5, 5)
    assert top["segment"] == "CHAMPION"
