"""The interaction lists' orders and filters as the read side builds them: cursors bound to
their order, every ticket order by a stored key (a nullable time stored as the latest, a
priority as its rank) that an index serves, ranges checked and bounded, and the limits of
myTickets / Customer.tickets never widened by the filter."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from crm_interaction.shared.listing import LATEST, KeysetOrder, Position, bounds
from crm_interaction.tasks.queries import TaskOrderField, task_order
from crm_interaction.tickets.model import OpenTicket, TicketType, open_ticket
from crm_interaction.tickets.queries import (
    TicketAccess,
    TicketFilter,
    TicketOrderField,
    ticket_order,
)
from crm_interaction.tickets.sla import Priority, SlaRules
from crm_interaction.tickets.store import INDEXES, PRIORITY_RANKS, TICKETS, sort_keys
from crm_kit.errors import BadUserInput
from crm_kit.listing import DateTimeRangeInput, OrderDirection
from tests.support import field_codes

AT = datetime(2026, 11, 23, 4, 0, 0, 123_000, tzinfo=UTC)
ASC, DESC = OrderDirection.ASC, OrderDirection.DESC


def every_ticket_order() -> list[KeysetOrder]:
    return [ticket_order(f, d) for f in TicketOrderField for d in (ASC, DESC)]


def test_a_cursor_comes_back_as_its_position_under_its_own_order_only() -> None:
    orders = every_ticket_order() + [task_order(f, d) for f in TaskOrderField for d in (ASC, DESC)]
    assert len({o.name for o in orders}) == len(orders)  # tickets and tasks: names of their own
    for order in every_ticket_order():
        value = 2 if order.ranked else AT
        cursor = order.cursor({order.field: value, "_id": "tk_1"})
        assert order.position(cursor) == Position(value, "tk_1")
        for other in every_ticket_order():
            if other != order:
                with pytest.raises(BadUserInput) as refused:
                    other.position(cursor)
                assert field_codes(refused.value) == {"after": "INVALID_CURSOR"}
    assert ticket_order(TicketOrderField.CREATED_AT, DESC).position(None) is None
    task_cursor = task_order(TaskOrderField.CREATED_AT, DESC).cursor({"createdAt": AT, "_id": "t"})
    with pytest.raises(BadUserInput):  # the same order of a list of other items
        ticket_order(TicketOrderField.CREATED_AT, DESC).position(task_cursor)


def test_a_missing_due_time_is_stored_as_the_latest_and_a_priority_as_its_rank() -> None:
    command = OpenTicket("c", TicketType.FAULT, Priority.URGENT, "打印机", "", "east")
    ticket = open_ticket(command, id="tk_1", created_by="li", now=AT, rules=SlaRules.default())
    assert PRIORITY_RANKS == ("LOW", "NORMAL", "HIGH", "URGENT")
    assert sort_keys(ticket) == {"resolutionDueKey": ticket.resolution_due_at, "priorityRank": 3}
    paused = replace(ticket, priority=Priority.LOW, resolution_due_at=None)
    assert sort_keys(paused) == {"resolutionDueKey": LATEST, "priorityRank": 0}
    due = ticket_order(TicketOrderField.RESOLUTION_DUE_AT, ASC)
    assert due.sort() == {"resolutionDueKey": 1, "_id": 1}
    stages = due.stages({"customerId": "c"}, Position(LATEST, "tk_9"))
    assert stages == [
        {
            "$match": {
                "$and": [
                    {"customerId": "c"},
                    {
                        "$or": [
                            {"resolutionDueKey": {"$gt": LATEST}},
                            {"resolutionDueKey": LATEST, "_id": {"$gt": "tk_9"}},
                        ]
                    },
                ]
            }
        }
    ]
    assert ticket_order(TicketOrderField.PRIORITY, DESC).sort() == {"priorityRank": -1, "_id": -1}


@pytest.mark.parametrize("prefix", [(), ("customerId",), ("assigneeId",)])
def test_every_ticket_order_of_every_list_walks_an_index(prefix: tuple[str, ...]) -> None:
    """`tickets` (no prefix), Customer.tickets (its customer) and myTickets (its assignee):
    (prefix…, key, _id) in the sort's direction or its reverse, so nothing sorts in memory."""
    [spec] = [spec for spec in INDEXES if spec.collection == TICKETS]
    patterns = {tuple(index.document["key"].items()) for index in spec.indexes}
    for order in every_ticket_order():
        sort = tuple(order.sort().items())
        reverse = tuple((name, -sign) for name, sign in sort)
        served = [(*((f, 1) for f in prefix), *walk) for walk in (sort, reverse)]
        assert set(served) & patterns, (order.name, prefix)


def test_ranges_are_checked_and_bounded_in_storage_time() -> None:
    later = AT + timedelta(hours=1)
    assert bounds(None, "filter.created") == ()
    assert bounds(DateTimeRangeInput(), "filter.created") == ()
    assert bounds(DateTimeRangeInput(from_=AT, to=later), "filter.created") == (
        ("$gte", AT),
        ("$lt", later),
    )
    assert bounds(DateTimeRangeInput(to=AT.replace(microsecond=123_456)), "filter.due") == (
        ("$lt", AT),
    )
    with pytest.raises(BadUserInput) as reversed_range:
        bounds(DateTimeRangeInput(from_=later, to=AT), "filter.due")
    assert field_codes(reversed_range.value) == {"filter.due.to": "OUT_OF_RANGE"}


def test_the_limit_of_a_list_is_anded_with_the_filter_never_replaced() -> None:
    mine = TicketFilter(assignee_id="wang", assigned_to="li").query()
    assert mine == {"assigneeId": "wang", "$and": [{"assigneeId": "li"}]}
    assert TicketFilter(assigned_to="li").query() == {"assigneeId": "li"}
    scoped = TicketFilter(customer_id="c2", access=TicketAccess("li", None, ("c1",))).query()
    assert scoped["customerId"] == "c2"
    assert scoped["$and"] == [
        {"$or": [{"assigneeId": {"$eq": "li"}}, {"customerId": {"$in": ["c1"]}}]}
    ]
