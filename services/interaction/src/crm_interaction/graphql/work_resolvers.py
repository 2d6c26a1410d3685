"""Resolvers for tickets, tasks and purchases: authenticate, translate, shape the result."""

from __future__ import annotations

from datetime import datetime

from crm_interaction import analytics, purchase_services, task_services, ticket_services
from crm_interaction.domain import to_storage_time
from crm_interaction.graphql import cursors
from crm_interaction.graphql.analytics_types import ServiceAnalyticsType
from crm_interaction.graphql.context import Info
from crm_interaction.graphql.task_types import (
    CreateTaskInput,
    PurchaseType,
    RecordPurchaseInput,
    RecordPurchasePayload,
    TaskConnection,
    TaskEdge,
    TaskType,
)
from crm_interaction.graphql.ticket_types import (
    CreateTicketInput,
    TicketCommentType,
    TicketConnection,
    TicketEdge,
    TicketFilterInput,
    TicketType,
)
from crm_interaction.tasks import TaskStatus
from crm_interaction.ticket_views import TicketFilter
from crm_interaction.tickets import OPEN_STATUSES, AssignStrategy, TicketStatus
from crm_interaction.views import Keyset
from crm_kit.errors import BadUserInput, NotFound
from crm_kit.graphql import PageInfo

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE_SIZE
    if first < 0:
        raise BadUserInput.single("first", "OUT_OF_RANGE", "first must not be negative")
    return min(first, MAX_PAGE_SIZE)


def page_info(cursors_: list[str], has_next: bool, has_previous: bool) -> PageInfo:
    return PageInfo(
        has_next_page=has_next,
        has_previous_page=has_previous,
        start_cursor=cursors_[0] if cursors_ else None,
        end_cursor=cursors_[-1] if cursors_ else None,
    )


async def ticket(info: Info, id: str) -> TicketType:
    _ = info.context.principal
    found = await info.context.deps.ticket_views.get(id)
    if found is None:
        raise NotFound("Ticket", id)
    return TicketType.from_domain(found)


async def ticket_page(
    info: Info, where: TicketFilter, first: int | None, after: str | None
) -> TicketConnection:
    size = page_size(first)
    position = cursors.decode(after) if after else None
    views = info.context.deps.ticket_views
    items, has_next = await views.page(where, size, position)
    edges = [
        TicketEdge(
            cursor=cursors.encode(Keyset(t.created_at, t.id)), node=TicketType.from_domain(t)
        )
        for t in items
    ]
    return TicketConnection(
        edges=edges,
        page_info=page_info([e.cursor for e in edges], has_next, position is not None),
        where=where,
    )


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
    _ = info.context.principal
    return await ticket_page(info, to_filter(filter), first, after)


async def my_tickets(
    info: Info, statuses: list[TicketStatus] | None, first: int | None, after: str | None
) -> TicketConnection:
    principal = info.context.principal
    where = TicketFilter(
        assignee_id=principal.sub, statuses=tuple(statuses or sorted(OPEN_STATUSES))
    )
    return await ticket_page(info, where, first, after)


async def create_ticket(info: Info, input: CreateTicketInput) -> TicketType:
    created = await ticket_services.open_ticket(
        info.context.deps, info.context.principal, input.to_command()
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
    info: Info, id: str, body: str, customer_visible: bool
) -> TicketCommentType:
    comment = await ticket_services.add_comment(
        info.context.deps, info.context.principal, id, body, customer_visible
    )
    return TicketCommentType.from_domain(comment)


async def rate_ticket(info: Info, id: str, rating: int, comment: str | None) -> TicketType:
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
    created = await task_services.create_task(
        info.context.deps, info.context.principal, input.to_command()
    )
    return TaskType.from_domain(created)


async def finish_task(
    info: Info, id: str, status: TaskStatus, expected_version: int | None
) -> TaskType:
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
        page_info=page_info([e.cursor for e in edges], len(found) > size, False),
        total_count=total,
    )


async def record_purchase(info: Info, input: RecordPurchaseInput) -> RecordPurchasePayload:
    purchase, changed = await purchase_services.record_purchase(
        info.context.deps, info.context.principal, input.to_command()
    )
    return RecordPurchasePayload(purchase=PurchaseType.from_domain(purchase), changed=changed)


async def service_analytics(
    info: Info, start: datetime, end: datetime, team: str | None
) -> ServiceAnalyticsType:
    analytics.check_range(info.context.principal, start, end)
    views = info.context.deps.ticket_views
    period = await views.created_between(to_storage_time(start), to_storage_time(end), team)
    load = await views.open_by_agent(team)
    return ServiceAnalyticsType.from_domain(analytics.compute(period, load))
