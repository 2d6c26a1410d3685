"""GraphQL of service tickets: `ticket(id)`, `tickets`, `myTickets`, the ticket mutations, and
`Customer.tickets` / `Customer.openTickets` (batched per `_entities` call)."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import strawberry
from strawberry.dataloader import DataLoader

from crm_interaction import access
from crm_interaction.graphql.context import Info
from crm_interaction.graphql.loaders import per_customer, per_customer_and_arguments
from crm_interaction.tickets.model import OPEN_STATUSES, AssignStrategy, Ticket, TicketStatus
from crm_interaction.tickets.queries import TicketFilter
from crm_interaction.tickets.service import Assignment
from crm_interaction.tickets.types import (
    CreateTicketInput,
    TicketCommentType,
    TicketConnection,
    TicketEdge,
    TicketFilterInput,
    TicketType,
)
from crm_kit.errors import NotFound
from crm_kit.graphql import page_info
from crm_kit.paging import Keyset, decode_cursor, encode_cursor, page_size
from crm_kit.policy import Action, Resource

type TicketArgs = tuple[TicketFilter, int, Keyset | None]


def _pages(info: Info) -> DataLoader[tuple[str, TicketArgs], tuple[list[Ticket], bool]]:
    queries = info.context.deps.ticket_queries

    async def fetch(
        arguments: TicketArgs, customer_ids: list[str]
    ) -> dict[str, tuple[list[Ticket], bool]]:
        where, first, after = arguments
        return await queries.pages(where, customer_ids, first, after)

    return per_customer_and_arguments(info, "ticketPages", fetch, lambda: ([], False))


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
    info: Info, page: tuple[list[Ticket], bool], position: Keyset | None, where: TicketFilter
) -> TicketConnection:
    items, has_next = page
    edges = [
        TicketEdge(cursor=encode_cursor(Keyset(t.created_at, t.id)), node=TicketType.from_domain(t))
        for t in items
    ]

    async def count() -> int:
        if where.customer_id and where == TicketFilter(
            customer_id=where.customer_id, statuses=where.statuses
        ):  # Customer.tickets: counted for the whole `_entities` batch at once
            per_status = TicketFilter(statuses=where.statuses)
            return await _counts(info).load((where.customer_id, per_status))
        return await info.context.deps.ticket_queries.count(where)

    return TicketConnection(
        edges=edges,
        page_info=page_info([e.cursor for e in edges], has_next, position is not None),
        count=count,
    )


async def _page(
    info: Info, where: TicketFilter, first: int | None, after: str | None
) -> TicketConnection:
    size = page_size(first)
    position = decode_cursor(after) if after else None
    page = await info.context.deps.ticket_queries.page(where, size, position)
    return _connection(info, page, position, where)


async def customer_tickets(
    info: Info,
    customer_id: str,
    statuses: tuple[TicketStatus, ...],
    first: int | None,
    after: str | None,
) -> TicketConnection:
    """`Customer.tickets`: the page comes from one aggregate for the whole `_entities` batch."""
    _ = info.context.principal
    size = page_size(first)
    position = decode_cursor(after) if after else None
    per_status = TicketFilter(statuses=statuses)
    page = await _pages(info).load((customer_id, (per_status, size, position)))
    where = TicketFilter(customer_id=customer_id, statuses=statuses)
    return _connection(info, page, position, where)


async def customer_open_tickets(info: Info, customer_id: str) -> list[TicketType]:
    """`Customer.openTickets`: newest first, one aggregate for the whole batch."""
    _ = info.context.principal
    return [TicketType.from_domain(t) for t in await _open(info).load(customer_id)]


@strawberry.type
class TicketQuery:
    @strawberry.field(description="One ticket by id")
    async def ticket(self, info: Info, id: strawberry.ID) -> TicketType | None:
        _ = info.context.principal
        found = await info.context.deps.ticket_queries.get(str(id))
        if found is None:
            raise NotFound("Ticket", str(id))
        await access.require_ticket(info.context, found)
        return TicketType.from_domain(found)

    @strawberry.field(description="Tickets matching a filter, newest first")
    async def tickets(
        self,
        info: Info,
        filter: TicketFilterInput | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> TicketConnection:
        where = filter.to_filter() if filter is not None else TicketFilter()
        scoped = replace(where, access=await access.ticket_access(info.context))
        return await _page(info, scoped, first, after)

    @strawberry.field(description="Tickets assigned to the caller (open ones by default)")
    async def my_tickets(
        self,
        info: Info,
        statuses: list[TicketStatus] | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> TicketConnection:
        principal = info.context.principal
        where = TicketFilter(
            assignee_id=principal.sub, statuses=tuple(statuses or sorted(OPEN_STATUSES))
        )
        return await _page(info, where, first, after)


@strawberry.type
class TicketMutation:
    @strawberry.mutation(description="Open a service ticket (SLA clock starts now)")
    async def create_ticket(self, info: Info, input: CreateTicketInput) -> TicketType:
        await access.require_for_write(
            info.context, str(input.customer_id), Action.CREATE, Resource.TICKET
        )
        created = await info.context.deps.tickets.open(
            info.context.principal, input.to_command(), input.idempotency_key
        )
        return TicketType.from_domain(created)

    @strawberry.mutation(
        description="Assign to an agent, or to a team's agent chosen by the strategy"
    )
    async def assign_ticket(  # noqa: PLR0917 - the mutation's arguments
        self,
        info: Info,
        id: strawberry.ID,
        agent_id: str | None = None,
        team: str | None = None,
        strategy: AssignStrategy = AssignStrategy.LEAST_LOADED,
        expected_version: int | None = None,
    ) -> TicketType:
        await access.require_ticket_id(info.context, str(id), Action.ASSIGN)
        assigned = await info.context.deps.tickets.assign(
            info.context.principal, str(id), Assignment(agent_id, team, strategy), expected_version
        )
        return TicketType.from_domain(assigned)

    @strawberry.mutation(description="Move a ticket along the workflow (or reopen it)")
    async def change_ticket_status(
        self,
        info: Info,
        id: strawberry.ID,
        status: TicketStatus,
        resolution: str | None = None,
        expected_version: int | None = None,
    ) -> TicketType:
        await access.require_ticket_id(info.context, str(id), Action.UPDATE)
        changed = await info.context.deps.tickets.change_status(
            info.context.principal,
            str(id),
            status,
            resolution=resolution,
            expected_version=expected_version,
        )
        return TicketType.from_domain(changed)

    @strawberry.mutation(description="Comment on a ticket (internal unless customerVisible)")
    async def add_ticket_comment(
        self,
        info: Info,
        id: strawberry.ID,
        body: str,
        customer_visible: bool = False,
        idempotency_key: Annotated[
            str | None,
            strawberry.argument(
                description="Retrying with the same key returns the first comment, adds nothing"
            ),
        ] = None,
    ) -> TicketCommentType:
        await access.require_ticket_id(info.context, str(id), Action.UPDATE)
        comment = await info.context.deps.tickets.add_comment(
            info.context.principal,
            str(id),
            body,
            customer_visible=customer_visible,
            idempotency_key=idempotency_key,
        )
        return TicketCommentType.from_domain(comment)

    @strawberry.mutation(description="Record the customer's satisfaction (1–5) after resolution")
    async def rate_ticket(
        self, info: Info, id: strawberry.ID, rating: int, comment: str | None = None
    ) -> TicketType:
        await access.require_ticket_id(info.context, str(id), Action.UPDATE)
        rated = await info.context.deps.tickets.rate(
            info.context.principal, str(id), rating, comment
        )
        return TicketType.from_domain(rated)

    @strawberry.mutation(description="Add, move or deactivate a service agent (ADMIN, MANAGER)")
    async def set_service_agent(
        self, info: Info, agent_id: str, team: str, active: bool = True
    ) -> bool:
        await info.context.deps.tickets.set_agent(info.context.principal, agent_id, team, active)
        return True
