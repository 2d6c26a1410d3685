"""Every growing list of the interaction and notification subgraphs (and the kit's audit logs)
is a Relay connection through the gateway: paged to its second page with `after`, no item
twice, `totalCount` the whole list; `first` above the page limit is refused, never cut."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crm_kit.paging import MAX_PAGE_SIZE
from tests.harness import SystemHandle, serve_system
from tests.support import auth_headers, unique

pytestmark = pytest.mark.e2e

ADMIN = auth_headers(sub="alice", roles=("ADMIN",), team="east")
ITEMS = 5  # of each kind: pages of 2 make three pages
PAGE = 2

CUSTOMER = (
    """mutation($n: String!) { createCustomer(input: {kind: ENTERPRISE, name: $n}) { id } }"""
)
PURCHASE = """mutation($c: ID!, $x: String!, $e: ID!, $at: DateTime!) {
  recordPurchase(input: {customerId: $c, orderNumber: $x, amount: "10.00", currency: "CNY",
    purchasedAt: $at, source: "erp", externalId: $e}) { purchase { id } } }"""
TASK = """mutation($c: ID!, $t: String!, $due: DateTime!) {
  createTask(input: {customerId: $c, title: $t, dueAt: $due}) { id } }"""
COMPLETE = "mutation($id: ID!) { completeTask(id: $id) { status } }"
CONNECTION = (
    "totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { %s } }"
)
PURCHASES = (
    "query($id: ID!, $first: Int, $after: String) { customer(id: $id) { "
    "purchases(first: $first, after: $after) { " + CONNECTION % "id purchasedAt" + " } } }"
)
TASKS = (
    "query($id: ID!, $first: Int, $after: String, $s: [TaskStatus!]) { customer(id: $id) { "
    "tasks(filter: {statuses: $s}, orderBy: {field: DUE_AT, direction: DESC}, first: $first, "
    "after: $after) { " + CONNECTION % "id customerId dueAt status" + " } } }"
)
MY_TASKS = (
    "query($first: Int, $after: String) { myTasks(first: $first, after: $after) { "
    + CONNECTION % "id dueAt"
    + " } }"
)
AUDIT = (
    "query($first: Int, $after: String) { interactionAuditLog(first: $first, after: $after) { "
    + CONNECTION % "seq"
    + " } }"
)


@pytest.fixture
async def system(mongodb_uri: str, amqp_url: str) -> AsyncIterator[SystemHandle]:
    async with serve_system(mongodb_uri, amqp_url) as system:
        yield system


def _field(data: dict[str, Any]) -> dict[str, Any]:
    """The connection in a one-field answer (`customer { x }` or a root field)."""
    value = next(iter(data.values()))
    if "edges" not in value:
        value = next(iter(value.values()))
    assert isinstance(value, dict)
    return value


async def all_pages(
    system: SystemHandle, query: str, variables: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[int]]:
    """Every node of a list paged `PAGE` at a time, and the totalCount of each page."""
    nodes: list[dict[str, Any]] = []
    totals: list[int] = []
    after: str | None = None
    while True:
        page = _field(await system.ok(query, {**variables, "first": PAGE, "after": after}))
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        assert len(page["edges"]) <= PAGE
        assert [e["cursor"] for e in page["edges"]][-1:] == [page["pageInfo"]["endCursor"]]
        nodes += [e["node"] for e in page["edges"]]
        totals.append(page["totalCount"])
        if not page["pageInfo"]["hasNextPage"]:
            return nodes, totals
        after = page["pageInfo"]["endCursor"]


def ids(nodes: list[dict[str, Any]], key: str = "id") -> list[Any]:
    found = [n[key] for n in nodes]
    assert len(found) == len(set(found)), f"an item repeats: {found}"
    return found


async def test_interaction_lists_page_to_their_second_page(system: SystemHandle) -> None:
    customer = (await system.ok(CUSTOMER, {"n": unique("分页客户")}))["createCustomer"]["id"]
    other = (await system.ok(CUSTOMER, {"n": unique("别的客户")}))["createCustomer"]["id"]
    now = datetime.now(UTC)
    tasks: list[str] = []
    for i in range(ITEMS):
        at = (now - timedelta(days=i + 1)).isoformat()
        await system.ok(PURCHASE, {"c": customer, "x": (so := unique("so")), "e": so, "at": at})
        due = (now + timedelta(days=i + 1)).isoformat()
        created = await system.ok(TASK, {"c": customer, "t": f"回访 {i}", "due": due})
        tasks.append(created["createTask"]["id"])
    await system.ok(
        TASK, {"c": other, "t": "别人的", "due": (now + timedelta(hours=1)).isoformat()}
    )
    await system.ok(COMPLETE, {"id": tasks[0]})  # the soonest due is DONE now

    purchases, totals = await all_pages(system, PURCHASES, {"id": customer})
    assert len(ids(purchases)) == ITEMS and set(totals) == {ITEMS} and len(totals) == 3
    times = [p["purchasedAt"] for p in purchases]
    assert times == sorted(times, reverse=True)

    # Customer.tasks: the customer's tasks only, every status by default, latest due first
    every, totals = await all_pages(system, TASKS, {"id": customer, "s": None})
    assert ids(every) == list(reversed(tasks)) and set(totals) == {ITEMS}
    assert {t["customerId"] for t in every} == {customer}
    assert {t["status"] for t in every} == {"OPEN", "DONE"}
    open_only, totals = await all_pages(system, TASKS, {"id": customer, "s": ["OPEN"]})
    assert ids(open_only) == list(reversed(tasks[1:])) and set(totals) == {ITEMS - 1}
    done, totals = await all_pages(system, TASKS, {"id": customer, "s": ["DONE"]})
    assert ids(done) == [tasks[0]] and totals == [1]

    # myTasks: the caller's open tasks, soonest due first, over pages
    mine, totals = await all_pages(system, MY_TASKS, {})
    assert ids(mine) == ids(sorted(mine, key=lambda t: (t["dueAt"], t["id"])))
    assert set(tasks[1:]) <= set(ids(mine)) and tasks[0] not in ids(mine)
    assert set(totals) == {len(mine)} and len(mine) == ITEMS  # four here, one of `other`

    records, totals = await all_pages(system, AUDIT, {})
    seqs = ids(records, "seq")
    assert seqs == sorted(seqs, reverse=True) and len(seqs) >= 2 * ITEMS + 2
    assert set(totals) == {len(seqs)}


LISTS = {
    "customer(id: $id) { interactions(first: $first) { totalCount } }": "customer",
    "customer(id: $id) { timeline(first: $first) { totalCount } }": "customer",
    "customer(id: $id) { tickets(first: $first) { totalCount } }": "customer",
    "customer(id: $id) { purchases(first: $first) { totalCount } }": "customer",
    "customer(id: $id) { tasks(first: $first) { totalCount } }": "customer",
    "tickets(first: $first) { totalCount }": "tickets",
    "myTickets(first: $first) { totalCount }": "myTickets",
    "myTasks(first: $first) { totalCount }": "myTasks",
    "myNotifications(first: $first) { totalCount }": "myNotifications",
    "notificationDeliveries(first: $first) { totalCount }": "notificationDeliveries",
    "customerAuditLog(first: $first) { totalCount }": "customerAuditLog",
    "interactionAuditLog(first: $first) { totalCount }": "interactionAuditLog",
    "notificationAuditLog(first: $first) { totalCount }": "notificationAuditLog",
}


async def test_first_above_the_limit_is_refused_and_null_is_the_default(
    system: SystemHandle,
) -> None:
    customer = (await system.ok(CUSTOMER, {"n": unique("限额客户")}))["createCustomer"]["id"]
    for selection, path in LISTS.items():
        needs_id = "$id" in selection
        declared = "($id: ID!, $first: Int)" if needs_id else "($first: Int)"
        query = f"query{declared} {{ {selection} }}"
        variables: dict[str, Any] = {"id": customer} if needs_id else {}
        refused = await system.gql(query, {**variables, "first": MAX_PAGE_SIZE + 1})
        errors = refused.get("errors") or []
        assert errors, (path, refused)
        assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT", (path, errors)
        [error] = errors[0]["extensions"]["fieldErrors"]
        assert (error["field"], error["code"]) == ("first", "OUT_OF_RANGE"), (path, error)
        defaulted = await system.gql(query, {**variables, "first": None})
        assert "errors" not in defaulted, (path, defaulted)
