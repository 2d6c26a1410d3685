"""The list arguments of the interaction service, over HTTP: `tickets`, `myTickets`,
`Customer.tickets`, `myTasks` and `Customer.tasks` page to their second page under every
`orderBy` (in that order, ties by id, no item twice); a cursor is refused under another order;
a reversed range is refused naming its field; the filter never widens myTickets (the caller's)
or Customer.tickets (the customer's); the timeline filters by kind and time.

The records are written straight to the database (as the benchmarks do), so their times,
priorities and due times are exactly what each order is checked against."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio

from crm_interaction.shared.listing import LATEST
from crm_interaction.tasks.model import Task, TaskStatus, Urgency
from crm_interaction.tasks.store import task_to_doc
from crm_interaction.tickets.model import OpenTicket, Ticket, TicketStatus, TicketType, open_ticket
from crm_interaction.tickets.sla import Priority, SlaRules
from crm_interaction.tickets.store import PRIORITY_RANKS, ticket_to_doc
from crm_interaction.timeline.model import TimelineEntry, TimelineKind
from crm_interaction.timeline.store import entry_to_doc
from tests.integration.interaction.harness import Service
from tests.support import auth_headers, unique

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

NOW = datetime.now(UTC).replace(microsecond=0)
PAGE = 2
CONNECTION = "totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { node { id } }"
TICKET_ARGS = "$f: TicketFilterInput, $o: TicketOrderInput, $first: Int, $after: String"
TASK_ARGS = "$f: TaskFilterInput, $o: TaskOrderInput, $first: Int, $after: String"
LIST_ARGS = "filter: $f, orderBy: $o, first: $first, after: $after"
TICKETS = f"query({TICKET_ARGS}) {{ tickets({LIST_ARGS}) {{ {CONNECTION} }} }}"
MY_TICKETS = f"query({TICKET_ARGS}) {{ myTickets({LIST_ARGS}) {{ {CONNECTION} }} }}"
CUSTOMER_TICKETS = (
    f"query($reps: [_Any!]!, {TICKET_ARGS}) {{ _entities(representations: $reps) {{ "
    f"... on Customer {{ tickets({LIST_ARGS}) {{ {CONNECTION} }} }} }} }}"
)
MY_TASKS = f"query({TASK_ARGS}) {{ myTasks({LIST_ARGS}) {{ {CONNECTION} }} }}"
CUSTOMER_TASKS = (
    f"query($reps: [_Any!]!, {TASK_ARGS}) {{ _entities(representations: $reps) {{ "
    f"... on Customer {{ tasks({LIST_ARGS}) {{ {CONNECTION} }} }} }} }}"
)
TIMELINE = (
    "query($reps: [_Any!]!, $f: TimelineFilterInput, $first: Int, $after: String) { "
    "_entities(representations: $reps) { ... on Customer { "
    f"timeline(filter: $f, first: $first, after: $after) {{ {CONNECTION} }} }} }} }}"
)
TICKET_FIELDS = ("CREATED_AT", "UPDATED_AT", "RESOLUTION_DUE_AT", "PRIORITY")
TASK_FIELDS = ("DUE_AT", "CREATED_AT")

# customer, assignee, priority, opened / last changed / resolution due (hours from now), status
TICKET_ROWS = [
    ("c", "a", Priority.HIGH, -5, -1, 3, TicketStatus.ASSIGNED),
    ("c", "a", Priority.LOW, -4, -2, None, TicketStatus.WAITING_CUSTOMER),
    ("c", "a", Priority.URGENT, -3, -5, 1, TicketStatus.IN_PROGRESS),
    ("c", "a", Priority.HIGH, -3, -3, None, TicketStatus.WAITING_CUSTOMER),
    ("c", "a", Priority.NORMAL, -1, -4, 2, TicketStatus.ASSIGNED),
    ("c", "b", Priority.URGENT, -2, -2, 1, TicketStatus.ASSIGNED),
    ("d", "a", Priority.LOW, -6, -6, 5, TicketStatus.ASSIGNED),
]
# customer, assignee, due / created (hours from now), status
TASK_ROWS = [
    ("c", "a", 5, -1, TaskStatus.OPEN),
    ("c", "a", 2, -3, TaskStatus.OPEN),
    ("c", "a", 2, -2, TaskStatus.OPEN),
    ("c", "a", 1, -5, TaskStatus.DONE),
    ("c", "a", 8, -4, TaskStatus.OPEN),
    ("c", "b", 3, -6, TaskStatus.OPEN),
    ("d", "a", 4, -7, TaskStatus.OPEN),
]


def hours(n: int) -> datetime:
    return NOW + timedelta(hours=n)


@dataclass
class Data:
    customer: str
    other_customer: str
    agent: str
    other_agent: str
    tickets: list[Ticket]
    tasks: list[Task]

    def who(self, key: str) -> str:
        return {"c": self.customer, "d": self.other_customer}.get(key) or (
            self.agent if key == "a" else self.other_agent
        )

    @property
    def agent_headers(self) -> dict[str, str]:
        return auth_headers(sub=self.agent, roles=("SERVICE",), team="east")


def make_ticket(data: Data, row: tuple[Any, ...]) -> Ticket:
    customer, assignee, priority, opened, changed, due, status = row
    command = OpenTicket(data.who(customer), TicketType.FAULT, priority, "打印机", "", "east")
    opened_ticket = open_ticket(
        command, id=unique("tk"), created_by="alice", now=hours(opened), rules=SlaRules.default()
    )
    return replace(
        opened_ticket,
        assignee_id=data.who(assignee),
        status=status,
        updated_at=hours(changed),
        resolution_due_at=hours(due) if due is not None else None,
        resolution_clock_since=opened_ticket.created_at if due is not None else None,
    )


def make_task(data: Data, row: tuple[Any, ...]) -> Task:
    customer, assignee, due, created, status = row
    return Task(
        id=unique("ts"),
        customer_id=data.who(customer),
        title="回访",
        notes=None,
        assignee_id=data.who(assignee),
        due_at=hours(due),
        urgency=Urgency.NORMAL,
        reminder_offsets=(),
        status=status,
        created_by="alice",
        created_at=hours(created),
        updated_at=hours(created),
        version=1,
    )


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def data(service: Service) -> AsyncIterator[Data]:
    made = Data(unique("cust"), unique("cust"), unique("agent"), unique("agent"), [], [])
    made.tickets = [make_ticket(made, row) for row in TICKET_ROWS]
    made.tasks = [make_task(made, row) for row in TASK_ROWS]
    await service.db["tickets"].insert_many([ticket_to_doc(t) for t in made.tickets])
    await service.db["tasks"].insert_many([task_to_doc(t) for t in made.tasks])
    yield made


def connection(data: dict[str, Any]) -> dict[str, Any]:
    """The connection of a one-field answer (a root field or `_entities { field }`)."""
    value = next(iter(data.values()))
    if isinstance(value, list):
        value = next(iter(value[0].values()))
    assert isinstance(value, dict), data
    return value


async def all_pages(
    service: Service, query: str, variables: dict[str, Any], headers: dict[str, str] | None = None
) -> list[str]:
    """The ids of every page of `PAGE` items, checking the page info and totalCount of each."""
    found: list[str] = []
    after: str | None = None
    while True:
        answer = {**variables, "first": PAGE, "after": after}
        page = connection(await service.ok(query, answer, headers=headers or service.headers))
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        assert len(page["edges"]) <= PAGE
        found += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            assert page["totalCount"] == len(found), (page, found)
            assert len(found) == len(set(found)), f"an item repeats: {found}"
            return found
        after = page["pageInfo"]["endCursor"]


def ticket_key(field: str) -> Callable[[Ticket], Any]:
    return {
        "CREATED_AT": lambda t: t.created_at,
        "UPDATED_AT": lambda t: t.updated_at,
        "RESOLUTION_DUE_AT": lambda t: t.resolution_due_at or LATEST,
        "PRIORITY": lambda t: PRIORITY_RANKS.index(str(t.priority)),
    }[field]


def expected[T: (Ticket, Task)](
    items: list[T], key: Callable[[T], Any], direction: str
) -> list[str]:
    ordered = sorted(items, key=lambda item: (key(item), item.id), reverse=direction == "DESC")
    return [item.id for item in ordered]


def ticket_lists(data: Data) -> dict[str, tuple[str, dict[str, Any], dict[str, str] | None]]:
    """Each ticket list: its query, variables and caller."""
    return {
        "tickets": (TICKETS, {"f": {"customerId": data.customer}}, None),
        "myTickets": (MY_TICKETS, {}, data.agent_headers),
        "Customer.tickets": (CUSTOMER_TICKETS, reps(data.customer), None),
    }


def reps(customer_id: str) -> dict[str, Any]:
    return {"reps": [{"__typename": "Customer", "id": customer_id}]}


@pytest.mark.parametrize("name", ["tickets", "myTickets", "Customer.tickets"])
async def test_ticket_lists_page_in_every_order(service: Service, data: Data, name: str) -> None:
    query, variables, headers = ticket_lists(data)[name]
    listed = {
        "tickets": [t for t in data.tickets if t.customer_id == data.customer],
        "myTickets": [t for t in data.tickets if t.assignee_id == data.agent],
        "Customer.tickets": [t for t in data.tickets if t.customer_id == data.customer],
    }[name]
    assert len(listed) == 6  # three pages of two
    default = await all_pages(service, query, variables, headers)
    assert default == expected(listed, ticket_key("CREATED_AT"), "DESC")  # newest first
    for field in TICKET_FIELDS:
        for direction in ("ASC", "DESC"):
            order = {"o": {"field": field, "direction": direction}}
            found = await all_pages(service, query, {**variables, **order}, headers)
            assert found == expected(listed, ticket_key(field), direction), (field, direction)


def task_lists(data: Data) -> dict[str, tuple[str, dict[str, Any], dict[str, str] | None]]:
    return {
        "myTasks": (MY_TASKS, {}, data.agent_headers),
        "Customer.tasks": (CUSTOMER_TASKS, reps(data.customer), None),
    }


@pytest.mark.parametrize("name", ["myTasks", "Customer.tasks"])
async def test_task_lists_page_in_every_order(service: Service, data: Data, name: str) -> None:
    query, variables, headers = task_lists(data)[name]
    listed = {  # myTasks: the caller's OPEN ones by default; Customer.tasks: every state
        "myTasks": [
            t for t in data.tasks if t.assignee_id == data.agent and t.status is TaskStatus.OPEN
        ],
        "Customer.tasks": [t for t in data.tasks if t.customer_id == data.customer],
    }[name]
    assert len(listed) in (5, 6)
    keys: dict[str, Callable[[Task], Any]] = {
        "DUE_AT": lambda t: t.due_at,
        "CREATED_AT": lambda t: t.created_at,
    }
    default = await all_pages(service, query, variables, headers)
    assert default == expected(listed, keys["DUE_AT"], "ASC")  # soonest due first
    for field in TASK_FIELDS:
        for direction in ("ASC", "DESC"):
            order = {"o": {"field": field, "direction": direction}}
            found = await all_pages(service, query, {**variables, **order}, headers)
            assert found == expected(listed, keys[field], direction), (field, direction)
    done = await all_pages(service, query, {**variables, "f": {"statuses": ["DONE"]}}, headers)
    assert done == [data.tasks[3].id]  # the one DONE task: the caller's, of the customer


def field_errors(body: dict[str, Any]) -> list[tuple[str, str]]:
    assert body.get("errors"), body
    error = body["errors"][0]["extensions"]
    assert error["code"] == "BAD_USER_INPUT", body
    return [(e["field"], e["code"]) for e in error["fieldErrors"]]


async def first_cursor(
    service: Service, query: str, variables: dict[str, Any], headers: dict[str, str] | None
) -> str:
    body = await service.ok(query, {**variables, "first": 1}, headers=headers or service.headers)
    cursor = connection(body)["pageInfo"]["endCursor"]
    assert isinstance(cursor, str)
    return cursor


async def test_a_cursor_is_refused_under_another_order(service: Service, data: Data) -> None:
    lists = {**ticket_lists(data), **task_lists(data)}
    orders = {
        name: [{"field": f, "direction": d} for f in fields for d in ("ASC", "DESC")]
        for name, fields in (
            *((n, TICKET_FIELDS) for n in ticket_lists(data)),
            *((n, TASK_FIELDS) for n in task_lists(data)),
        )
    }
    for name, (query, variables, headers) in lists.items():
        for made_in in orders[name]:
            cursor = await first_cursor(service, query, {**variables, "o": made_in}, headers)
            for other in orders[name]:
                asked = {**variables, "o": other, "after": cursor}
                body = await service.query(query, asked, headers=headers or service.headers)
                if other == made_in:
                    assert "errors" not in body, (name, made_in, body)
                else:
                    assert field_errors(body) == [("after", "INVALID_CURSOR")], (name, other)
    ticket_cursor = await first_cursor(service, TICKETS, ticket_lists(data)["tickets"][1], None)
    refused = await service.query(MY_TASKS, {"after": ticket_cursor}, headers=data.agent_headers)
    assert field_errors(refused) == [("after", "INVALID_CURSOR")]  # a list of other items


async def test_a_reversed_range_is_refused_naming_its_field(service: Service, data: Data) -> None:
    backwards = {"from": hours(1).isoformat(), "to": hours(-1).isoformat()}
    cases = [
        (*ticket_lists(data)[name], {"created": backwards}, "filter.created.to")
        for name in ticket_lists(data)
    ] + [
        (*task_lists(data)[name], {"due": backwards}, "filter.due.to") for name in task_lists(data)
    ]
    cases.append((TIMELINE, reps(data.customer), None, {"at": backwards}, "filter.at.to"))
    for query, variables, headers, where, field in cases:
        filter_ = {**variables.get("f", {}), **where}
        body = await service.query(
            query, {**variables, "f": filter_}, headers=headers or service.headers
        )
        assert field_errors(body) == [(field, "OUT_OF_RANGE")], (query, body)


async def test_ranges_narrow_the_lists(service: Service, data: Data) -> None:
    opened = {"from": hours(-4).isoformat(), "to": hours(-2).isoformat()}  # -4 ≤ opened < -2
    found = await all_pages(
        service, TICKETS, {"f": {"customerId": data.customer, "created": opened}}
    )
    in_range = [t for t in data.tickets if t.customer_id == data.customer]
    in_range = [t for t in in_range if hours(-4) <= t.created_at < hours(-2)]
    assert found == expected(in_range, ticket_key("CREATED_AT"), "DESC") and len(found) == 3
    due = {"from": hours(2).isoformat()}  # open ended: due at or after
    mine = await all_pages(service, MY_TASKS, {"f": {"due": due}}, data.agent_headers)
    assert set(mine) == {
        t.id
        for t in data.tasks
        if t.assignee_id == data.agent and t.status is TaskStatus.OPEN and t.due_at >= hours(2)
    }


async def test_the_filter_never_widens_my_tickets_or_a_customer_s(
    service: Service, data: Data
) -> None:
    agent = data.agent_headers
    everything = await all_pages(service, MY_TICKETS, {}, agent)
    assert len(everything) == 6
    same = await all_pages(service, MY_TICKETS, {"f": {"assigneeId": data.agent}}, agent)
    assert sorted(same) == sorted(everything)
    assert (
        await all_pages(service, MY_TICKETS, {"f": {"assigneeId": data.other_agent}}, agent) == []
    )
    of_customer = await all_pages(service, MY_TICKETS, {"f": {"customerId": data.customer}}, agent)
    assert len(of_customer) == 5  # narrowed to the customer, still the caller's only

    own = await all_pages(service, CUSTOMER_TICKETS, reps(data.customer))
    assert len(own) == 6
    named = {**reps(data.customer), "f": {"customerId": data.customer}}
    assert sorted(await all_pages(service, CUSTOMER_TICKETS, named)) == sorted(own)
    other = {**reps(data.customer), "f": {"customerId": data.other_customer}}
    assert await all_pages(service, CUSTOMER_TICKETS, other) == []
    batch = {
        "reps": [{"__typename": "Customer", "id": c} for c in (data.customer, data.other_customer)],
        "f": {"customerId": data.other_customer},
    }
    both = (await service.ok(CUSTOMER_TICKETS, {**batch, "first": 10}))["_entities"]
    totals = [entity["tickets"]["totalCount"] for entity in both]
    assert totals == [0, 1]  # each customer's own tickets, narrowed; none moves across
    assert [e["node"]["id"] for e in both[1]["tickets"]["edges"]] == [data.tickets[6].id]


async def test_the_timeline_filters_by_kind_and_time(service: Service) -> None:
    customer = unique("cust")
    kinds = [TimelineKind.TICKET, TimelineKind.TASK] * 3
    entries = [
        TimelineEntry(
            id=f"{kind}:{unique('ref')}",
            customer_id=customer,
            kind=kind,
            ref_id=unique("ref"),
            at=hours(-n),
            title="t",
            summary=None,
            status=None,
            actor_id=None,
        )
        for n, kind in enumerate(kinds, start=1)
    ]
    await service.db["timeline"].insert_many([entry_to_doc(e) for e in entries])
    window = {"from": hours(-5).isoformat(), "to": hours(-1).isoformat()}  # -5 ≤ at < -1
    found = await all_pages(service, TIMELINE, {**reps(customer), "f": {"at": window}})
    assert found == [e.id for e in entries[1:5]]  # newest first, -1 and -6 left out
    tasks = await all_pages(
        service, TIMELINE, {**reps(customer), "f": {"at": window, "kinds": ["TASK"]}}
    )
    assert tasks == [e.id for e in entries[1:5] if e.kind is TimelineKind.TASK]
    assert len(await all_pages(service, TIMELINE, reps(customer))) == 6
