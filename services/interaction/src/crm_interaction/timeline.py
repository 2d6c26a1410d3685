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


def _entry(
    kind: TimelineKind,
    item_id: str,
    customer_id: str,
    at: datetime,
    *,
    title: str,
    summary: str | None = None,
    status: str | None = None,
    actor_id: str | None,
) -> TimelineEntry:
    """The entry of one item; its id is derived from the kind and the item's id."""
    return TimelineEntry(
        entry_id(kind, item_id), customer_id, kind, item_id, at, title, summary, status, actor_id
    )


def of_interaction(item: Interaction) -> TimelineEntry:
    return _entry(
        TimelineKind.INTERACTION,
        item.id,
        item.customer_id,
        item.occurred_at,
        title=item.subject or f"{item.channel} {item.direction.lower()}",
        summary=_short(item.content),
        status=str(item.channel),
        actor_id=item.logged_by,
    )


def of_ticket(item: Ticket) -> TimelineEntry:
    return _entry(
        TimelineKind.TICKET,
        item.id,
        item.customer_id,
        item.created_at,
        title=item.subject,
        summary=f"{item.type} · {item.priority}",
        status=str(item.status),
        actor_id=item.created_by,
    )


def of_task(item: Task) -> TimelineEntry:
    return _entry(
        TimelineKind.TASK,
        item.id,
        item.customer_id,
        item.created_at,
        title=item.title,
        summary=_short(item.notes),
        status=str(item.status),
        actor_id=item.created_by,
    )


def of_purchase(item: Purchase) -> TimelineEntry:
    return _entry(
        TimelineKind.PURCHASE,
        item.id,
        item.customer_id,
        item.purchased_at,
        title=f"Order {item.order_number}",
        summary=f"{item.amount} {item.currency}",
        status=str(item.status),
        actor_id=item.recorded_by,
    )


def of_customer_event(
    event_id: str, customer_id: str, at: datetime, title: str, actor_id: str | None
) -> TimelineEntry:
    """A change of the customer record (from customer events): created, assigned, merged…"""
    return _entry(TimelineKind.CUSTOMER, event_id, customer_id, at, title=title, actor_id=actor_id)
