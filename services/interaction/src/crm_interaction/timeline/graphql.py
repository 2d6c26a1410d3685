"""GraphQL of the customer timeline: `Customer.timeline`, one feed of interactions,
purchases, tickets, tasks and changes of the customer record, newest first (batched per
`_entities` call)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import strawberry
from strawberry.dataloader import DataLoader

from crm_interaction.graphql.context import Info
from crm_interaction.graphql.loaders import per_customer_and_arguments
from crm_interaction.timeline import model as timeline
from crm_interaction.timeline.model import TimelineEntry, TimelineKind
from crm_kit.graphql import PageInfo, page_info
from crm_kit.paging import Keyset, decode_cursor, encode_cursor, page_size

strawberry.enum(timeline.TimelineKind, description="What a timeline item is")


@strawberry.type(name="TimelineItem", description="One item of a customer's history")
class TimelineItemType:
    id: strawberry.ID
    kind: timeline.TimelineKind
    ref_id: strawberry.ID = strawberry.field(description="Id of the interaction/ticket/task/...")
    at: datetime
    title: str
    summary: str | None
    status: str | None
    actor_id: str | None

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
            actor_id=e.actor_id,
        )


@strawberry.type
class TimelineEdge:
    cursor: str
    node: TimelineItemType


@strawberry.type(description="A customer's history, newest first")
class TimelineConnection:
    edges: list[TimelineEdge]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="All items of the customer (of these kinds), not only this page")
    async def total_count(self) -> int:
        # Counted only when asked for: on a large feed the count costs more than the page.
        return await self.count()


type TimelineArgs = tuple[int, Keyset | None, tuple[TimelineKind, ...]]


def _pages(
    info: Info,
) -> DataLoader[tuple[str, TimelineArgs], tuple[list[TimelineEntry], bool]]:
    queries = info.context.deps.timeline

    async def fetch(
        arguments: TimelineArgs, customer_ids: list[str]
    ) -> dict[str, tuple[list[TimelineEntry], bool]]:
        first, after, kinds = arguments
        return await queries.pages(customer_ids, first, after, kinds)

    return per_customer_and_arguments(info, "timelinePages", fetch, lambda: ([], False))


def _counts(info: Info) -> DataLoader[tuple[str, tuple[TimelineKind, ...]], int]:
    queries = info.context.deps.timeline

    async def fetch(kinds: tuple[TimelineKind, ...], customer_ids: list[str]) -> dict[str, int]:
        return await queries.counts(customer_ids, kinds)

    return per_customer_and_arguments(info, "timelineCounts", fetch, int)


async def customer_timeline(
    info: Info,
    customer_id: str,
    first: int | None,
    after: str | None,
    kinds: list[TimelineKind] | None,
) -> TimelineConnection:
    """`Customer.timeline`: the page comes from one aggregate for the whole batch."""
    _ = info.context.principal
    size = page_size(first)
    position = decode_cursor(after) if after else None
    arguments = (size, position, tuple(kinds or ()))
    items, has_next = await _pages(info).load((customer_id, arguments))
    edges = [
        TimelineEdge(cursor=encode_cursor(Keyset(e.at, e.id)), node=TimelineItemType.from_domain(e))
        for e in items
    ]
    return TimelineConnection(
        edges=edges,
        page_info=page_info([e.cursor for e in edges], has_next, position is not None),
        count=lambda: _counts(info).load((customer_id, tuple(kinds or ()))),
    )
