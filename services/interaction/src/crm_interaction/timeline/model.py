"""The customer timeline: one entry per item, written with the item in the same transaction.

Entries live in one collection keyed `<kind>:<item id>` and ordered by (at desc, id desc), so
a page of a customer's feed (optionally of some kinds) is one index-served query. Each feature
says how its items appear here (`timeline_entry` in its model); changes of the customer record
itself come from customer events (`of_customer_event`). Pure data, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

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


def summary_of(text: str | None) -> str | None:
    """The text shortened to a summary (None when there is none)."""
    if not text:
        return None
    return text if len(text) <= SUMMARY_MAX_CHARS else text[: SUMMARY_MAX_CHARS - 1] + "…"


def entry_id(kind: TimelineKind, ref_id: str) -> str:
    return f"{kind}:{ref_id}"


def of_customer_event(
    event_id: str, customer_id: str, at: datetime, title: str, actor_id: str | None
) -> TimelineEntry:
    """A change of the customer record (from customer events): created, assigned, merged…"""
    return TimelineEntry(
        id=entry_id(TimelineKind.CUSTOMER, event_id),
        customer_id=customer_id,
        kind=TimelineKind.CUSTOMER,
        ref_id=event_id,
        at=at,
        title=title,
        summary=None,
        status=None,
        actor_id=actor_id,
    )
