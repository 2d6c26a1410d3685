"""Timeline order and pagination across kinds, purchases upserted idempotently, insight in a
fixed number of queries per `_entities` call, and the customer lifecycle: merge re-keys
everything to the survivor, erase removes personal content."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crm_kit.events import CloudEvent
from tests.integration.interaction.harness import Service
from tests.support import eventually, unique

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

NOW = datetime.now(UTC).replace(microsecond=0)
LOG = "mutation($input: LogInteractionInput!) { logInteraction(input: $input) { id } }"
PURCHASE = """
mutation($input: RecordPurchaseInput!) {
  recordPurchase(input: $input) {
    changed purchase { id version amount { amount currency } items { sku quantity } }
  }
}"""
TICKET = "mutation($input: CreateTicketInput!) { createTicket(input: $input) { id } }"
TASK = "mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }"
TIMELINE = """
query($reps: [_Any!]!, $first: Int, $after: String, $kinds: [TimelineKind!]) {
  _entities(representations: $reps) {
    ... on Customer {
      timeline(filter: {kinds: $kinds}, first: $first, after: $after) {
        totalCount
        edges { cursor node { id kind refId at title summary status } }
        pageInfo { hasNextPage hasPreviousPage endCursor }
      }
    }
  }
}"""
INSIGHT = """
query($reps: [_Any!]!) {
  _entities(representations: $reps) {
    ... on Customer {
      id
      insight {
        lastContactAt openTickets averageSatisfaction
        channelCounts { channel last30Days last90Days }
        totalSpend { amount currency }
        rfm { recency frequency monetary segment }
        churnRisk { score factors { name contribution explanation } }
      }
      openTickets { id status sla { state } }
      openTasks { id title }
    }
  }
}"""


def reps(*customer_ids: str) -> dict[str, Any]:
    return {"reps": [{"__typename": "Customer", "id": c} for c in customer_ids]}


async def log(service: Service, customer_id: str, at: datetime, channel: str = "PHONE") -> str:
    data = await service.ok(
        LOG,
        {
            "input": {
                "customerId": customer_id,
                "channel": channel,
                "direction": "OUTBOUND",
                "content": f"通话 {at.isoformat()}",
                "occurredAt": at.isoformat(),
            }
        },
    )
    return str(data["logInteraction"]["id"])


def purchase_input(customer_id: str, external_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "input": {
            "customerId": customer_id,
            "orderNumber": f"SO-{external_id}",
            "amount": "1299.00",
            "currency": "CNY",
            "purchasedAt": (NOW - timedelta(days=3)).isoformat(),
            "source": "erp",
            "externalId": external_id,
            "items": [{"sku": "P-1", "name": "打印机", "quantity": 1, "unitPrice": "1299.00"}],
            **extra,
        }
    }


async def test_purchase_upsert_is_idempotent_and_validated(service: Service) -> None:
    customer_id = await service.new_customer()
    external = unique("ord")
    first = (await service.ok(PURCHASE, purchase_input(customer_id, external)))["recordPurchase"]
    again = (await service.ok(PURCHASE, purchase_input(customer_id, external)))["recordPurchase"]
    assert first["changed"] is True and again["changed"] is False
    assert again["purchase"] == first["purchase"]
    changed = (
        await service.ok(PURCHASE, purchase_input(customer_id, external, status="REFUNDED"))
    )["recordPurchase"]
    assert changed["changed"] is True and changed["purchase"]["version"] == 2
    assert await service.db["purchases"].count_documents({"customerId": customer_id}) == 1
    outbox = await service.db["outbox"].count_documents(
        {"type": "purchase.recorded.v1", "subject": customer_id}
    )
    assert outbox == 2  # insert and change; the replay emitted nothing
    for overrides, field, code in (
        ({"amount": "-5"}, "amount", "NEGATIVE"),
        ({"currency": "XYZ"}, "currency", "INVALID_CURRENCY"),
    ):
        body = await service.query(PURCHASE, purchase_input(customer_id, unique("o"), **overrides))
        error = body["errors"][0]["extensions"]
        assert error["code"] == "BAD_USER_INPUT"
        assert {"field": field, "code": code}.items() <= error["fieldErrors"][0].items()


async def test_timeline_is_one_ordered_paginated_feed_filterable_by_kind(service: Service) -> None:
    customer_id = await service.new_customer()
    expected: list[tuple[str, str]] = []
    for hours in (5, 1, 30, 2):
        expected.append(
            ("INTERACTION", await log(service, customer_id, NOW - timedelta(hours=hours)))
        )
    bought = await service.ok(PURCHASE, purchase_input(customer_id, unique("o")))
    expected.append(("PURCHASE", bought["recordPurchase"]["purchase"]["id"]))
    ticket = await service.ok(
        TICKET,
        {"input": {"customerId": customer_id, "type": "INQUIRY", "subject": "发票"}},
    )
    expected.append(("TICKET", ticket["createTicket"]["id"]))
    task = await service.ok(
        TASK,
        {
            "input": {
                "customerId": customer_id,
                "title": "寄送发票",
                "dueAt": (NOW + timedelta(days=2)).isoformat(),
            }
        },
    )
    expected.append(("TASK", task["createTask"]["id"]))

    seen: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        data = await service.ok(TIMELINE, {**reps(customer_id), "first": 3, "after": after})
        page = data["_entities"][0]["timeline"]
        assert page["totalCount"] == 8  # 7 items + "Customer created" (from the event)
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        seen.extend(edge["node"] for edge in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == 8 and len({n["id"] for n in seen}) == 8
    keys = [(n["at"], n["id"]) for n in seen]
    assert keys == sorted(keys, reverse=True)  # newest first, ties by id
    items = {(n["kind"], n["refId"]) for n in seen if n["kind"] != "CUSTOMER"}
    assert items == set(expected)
    assert [n["title"] for n in seen if n["kind"] == "CUSTOMER"] == ["Customer created"]
    assert seen[-1]["kind"] == "PURCHASE"  # three days ago: the oldest item

    only = await service.ok(
        TIMELINE, {**reps(customer_id), "first": 10, "kinds": ["TICKET", "TASK"]}
    )
    feed = only["_entities"][0]["timeline"]
    assert feed["totalCount"] == 2
    assert {e["node"]["kind"] for e in feed["edges"]} == {"TICKET", "TASK"}
    bad = await service.query(TIMELINE, {**reps(customer_id), "after": "not-a-cursor"})
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_insight_and_open_lists_cost_fixed_queries_per_entities_call(
    service: Service,
) -> None:
    customers = [await service.new_customer() for _ in range(3)]
    for n, customer_id in enumerate(customers):
        await log(service, customer_id, NOW - timedelta(days=2), "WECHAT")
        await log(service, customer_id, NOW - timedelta(days=45), "PHONE")
        for k in range(n + 1):
            await service.ok(PURCHASE, purchase_input(customer_id, unique(f"o{k}")))
        await service.ok(
            TICKET,
            {"input": {"customerId": customer_id, "type": "COMPLAINT", "subject": "投诉"}},
        )
    await service.ok(INSIGHT, reps(customers[0]))  # warms the cached RFM distribution
    service.commands.clear()
    data = await service.ok(INSIGHT, reps(*customers, "unknown-" + unique("c")))
    entities = data["_entities"]
    first = entities[0]["insight"]
    assert first["openTickets"] == 1 and first["averageSatisfaction"] is None
    assert {(c["channel"], c["last30Days"], c["last90Days"]) for c in first["channelCounts"]} == {
        ("WECHAT", 1, 1),
        ("PHONE", 0, 1),
    }
    assert [e["insight"]["totalSpend"] for e in entities[:3]] == [
        [{"amount": f"{1299 * k}.00", "currency": "CNY"}] for k in (1, 2, 3)
    ]
    assert entities[2]["insight"]["rfm"]["frequency"] == 3
    factors = {f["name"] for f in first["churnRisk"]["factors"]}
    assert "COMPLAINTS" in factors and 0 <= first["churnRisk"]["score"] <= 100
    assert entities[3]["insight"]["rfm"]["segment"] == "PROSPECT"
    assert [len(e["openTickets"]) for e in entities] == [1, 1, 1, 0]
    # one query per collection and field, whatever the number of customers
    assert service.commands.on("interactions") == ["aggregate", "aggregate"]
    assert service.commands.on("tickets") == ["aggregate", "aggregate"]
    assert service.commands.on("purchases") == ["aggregate"]
    assert service.commands.on("tasks") == ["aggregate"]


async def publish(service: Service, type_: str, subject: str, data: dict[str, Any]) -> None:
    await service.bus.publish(
        CloudEvent(type=type_, source="crm/customer", subject=subject, data=data)
    )


async def test_merge_moves_everything_to_the_survivor(service: Service) -> None:
    survivor = await service.new_customer()
    merged = await service.new_customer()
    await log(service, survivor, NOW - timedelta(hours=3))
    moved = await log(service, merged, NOW - timedelta(hours=2))
    ticket = await service.ok(
        TICKET, {"input": {"customerId": merged, "type": "FAULT", "subject": "坏了"}}
    )
    await publish(
        service, "customer.merged.v1", survivor, {"survivorId": survivor, "mergedIds": [merged]}
    )

    async def rekeyed() -> bool:
        return await service.db["timeline"].count_documents({"customerId": merged}) == 0

    await eventually(rekeyed)
    data = await service.ok(TIMELINE, {**reps(survivor, merged), "first": 10})
    survivor_feed, merged_feed = (e["timeline"] for e in data["_entities"])
    # 2 interactions, 1 ticket, both "Customer created" notes and the merge note
    assert survivor_feed["totalCount"] == 6 and merged_feed["totalCount"] == 0
    titles = [e["node"]["title"] for e in survivor_feed["edges"]]
    assert titles[0] == "Merged 1 duplicate record(s) into this one"
    assert moved in {e["node"]["refId"] for e in survivor_feed["edges"]}
    stored = await service.db["tickets"].find_one({"_id": ticket["createTicket"]["id"]})
    assert stored is not None and stored["customerId"] == survivor
    # new items for the merged-away customer land on the survivor
    late = await log(service, merged, NOW - timedelta(minutes=5))
    found = await service.db["interactions"].find_one({"_id": late})
    assert found is not None and found["customerId"] == survivor


async def test_erase_removes_personal_content(service: Service) -> None:
    customer_id = await service.new_customer()
    interaction_id = await log(service, customer_id, NOW - timedelta(hours=1))
    await service.ok(
        TICKET,
        {
            "input": {
                "customerId": customer_id,
                "type": "COMPLAINT",
                "subject": "张三的投诉",
                "description": "手机号 13800138000",
            }
        },
    )
    await publish(service, "customer.erased.v1", customer_id, {"customerId": customer_id})

    async def erased() -> bool:
        doc = await service.db["interactions"].find_one({"_id": interaction_id})
        return doc is not None and doc["content"] == ""

    await eventually(erased)
    ticket = await service.db["tickets"].find_one({"customerId": customer_id})
    assert ticket is not None and ticket["subject"] == "[erased]" and ticket["description"] == ""
    titles = {d["title"] async for d in service.db["timeline"].find({"customerId": customer_id})}
    assert titles == {"[erased]"}
    body = await service.query(
        LOG,
        {
            "input": {
                "customerId": customer_id,
                "channel": "PHONE",
                "direction": "INBOUND",
                "content": "x",
            }
        },
    )
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


UPDATE = """
mutation($id: ID!, $input: UpdateInteractionInput!, $v: Int) {
  updateInteraction(id: $id, input: $input, expectedVersion: $v) {
    id version content subject updatedAt history { version action actorId content }
  }
}"""
DELETE = "mutation($id: ID!) { deleteInteraction(id: $id) { id } }"


async def test_edit_and_delete_follow_the_rules_and_keep_history(service: Service) -> None:
    from tests.support import auth_headers

    carol = auth_headers(sub="carol", roles=("SERVICE",))  # SALES: own customers only
    customer_id = await service.new_customer()
    body = await service.query(
        LOG,
        {
            "input": {
                "customerId": customer_id,
                "channel": "PHONE",
                "direction": "OUTBOUND",
                "content": "初次沟通",
            }
        },
        headers=carol,
    )
    interaction_id = body["data"]["logInteraction"]["id"]
    edited = await service.query(
        UPDATE,
        {
            "id": interaction_id,
            "input": {"content": "初次沟通：客户要报价", "subject": "报价"},
            "v": 1,
        },
        headers=carol,
    )
    assert "errors" not in edited, edited
    after = edited["data"]["updateInteraction"]
    assert (after["version"], after["content"], after["subject"]) == (
        2,
        "初次沟通：客户要报价",
        "报价",
    )
    assert after["history"] == [
        {"version": 1, "action": "EDITED", "actorId": "carol", "content": "初次沟通"}
    ]
    entry = await service.db["timeline"].find_one({"_id": f"INTERACTION:{interaction_id}"})
    assert entry is not None and entry["title"] == "报价"

    stale = await service.query(
        UPDATE, {"id": interaction_id, "input": {"content": "x"}, "v": 1}, headers=carol
    )
    assert stale["errors"][0]["extensions"]["code"] == "CONFLICT"
    too_long = await service.query(
        UPDATE, {"id": interaction_id, "input": {"content": "长" * 10_001}}, headers=carol
    )
    assert too_long["errors"][0]["extensions"]["fieldErrors"][0]["code"] == "TOO_LONG"
    other = await service.query(
        DELETE, {"id": interaction_id}, headers=auth_headers(sub="dave", roles=("SALES",))
    )
    assert other["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    deleted = await service.query(
        DELETE, {"id": interaction_id}, headers=auth_headers(sub="mia", roles=("MANAGER",))
    )
    assert deleted["data"]["deleteInteraction"] == {"id": interaction_id}
    assert await service.db["interactions"].find_one({"_id": interaction_id}) is None
    assert await service.db["timeline"].find_one({"_id": f"INTERACTION:{interaction_id}"}) is None
    history = (
        await service.db["interaction_history"]
        .find({"interactionId": interaction_id})
        .sort("version", 1)
        .to_list()
    )
    assert [(h["version"], h["action"], h["actorId"]) for h in history] == [
        (1, "EDITED", "carol"),
        (2, "DELETED", "mia"),
    ]
    gone = await service.query(GET_ONE, {"id": interaction_id})
    assert gone["errors"][0]["extensions"]["code"] == "NOT_FOUND"


GET_ONE = "query($id: ID!) { interaction(id: $id) { id } }"
