"""The customer timeline: one entry per item, written with the item in the same transaction.

Entries live in one collection keyed `<kind>:<item id>` and ordered by (at desc, id desc), so
a page of a customer's feed (optionally of some kinds) is one index-served query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from crm_interaction.domain import Interaction
from crm_interaction.purchases import Purchase
from crm_interaction.tasks import Task
from crm_interaction.tickets import Ticket

SUMMARY_MAX_CHARS = 200


class TimelineKind(StrEnum):
    INTERACTION = "INTERACTION"
    PURCHASE = "PURCHASE"
    TICKET = "TICKET"
    TASK = "TASK"
    CUSTOMER = "CUSTOMER"


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    id: str
    customer_id: str
    kind: TimelineKind
    ref_id: str
    at: datetime
    title: str
    summary: str | None
    status: str | None
    actor_id: str | None


def _short(text: str | None) -> str | None:
    if not text:
        return None
    return text if len(text) <= SUMMARY_MAX_CHARS else text[: SUMMARY_MAX_CHARS - 1] + "…"


def entry_id(kind: TimelineKind, ref_id: str) -> str:
    return f"{kind}:{ref_id}"


def of_interaction(item: Interaction) -> TimelineEntry:
    title = item.subject or f"{item.channel} {item.direction.lower()}"
    return TimelineEntry(
        entry_id(TimelineKind.INTERACTION, item.id),
        item.customer_id,
        TimelineKind.INTERACTION,
        item.id,
        item.occurred_at,
        title,
        _short(item.content),
        str(item.channel),
        item.logged_by,
    )


def of_ticket(item: Ticket) -> TimelineEntry:
    return TimelineEntry(
        entry_id(TimelineKind.TICKET, item.id),
        item.customer_id,
        TimelineKind.TICKET,
        item.id,
        item.created_at,
        item.subject,
        f"{item.type} · {item.priority}",
        str(item.status),
        item.created_by,
    )


def of_task(item: Task) -> TimelineEntry:
    return TimelineEntry(
        entry_id(TimelineKind.TASK, item.id),
        item.customer_id,
        TimelineKind.TASK,
        item.id,
        item.created_at,
        item.title,
        _short(item.notes),
        str(item.status),
        item.created_by,
    )


def of_purchase(item: Purchase) -> TimelineEntry:
    return TimelineEntry(
        entry_id(TimelineKind.PURCHASE, item.id),
        item.customer_id,
        TimelineKind.PURCHASE,
        item.id,
        item.purchased_at,
        f"Order {item.order_number}",
        f"{item.amount} {item.currency}",
        str(item.status),
        item.recorded_by,
    )


def of_customer_event(
    event_id: str, customer_id: str, at: datetime, title: str, actor_id: str | None
) -> TimelineEntry:
    """A change of the customer record (from customer events): created, assigned, merged…"""
    return TimelineEntry(
        entry_id(TimelineKind.CUSTOMER, event_id),
        customer_id,
        TimelineKind.CUSTOMER,
        event_id,
        at,
        title,
        None,
        None,
        actor_id,
    )
