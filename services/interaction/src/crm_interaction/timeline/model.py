"""The customer timeline: one entry per item, written with the item in the same transaction.

Entries live in one collection keyed `<kind>:<item id>` and ordered by (at desc, id desc), so
a page of a customer's feed (optionally of some kinds) is one index-served query. Each feature
says how its items appear here (`timeline_entry` in its model); changes of the customer record
itself come from customer events (`of_customer_event`), and sales opportunities won or lost from
opportunity events (`of_opportunity_closing`: one entry per opportunity, its latest outcome;
a deal merged into another is folded into the survivor's entry, `folded_closing`).
Pure data, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

SUMMARY_MAX_CHARS = 200


class TimelineKind(StrEnum):
    INTERACTION = "INTERACTION"
    PURCHASE = "PURCHASE"
    TICKET = "TICKET"
    TASK = "TASK"
    CUSTOMER = "CUSTOMER"
    OPPORTUNITY_WON = "OPPORTUNITY_WON"
    OPPORTUNITY_LOST = "OPPORTUNITY_LOST"


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
    # The version of the item in its source, for items written from another service's events
    # (an older version arriving late changes nothing); None for this service's own items.
    ref_version: int | None = None


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


@dataclass(frozen=True, slots=True)
class OpportunityClosing:
    """A sales opportunity won or lost, as its event reports it (`amount` a decimal string)."""

    opportunity_id: str
    customer_id: str
    name: str
    won: bool
    amount: str | None
    currency: str | None
    owner_id: str | None
    closed_at: datetime
    version: int

    @property
    def kind(self) -> TimelineKind:
        return TimelineKind.OPPORTUNITY_WON if self.won else TimelineKind.OPPORTUNITY_LOST

    @property
    def other_kind(self) -> TimelineKind:
        """The closing kind this one replaces (a won deal reopened and lost, or the reverse)."""
        return TimelineKind.OPPORTUNITY_LOST if self.won else TimelineKind.OPPORTUNITY_WON


def of_opportunity_closing(closing: OpportunityClosing, customer_id: str) -> TimelineEntry:
    """A won or lost opportunity on the timeline of `customer_id` (the survivor of a merge):
    its name, its amount and currency, WON or LOST, its owner, at its closing time."""
    amount = f"{closing.amount} {closing.currency}" if closing.amount and closing.currency else None
    return TimelineEntry(
        id=entry_id(closing.kind, closing.opportunity_id),
        customer_id=customer_id,
        kind=closing.kind,
        ref_id=closing.opportunity_id,
        at=closing.closed_at,
        title=summary_of(closing.name) or closing.opportunity_id,
        summary=amount,
        status="WON" if closing.won else "LOST",
        actor_id=closing.owner_id,
        ref_version=closing.version,
    )


@dataclass(frozen=True, slots=True)
class OpportunityMerge:
    """A sales opportunity merged into another deal of the same customer, as its event
    reports it: `survivor_version` is the survivor's version after the merge."""

    survivor_id: str
    survivor_version: int
    merged_id: str


def folded_closing(
    merged: TimelineEntry, rival: TimelineEntry | None, survivor_id: str, survivor_version: int
) -> TimelineEntry | None:
    """The survivor's closing entry once the closing of a deal merged into it is folded in:
    the merged deal's closing, now the survivor's (its id, its versions), when it closed
    later than the survivor's own `rival` or the survivor has none; None when the rival
    stays. One deal, one entry: its latest outcome, as for a deal reopened and closed again.

    The folded entry carries at least `survivor_version`: a closing of the survivor from
    before the merge, arriving late, changes nothing; one after the merge replaces it."""
    if rival is not None and rival.at >= merged.at:
        return None
    floor = rival.ref_version if rival is not None and rival.ref_version is not None else 0
    return replace(
        merged,
        id=entry_id(merged.kind, survivor_id),
        ref_id=survivor_id,
        ref_version=max(survivor_version, floor),
    )
