"""GraphQL of the customer timeline: `Customer.timeline(filter, first, after)`, one feed of
interactions, purchases, tickets, tasks, changes of the customer record and won or lost sales
opportunities, newest first (batched per `_entities` call)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import strawberry
from strawberry.dataloader import DataLoader

from crm_interaction.graphql.context import Info
from crm_interaction.graphql.loaders import per_customer_and_arguments
from crm_interaction.graphql.staff_ref import StaffMember, staff_ref
from crm_interaction.shared.listing import bounds
from crm_interaction.timeline import model as timeline
from crm_interaction.timeline.model import TimelineEntry, TimelineKind
from crm_interaction.timeline.queries import TimelineFilter
from crm_kit.graphql import PageInfo, described_enum, page_info
from crm_kit.listing import DateTimeRangeInput
from crm_kit.paging import Keyset, decode_cursor, encode_cursor, page_size

described_enum(
    TimelineKind,
    "What a timeline item is",
    {
        TimelineKind.INTERACTION: "A contact with the customer.",
        TimelineKind.PURCHASE: "A purchase.",
        TimelineKind.TICKET: "A service ticket.",
        TimelineKind.TASK: "A follow-up task.",
        TimelineKind.CUSTOMER: "A change of the customer record (created, assigned, merged, …); "
        "its refId is the event's id.",
        TimelineKind.OPPORTUNITY_WON: "A sales opportunity won (from the sales service): its "
        "name, amount and currency, and owner; refId is the opportunity's id. One item per "
        "opportunity: won again after a reopen, the item is updated.",
        TimelineKind.OPPORTUNITY_LOST: "A sales opportunity lost (from the sales service), "
        "shown like OPPORTUNITY_WON. An opportunity has at most one of the two items: its "
        "latest outcome.",
    },
)


@strawberry.type(name="TimelineItem", description="One item of a customer's history")
class TimelineItemType:
    id: strawberry.ID = strawberry.field(description="The item's id: `<kind>:<refId>`.")
    kind: timeline.TimelineKind = strawberry.field(description="What the item is.")
    ref_id: strawberry.ID = strawberry.field(
        description="Id of the interaction/ticket/task/... (of a won or lost opportunity: the "
        "opportunity's id)."
    )
    at: datetime = strawberry.field(
        description="When it happened, the feed's order: an interaction's occurredAt, a "
        "purchase's purchasedAt, when a ticket or task was created, when the customer changed, "
        "when an opportunity was won or lost."
    )
    title: str = strawberry.field(
        description="One line: the subject or title (an interaction without a subject: "
        "`<CHANNEL> <direction>`; a purchase: `Order <orderNumber>`; a won or lost "
        "opportunity: its name)."
    )
    summary: str | None = strawberry.field(
        description=f"At most {timeline.SUMMARY_MAX_CHARS} characters of an interaction's "
        "content or a task's notes, a purchase's or a won or lost opportunity's amount and "
        "currency (`<decimal> <ISO 4217>`), a ticket's type and priority; null when there is "
        "none."
    )
    status: str | None = strawberry.field(
        description="A ticket's, task's or purchase's current status, an interaction's "
        "channel, `WON` or `LOST` for an opportunity; null for a customer change."
    )
    actor_id: strawberry.ID | None = strawberry.field(
        description="Staff id of who logged, recorded or created the item, or changed the "
        "customer, or a won or lost opportunity's owner (see `actor`); null when unknown."
    )

    @classmethod
    def from_domain(cls, e: timeline.TimelineEntry) -> TimelineItemType:
        return cls(
            id=strawberry.ID(e.id),
            kind=e.kind,
            ref_id=strawberry.ID(e.ref_id),
            at=e.at,
            title=e.title,
            summary=e.summary,
            status=e.status,
            actor_id=strawberry.ID(e.actor_id) if e.actor_id else None,
        )

    @strawberry.field(
        description="The staff member who logged, recorded or created the item, or changed the "
        "customer, or owns the won or lost opportunity (`actorId` resolved by the customer "
        "subgraph); null when unknown or the id is not in the staff directory."
    )
    def actor(self) -> StaffMember | None:
        return staff_ref(self.actor_id)


@strawberry.input(
    description="Which items of a customer's timeline: every field given must hold (an "
    "omitted field, or an empty list, matches every item)."
)
class TimelineFilterInput:
    kinds: list[timeline.TimelineKind] | None = strawberry.field(
        default=None, description="Only items of one of these kinds."
    )
    at: DateTimeRangeInput | None = strawberry.field(
        default=None,
        description="Only items that happened in this range (`at`, half open; either end may "
        "be omitted). A reversed range is BAD_USER_INPUT (`filter.at.to` OUT_OF_RANGE).",
    )

    def to_filter(self) -> TimelineFilter:
        return TimelineFilter(kinds=tuple(self.kinds or ()), at=bounds(self.at, "filter.at"))


@strawberry.type(description="A timeline item and its cursor.")
class TimelineEdge:
    cursor: str = strawberry.field(description="Its position, for `after`.")
    node: TimelineItemType = strawberry.field(description="The item.")


@strawberry.type(description="A customer's history, newest first")
class TimelineConnection:
    edges: list[TimelineEdge] = strawberry.field(description="This page's items, newest first.")
    page_info: PageInfo = strawberry.field(description="Where to continue.")
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(
        description="All items of the customer matching the filter, not only this page"
    )
    async def total_count(self) -> int:
        # Counted only when asked for: on a large feed the count costs more than the page.
        return await self.count()


type TimelineArgs = tuple[int, Keyset | None, TimelineFilter]


def _pages(
    info: Info,
) -> DataLoader[tuple[str, TimelineArgs], tuple[list[TimelineEntry], bool]]:
    queries = info.context.deps.timeline

    async def fetch(
        arguments: TimelineArgs, customer_ids: list[str]
    ) -> dict[str, tuple[list[TimelineEntry], bool]]:
        first, after, where = arguments
        return await queries.pages(customer_ids, first, after, where)

    return per_customer_and_arguments(info, "timelinePages", fetch, lambda: ([], False))


def _counts(info: Info) -> DataLoader[tuple[str, TimelineFilter], int]:
    queries = info.context.deps.timeline

    async def fetch(where: TimelineFilter, customer_ids: list[str]) -> dict[str, int]:
        return await queries.counts(customer_ids, where)

    return per_customer_and_arguments(info, "timelineCounts", fetch, int)


async def customer_timeline(
    info: Info,
    customer_id: str,
    filter: TimelineFilterInput | None,
    first: int | None,
    after: str | None,
) -> TimelineConnection:
    """`Customer.timeline`: the page comes from one aggregate for the whole batch."""
    _ = info.context.principal
    where = filter.to_filter() if filter is not None else TimelineFilter()
    size = page_size(first)
    position = decode_cursor(after) if after else None
    items, has_next = await _pages(info).load((customer_id, (size, position, where)))
    edges = [
        TimelineEdge(cursor=encode_cursor(Keyset(e.at, e.id)), node=TimelineItemType.from_domain(e))
        for e in items
    ]
    return TimelineConnection(
        edges=edges,
        page_info=page_info([e.cursor for e in edges], has_next, position is not None),
        count=lambda: _counts(info).load((customer_id, where)),
    )
