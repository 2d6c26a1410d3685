"""GraphQL of opportunity lists: `opportunities`, the batched per-customer and per-owner lists
that `Customer.opportunities` and `StaffMember.openOpportunities` are (one aggregate for the
pages and one for the counts of a whole `_entities` batch), and the kanban columns' cards
(one find per column). Every list holds only what the caller's opportunity list scope
reaches."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Annotated

import strawberry
from strawberry.dataloader import DataLoader

from crm_kit.graphql import PageFirst, page_info
from crm_kit.paging import page_size
from crm_sales import access
from crm_sales.graphql import loaders
from crm_sales.graphql.context import Info
from crm_sales.opportunities.inputs import (
    LATEST_FIRST,
    OpportunityFilterInput,
    OpportunityOrderInput,
    opportunity_filter,
)
from crm_sales.opportunities.queries import OpportunityFilter, OpportunityRecord, access_key
from crm_sales.opportunities.types import OpportunityConnection, OpportunityEdge, OpportunityType
from crm_sales.shared.listing import KeysetOrder, OrderedAfter, Page, Position, empty_page

type ListArgs = tuple[OpportunityFilter, KeysetOrder, int, Position | None]

ERRORS = (
    "Errors: BAD_USER_INPUT (`filter.expectedClose.to` OUT_OF_RANGE; `first` OUT_OF_RANGE; "
    "`after` INVALID_CURSOR, also for a cursor of another `orderBy`)"
)
Filter = Annotated[
    OpportunityFilterInput | None,
    strawberry.argument(description="Which opportunities; every one the list holds when omitted."),
]
OrderBy = Annotated[
    OpportunityOrderInput | None,
    strawberry.argument(
        description="The order: `{field: UPDATED_AT, direction: DESC}` when omitted or null."
    ),
]


def scoped(info: Info, where: OpportunityFilter) -> OpportunityFilter:
    """`where` within the caller's list scope (FORBIDDEN for a role without one)."""
    return replace(where, access=access_key(access.condition(info.context.principal)))


def connection(
    page: Page[OpportunityRecord], position: Position | None, count: Callable[[], Awaitable[int]]
) -> OpportunityConnection:
    edges = [
        OpportunityEdge(cursor=cursor, node=OpportunityType.of(record))
        for record, cursor in zip(page.items, page.cursors, strict=True)
    ]
    return OpportunityConnection(
        edges=edges,
        page_info=page_info(page.cursors, page.has_next, position is not None),
        count=count,
    )


async def list_page(
    info: Info,
    where: OpportunityFilter,
    order: KeysetOrder,
    first: int | None,
    after: str | None,
) -> OpportunityConnection:
    queries = info.context.deps.opportunity_queries
    size, position = page_size(first), order.position(after)
    page = await queries.page(where, order, size, position)
    return connection(page, position, lambda: queries.count(where))


def _pages(info: Info, key_field: str) -> DataLoader[tuple[str, ListArgs], Page[OpportunityRecord]]:
    queries = info.context.deps.opportunity_queries

    async def fetch(arguments: ListArgs, keys: list[str]) -> dict[str, Page[OpportunityRecord]]:
        where, order, first, after = arguments
        return await queries.pages(key_field, keys, where, order=order, first=first, after=after)

    return loaders.per_key_and_arguments(info, f"sales.pages.{key_field}", fetch, empty_page)


def _counts(info: Info, key_field: str) -> DataLoader[tuple[str, OpportunityFilter], int]:
    queries = info.context.deps.opportunity_queries

    async def fetch(where: OpportunityFilter, keys: list[str]) -> dict[str, int]:
        return await queries.counts(key_field, keys, where)

    return loaders.per_key_and_arguments(info, f"sales.counts.{key_field}", fetch, int)


async def keyed_page(  # noqa: PLR0917 - the field's arguments
    info: Info,
    key_field: str,
    key: str,
    where: OpportunityFilter,
    order: KeysetOrder,
    first: int | None,
    after: str | None,
) -> OpportunityConnection:
    """One customer's (`customerId`) or owner's (`ownerId`) page, batched with the others of
    the same request: its own filter can only narrow the list."""
    size, position = page_size(first), order.position(after)
    where = scoped(info, where)
    page = await _pages(info, key_field).load((key, (where, order, size, position)))
    return connection(page, position, lambda: _counts(info, key_field).load((key, where)))


def _columns(info: Info) -> DataLoader[tuple[str, ListArgs], Page[OpportunityRecord]]:
    queries = info.context.deps.opportunity_queries

    async def fetch(
        arguments: ListArgs, stage_ids: list[str]
    ) -> dict[str, Page[OpportunityRecord]]:
        where, order, first, after = arguments
        return await queries.column_pages(stage_ids, where, order=order, first=first, after=after)

    return loaders.per_key_and_arguments(info, "sales.columns", fetch, empty_page)


async def column_page(  # noqa: PLR0917 - the field's arguments
    info: Info,
    stage_id: str,
    where: OpportunityFilter,
    order: KeysetOrder,
    first: int | None,
    after: str | None,
    count: int,
) -> OpportunityConnection:
    """One kanban column's page, batched with the board's other columns; `count` is the
    column's count (the board's figure for the same filter: its `totalCount` costs no
    query)."""
    size, position = page_size(first), order.position(after)
    where = scoped(info, where)
    page = await _columns(info).load((stage_id, (where, order, size, position)))

    async def total() -> int:
        return count

    return connection(page, position, total)


@strawberry.type
class OpportunityListQuery:
    @strawberry.field(
        description="Opportunities matching a filter, in the order asked for (latest change "
        "first by default), among those the caller's list scope reaches: SALES their own (and "
        "their team's when team sharing is on), MANAGER their team's, ADMIN and ANALYST all; "
        f"FORBIDDEN for other roles. {ERRORS}, FORBIDDEN."
    )
    async def opportunities(
        self,
        info: Info,
        filter: Filter = None,
        order_by: OrderBy = LATEST_FIRST,
        first: PageFirst = 20,
        after: OrderedAfter = None,
    ) -> OpportunityConnection:
        where = scoped(info, opportunity_filter(filter))
        return await list_page(info, where, (order_by or LATEST_FIRST).to_order(), first, after)
