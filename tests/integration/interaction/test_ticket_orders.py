"""Every order of the ticket lists by a stored, indexed key: tickets opened and moved through
the API (paused, resolved, closed: no resolution due time) page in every order of `tickets`
and `Customer.tickets` — in that order, ties by id, no ticket twice or left out — and their
stored keys follow their changes; migration 0004 gives tickets written before it their keys
and builds the indexes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio
from pymongo import AsyncMongoClient

from crm_interaction.migrations import v0004_ticket_order_keys
from crm_interaction.shared.listing import LATEST
from crm_interaction.tickets.model import OpenTicket, TicketType, open_ticket
from crm_interaction.tickets.sla import Priority, SlaRules
from crm_interaction.tickets.store import PRIORITY_RANKS, ticket_from_doc, ticket_to_doc
from crm_kit.mongo import Document
from tests.integration.interaction.harness import Service
from tests.support import unique

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

PAGE = 2
FIELDS = ("CREATED_AT", "UPDATED_AT", "RESOLUTION_DUE_AT", "PRIORITY")
NODE = "id priority createdAt updatedAt sla { resolutionDueAt }"
CREATE = f"mutation($input: CreateTicketInput!) {{ createTicket(input: $input) {{ {NODE} }} }}"
ASSIGN = """mutation($id: ID!) {
  assignTicket(id: $id, agentId: "wang.fang", team: "east", strategy: ROUND_ROBIN) { id }
}"""
STATUS = "mutation($id: ID!, $s: TicketStatus!) { changeTicketStatus(id: $id, status: $s) { id } }"
ARGS = "$o: TicketOrderInput, $first: Int, $after: String"
PAGE_OF = f"totalCount pageInfo {{ hasNextPage endCursor }} edges {{ node {{ {NODE} }} }}"
TICKETS = (
    f"query($f: TicketFilterInput, {ARGS}) "
    f"{{ tickets(filter: $f, orderBy: $o, first: $first, after: $after) {{ {PAGE_OF} }} }}"
)
CUSTOMER_TICKETS = (
    f"query($reps: [_Any!]!, {ARGS}) {{ _entities(representations: $reps) {{ ... on Customer "
    f"{{ tickets(orderBy: $o, first: $first, after: $after) {{ {PAGE_OF} }} }} }} }}"
)
# priority, then the moves after opening: the last three leave no resolution due time
OPENED = [
    ("URGENT", ()),
    ("LOW", ()),
    ("URGENT", ()),
    ("NORMAL", ()),
    ("HIGH", ("CLOSED",)),
    ("HIGH", ("ASSIGN", "WAITING_CUSTOMER")),
    ("NORMAL", ("ASSIGN", "RESOLVED")),
]


def moment(value: str | None) -> datetime:
    return datetime.fromisoformat(value) if value else LATEST


def sort_key(field: str, node: dict[str, Any]) -> Any:
    keys = {
        "CREATED_AT": moment(node["createdAt"]),
        "UPDATED_AT": moment(node["updatedAt"]),
        "RESOLUTION_DUE_AT": moment(node["sla"]["resolutionDueAt"]),
        "PRIORITY": PRIORITY_RANKS.index(node["priority"]),
    }
    return keys[field]


async def move(service: Service, ticket_id: str, step: str) -> None:
    if step == "ASSIGN":
        await service.one(ASSIGN, {"id": ticket_id})
    else:
        await service.one(STATUS, {"id": ticket_id, "s": step})


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def customer(service: Service) -> AsyncIterator[str]:
    """A customer with the tickets of OPENED, opened and moved through the API."""
    customer_id = await service.new_customer()
    for priority, steps in OPENED:
        opened = {"customerId": customer_id, "type": "FAULT", "subject": "打印机", "team": "east"}
        ticket = await service.one(CREATE, {"input": {**opened, "priority": priority}})
        for step in steps:
            await move(service, ticket["id"], step)
    yield customer_id


def connection(data: dict[str, Any]) -> dict[str, Any]:
    value = next(iter(data.values()))
    found: dict[str, Any] = next(iter(value[0].values())) if isinstance(value, list) else value
    return found


async def every_page(service: Service, query: str, variables: dict[str, Any]) -> list[Any]:
    """The nodes of every page of PAGE tickets, checking no ticket comes twice."""
    nodes: list[Any] = []
    after: str | None = None
    while True:
        page = connection(await service.ok(query, {**variables, "first": PAGE, "after": after}))
        nodes += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            assert page["totalCount"] == len(nodes) == len({n["id"] for n in nodes})
            return nodes
        after = page["pageInfo"]["endCursor"]


@pytest.mark.parametrize("listing", ["tickets", "Customer.tickets"])
async def test_every_order_pages_through_every_ticket_once(
    service: Service, customer: str, listing: str
) -> None:
    lists: dict[str, tuple[str, dict[str, Any]]] = {
        "tickets": (TICKETS, {"f": {"customerId": customer}}),
        "Customer.tickets": (
            CUSTOMER_TICKETS,
            {"reps": [{"__typename": "Customer", "id": customer}]},
        ),
    }
    query, variables = lists[listing]
    nodes = await every_page(service, query, variables)
    assert len(nodes) == len(OPENED)
    assert sum(n["sla"]["resolutionDueAt"] is None for n in nodes) == 3
    for field in FIELDS:
        for direction in ("ASC", "DESC"):
            order = {"o": {"field": field, "direction": direction}}
            found = [n["id"] for n in await every_page(service, query, {**variables, **order})]
            ranked = sorted(nodes, key=lambda n: (sort_key(field, n), n["id"]))
            expected = [n["id"] for n in ranked]
            assert found == (expected[::-1] if direction == "DESC" else expected), order


async def test_the_stored_keys_follow_every_change(service: Service, customer: str) -> None:
    docs = await service.db["tickets"].find({"customerId": customer}).to_list()
    assert len(docs) == len(OPENED)
    for doc in docs:
        assert doc == ticket_to_doc(ticket_from_doc(doc))  # keys as the store writes them now


def old_ticket(priority: Priority, paused: bool) -> Document:
    """A ticket as the previous release stored it: without the sort keys."""
    command = OpenTicket(unique("cust"), TicketType.FAULT, priority, "打印机", "", "east")
    at = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    ticket = open_ticket(
        command, id=unique("tk"), created_by="li", now=at, rules=SlaRules.default()
    )
    doc = ticket_to_doc(ticket)
    if paused:
        doc["resolutionDueAt"] = None
    del doc["resolutionDueKey"], doc["priorityRank"]
    return doc


async def test_migration_0004_gives_older_tickets_their_keys_and_indexes(mongodb_uri: str) -> None:
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongodb_uri, tz_aware=True)
    db = client[unique("mig_interaction")]
    try:
        olds = [old_ticket(p, paused) for p in Priority for paused in (False, True)]
        await db["tickets"].insert_many(olds)
        await v0004_ticket_order_keys.apply(db)
        await v0004_ticket_order_keys.apply(db)  # again: the same keys
        for doc in await db["tickets"].find().to_list():
            assert doc == ticket_to_doc(ticket_from_doc(doc))
        indexes = await db["tickets"].index_information()
        for prefix in ("", "customer_", "assignee_"):
            for key in ("createdAt", "updatedAt", "resolutionDueKey", "priorityRank"):
                assert f"{prefix}{key}_id" in indexes
    finally:
        await client.drop_database(db.name)
        await client.close()
