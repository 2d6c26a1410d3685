"""GraphQL of ticket lists: `tickets` and `myTickets`, and `Customer.tickets` /
`Customer.openTickets` (batched per `_entities` call). Every list takes
`(filter: TicketFilterInput, orderBy: TicketOrderInput, first, after)`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Annotated

import strawberry
from strawberry.dataloader import DataLoader

from crm_interaction import access
from crm_interaction.graphql.context import Info
from crm_interaction.graphql.loaders import per_customer, per_customer_and_arguments
from crm_interaction.shared.listing import KeysetOrder, OrderedAfter, Page, Position, empty_page
from crm_interaction.tickets.inputs import (
    NEWEST_FIRST,
    TicketFilterInput,
    TicketOrderInput,
    ticket_filter,
)
from crm_interaction.tickets.model import OPEN_STATUSES, Ticket
from crm_interaction.tickets.queries import TicketFilter
from crm_interaction.tickets.types import TicketConnection, TicketEdge, TicketType
from crm_kit.graphql import PageFirst, page_info
from crm_kit.paging import page_size

type TicketArgs = tuple[TicketFilter, KeysetOrder, int, Position | None]

_ORDER = "The order: `{field: CREATED_AT, direction: DESC}` (newest first) when omitted or null."
_ERRORS = (
    "Errors: BAD_USER_INPUT (`filter.created.to` OUT_OF_RANGE; `first` OUT_OF_RANGE; `after` "
    "INVALID_CURSOR, also for a cursor of another `orderBy`)"
)
Filter = Annotated[
    TicketFilterInput | None,
    strawberry.argument(description="Which tickets; every one the list holds when omitted."),
]
OrderBy = Annotated[TicketOrderInput | None, strawberry.argument(description=_ORDER)]


def _pages(info: Info) -> DataLoader[tuple[str, TicketArgs], Page[Ticket]]:
    queries = info.context.deps.ticket_queries

    async def fetch(arguments: TicketArgs, customer_ids: list[str]) -> dict[str, Page[Ticket]]:
        where, order, first, after = arguments
        return await queries.pages(where, customer_ids, order, first, after)

    return per_customer_and_arguments(info, "ticketPages", fetch, empty_page)


def _counts(info: Info) -> DataLoader[tuple[str, TicketFilter], int]:
    queries = info.context.deps.ticket_queries

    async def fetch(where: TicketFilter, customer_ids: list[str]) -> dict[str, int]:
        return await queries.counts(where, customer_ids)

    return per_customer_and_arguments(info, "ticketCounts", fetch, int)


def _open(info: Info) -> DataLoader[str, list[Ticket]]:
    return per_customer(
        info, "openTickets", info.context.deps.ticket_queries.open_for_customers, list
    )


def _connection(
    page: Page[Ticket], position: Position | None, count: Callable[[], Awaitable[int]]
) -> TicketConnection:
    edges = [
        TicketEdge(cursor=cursor, node=TicketType.from_domain(t))
        for t, cursor in zip(page.items, page.cursors, strict=True)
    ]
    return TicketConnection(
        edges=edges,
        page_info=page_info(page.cursors, page.has_next, position is not None),
        count=count,
    )


async def _page(
    info: Info,
    where: TicketFilter,
    order_by: TicketOrderInput | None,
    first: int | None,
    after: str | None,
) -> TicketConnection:
    queries = info.context.deps.ticket_queries
    order = (order_by or NEWEST_FIRST).to_order()
    size = page_size(first)
    position = order.position(after)
    page = await queries.page(where, order, size, position)
    return _connection(page, position, lambda: queries.count(where))


async def customer_tickets(  # noqa: PLR0917 - the field's arguments
    info: Info,
    customer_id: str,
    filter: TicketFilterInput | None,
    order_by: TicketOrderInput | None,
    first: int | None,
    after: str | None,
) -> TicketConnection:
    """`Customer.tickets`: the page and the count each come from one aggregate for the whole
    `_entities` batch; the filter's `customerId` can only narrow the list (to nothing)."""
    _ = info.context.principal
    where = ticket_filter(filter)
    order = (order_by or NEWEST_FIRST).to_order()
    size = page_size(first)
    position = order.position(after)
    page = await _pages(info).load((customer_id, (where, order, size, position)))
    return _connection(page, position, lambda: _counts(info).load((customer_id, where)))


async def customer_open_tickets(info: Info, customer_id: str) -> list[TicketType]:
    """`Customer.openTickets`: newest first, one aggregate for the whole batch."""
    _ = info.context.principal
    return [TicketType.from_domain(t) for t in await _open(info).load(customer_id)]


@strawberry.type
class TicketListQuery:
    @strawberry.field(
        description="Tickets matching a filter, in the order asked for (newest first by "
        "default), among those the caller's ticket list scope reaches (FORBIDDEN for a role "
        f"without one). {_ERRORS}, FORBIDDEN."
    )
    async def tickets(
        self,
        info: Info,
        filter: Filter = None,
        order_by: OrderBy = NEWEST_FIRST,
        first: PageFirst = 20,
        after: OrderedAfter = None,
    ) -> TicketConnection:
        where = replace(ticket_filter(filter), access=await access.ticket_access(info.context))
        return await _page(info, where, order_by, first, after)

    @strawberry.field(
        description="Tickets assigned to the caller, whatever the filter says (its `assigneeId` "
        "can only narrow the list, to nothing for another id): the open ones (NEW, ASSIGNED, "
        "IN_PROGRESS, WAITING_CUSTOMER) unless `filter.statuses` names others; newest first by "
        f"default. {_ERRORS}."
    )
    async def my_tickets(
        self,
        info: Info,
        filter: Filter = None,
        order_by: OrderBy = NEWEST_FIRST,
        first: PageFirst = 20,
        after: OrderedAfter = None,
    ) -> TicketConnection:
        where = replace(ticket_filter(filter), assigned_to=info.context.principal.sub)
        if not where.statuses:
            where = replace(where, statuses=tuple(sorted(OPEN_STATUSES)))
        return await _page(info, where, order_by, first, after)
