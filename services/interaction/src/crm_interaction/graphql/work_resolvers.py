"""Resolvers for tickets, tasks and purchases: authenticate, translate, shape the result."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from crm_interaction import access, purchase_services, task_services, ticket_services
from crm_interaction.analytics import model as analytics
from crm_interaction.graphql import cursors, loaders
from crm_interaction.graphql.analytics_types import ServiceAnalyticsType
from crm_interaction.graphql.context import Info
from crm_interaction.graphql.resolvers import DEFAULT_PAGE_SIZE
from crm_interaction.graphql.task_types import (
    CreateTaskInput,
    PurchaseType,
    RecordPurchaseInput,
    RecordPurchasePayload,
    TaskConnection,
    TaskEdge,
    TaskType,
    UpdateTaskInput,
)
from crm_interaction.graphql.ticket_types import (
    CreateTicketInput,
    TicketCommentType,
    TicketConnection,
    TicketEdge,
    TicketFilterInput,
    TicketType,
)
from crm_interaction.shared.clock import to_storage_time
from crm_interaction.shared.paging import Keyset
from crm_interaction.tasks.model import TaskStatus
from crm_interaction.ticket_views import TicketFilter
from crm_interaction.tickets.model import OPEN_STATUSES, AssignStrategy, Ticket, TicketStatus
from crm_kit.errors import NotFound
from crm_kit.policy import Action, Resource


def page_size(first: int | None) -> int:
    """BAD_USER_INPUT below 0 or above the page limit (MAX_PAGE_SIZE, 100 by default)."""
    return access.page_size(first, DEFAULT_PAGE_SIZE)


def ticket_connection(
    items: list[Ticket], has_next: bool, position: Keyset | None, where: TicketFilter
) -> TicketConnection:
    edges = [
        TicketEdge(
            cursor=cursors.encode(Keyset(t.created_at, t.id)), node=TicketType.from_domain(t)
        )
        for t in items
    ]
    return TicketConnection(
        edges=edges,
        page_info=cursors.page_info([e.cursor for e in edges], has_next, position is not None),
        where=where,
    )


async def ticket(info: Info, id: str) -> TicketType:
    _ = info.context.principal
    found = await info.context.deps.tickets.get(id)
    if found is None:
        raise NotFound("Ticket", id)
    await access.require_ticket(info.context, found)
    return TicketType.from_domain(found)


async def ticket_page(
    info: Info, where: TicketFilter, first: int | None, after: str | None
) -> TicketConnection:
    size = page_size(first)
    position = cursors.decode(after) if after else None
    views = info.context.deps.ticket_views
    items, has_next = await views.page(where, size, position)
    return ticket_connection(items, has_next, position, where)


async def customer_ticket_page(
    info: Info,
    customer_id: str,
    statuses: tuple[TicketStatus, ...],
    first: int | None,
    after: str | None,
) -> TicketConnection:
    """`Customer.tickets`: the page comes from one aggregate for the whole `_entities` batch."""
    size = page_size(first)
    position = cursors.decode(after) if after else None
    per_status = TicketFilter(statuses=statuses)
    items, has_next = await loaders.ticket_pages(info).load(
        (customer_id, (per_status, size, position))
    )
    where = TicketFilter(customer_id=customer_id, statuses=statuses)
    return ticket_connection(items, has_next, position, where)


def to_filter(value: TicketFilterInput | None) -> TicketFilter:
    if value is None:
        return TicketFilter()
    return TicketFilter(
        customer_id=str(value.customer_id) if value.customer_id else None,
        statuses=tuple(value.statuses or ()),
        priorities=tuple(value.priorities or ()),
        types=tuple(value.types or ()),
        team=value.team,
        assignee_id=value.assignee_id,
        breached_only=value.breached_only,
    )


async def tickets(
    info: Info, filter: TicketFilterInput | None, first: int | None, after: str | None
) -> TicketConnection:
    scoped = replace(to_filter(filter), access=await access.ticket_access(info.context))
    return await ticket_page(info, scoped, first, after)


async def my_tickets(
    info: Info, statuses: list[TicketStatus] | None, first: int | None, after: str | None
) -> TicketConnection:
    principal = info.context.principal
    where = TicketFilter(
        assignee_id=principal.sub, statuses=tuple(statuses or sorted(OPEN_STATUSES))
    )
    return await ticket_page(info, where, first, after)


async def create_ticket(info: Info, input: CreateTicketInput) -> TicketType:
    await access.require_for_write(
        info.context, str(input.customer_id), Action.CREATE, Resource.TICKET
    )
    created = await ticket_services.open_ticket(
        info.context.deps, info.context.principal, input.to_command(), input.idempotency_key
    )
    return TicketType.from_domain(created)


async def assign_ticket(
    info: Info,
    id: str,
    *,
    agent_id: str | None,
    team: str | None,
    strategy: AssignStrategy,
    expected_version: int | None,
) -> TicketType:
    await access.require_ticket_id(info.context, id, Action.ASSIGN)
    assigned = await ticket_services.assign_ticket(
        info.context.deps,
        info.context.principal,
        id,
        agent_id=agent_id,
        team=team,
        strategy=strategy,
        expected_version=expected_version,
    )
    return TicketType.from_domain(assigned)


async def change_ticket_status(
    info: Info,
    id: str,
    status: TicketStatus,
    resolution: str | None,
    expected_version: int | None,
) -> TicketType:
    await access.require_ticket_id(info.context, id, Action.UPDATE)
    changed = await ticket_services.change_status(
        info.context.deps,
        info.context.principal,
        id,
        status,
        resolution=resolution,
        expected_version=expected_version,
    )
    return TicketType.from_domain(changed)


async def add_ticket_comment(
    info: Info, id: str, body: str, customer_visible: bool, idempotency_key: str | None = None
) -> TicketCommentType:
    await access.require_ticket_id(info.context, id, Action.UPDATE)
    comment = await ticket_services.add_comment(
        info.context.deps, info.context.principal, id, body, customer_visible, idempotency_key
    )
    return TicketCommentType.from_domain(comment)


async def rate_ticket(info: Info, id: str, rating: int, comment: str | None) -> TicketType:
    await access.require_ticket_id(info.context, id, Action.UPDATE)
    rated = await ticket_services.rate_ticket(
        info.context.deps, info.context.principal, id, rating, comment
    )
    return TicketType.from_domain(rated)


async def set_service_agent(info: Info, agent_id: str, team: str, active: bool) -> bool:
    await ticket_services.set_agent(
        info.context.deps, info.context.principal, agent_id, team, active
    )
    return True


async def create_task(info: Info, input: CreateTaskInput) -> TaskType:
    await access.require_for_write(
        info.context, str(input.customer_id), Action.CREATE, Resource.TASK
    )
    created = await task_services.create_task(
        info.context.deps, info.context.principal, input.to_command(), input.idempotency_key
    )
    return TaskType.from_domain(created)


async def update_task(
    info: Info, id: str, input: UpdateTaskInput, expected_version: int | None
) -> TaskType:
    await access.require_task(info.context, id, Action.UPDATE)
    changed = await task_services.update_task(
        info.context.deps, info.context.principal, id, input.to_changes(), expected_version
    )
    return TaskType.from_domain(changed)


async def finish_task(
    info: Info, id: str, status: TaskStatus, expected_version: int | None
) -> TaskType:
    await access.require_task(info.context, id, Action.UPDATE)
    done = await task_services.finish_task(
        info.context.deps, info.context.principal, id, status, expected_version
    )
    return TaskType.from_domain(done)


async def my_tasks(info: Info, status: TaskStatus, first: int | None) -> TaskConnection:
    principal = info.context.principal
    size = page_size(first)
    found = await info.context.deps.tasks.for_assignee(principal.sub, [str(status)], size + 1)
    edges = [
        TaskEdge(cursor=cursors.encode(Keyset(t.due_at, t.id)), node=TaskType.from_domain(t))
        for t in found[:size]
    ]
    total = await info.context.deps.tasks.count_for_assignee(principal.sub, [str(status)])
    return TaskConnection(
        edges=edges,
        page_info=cursors.page_info([e.cursor for e in edges], len(found) > size, False),
        total_count=total,
    )


async def record_purchase(info: Info, input: RecordPurchaseInput) -> RecordPurchasePayload:
    await access.require_for_write(
        info.context, str(input.customer_id), Action.CREATE, Resource.INTERACTION
    )
    purchase, changed = await purchase_services.record_purchase(
        info.context.deps, info.context.principal, input.to_command()
    )
    return RecordPurchasePayload(purchase=PurchaseType.from_domain(purchase), changed=changed)


async def service_analytics(
    info: Info, start: datetime, end: datetime, team: str | None
) -> ServiceAnalyticsType:
    analytics.check_range(info.context.principal, start, end)
    team = access.analytics_team(info.context.principal, team)
    views = info.context.deps.ticket_views
    computed = await views.service_analytics(to_storage_time(start), to_storage_time(end), team)
    return ServiceAnalyticsType.from_domain(computed)
