"""GraphQL types of service tickets: the ticket with its SLA clock and comments, and the
inputs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import strawberry

from crm_interaction.graphql.context import Info
from crm_interaction.graphql.customer_ref import CustomerEntity, customer_ref
from crm_interaction.tickets import model as tickets
from crm_interaction.tickets import sla
from crm_interaction.tickets.queries import TicketFilter
from crm_kit.graphql import PageInfo

strawberry.enum(tickets.TicketType, description="What the customer needs")
strawberry.enum(sla.Priority, description="Ticket priority (selects the SLA policy)")
strawberry.enum(tickets.TicketStatus, description="Ticket workflow state")
strawberry.enum(sla.SlaState, description="Where a ticket stands against its SLA")
strawberry.enum(sla.SlaTarget, description="Which SLA target")
strawberry.enum(tickets.AssignStrategy, description="How an agent of a team is chosen")


@strawberry.type(description="A ticket's SLA clock (times in UTC; working time per calendar)")
class TicketSla:
    state: sla.SlaState
    first_response_due_at: datetime
    first_responded_at: datetime | None
    first_response_breached: bool
    resolution_due_at: datetime | None = strawberry.field(
        description="null while paused (WAITING_CUSTOMER) or resolved"
    )
    resolution_breached: bool
    paused: bool
    resolution_used_minutes: float = strawberry.field(
        description="Working minutes used before the current running stretch"
    )


@strawberry.type(name="TicketComment")
class TicketCommentType:
    id: strawberry.ID
    ticket_id: strawberry.ID
    author_id: str
    body: str
    customer_visible: bool
    created_at: datetime

    @classmethod
    def from_domain(cls, c: tickets.Comment) -> TicketCommentType:
        return cls(
            id=strawberry.ID(c.id),
            ticket_id=strawberry.ID(c.ticket_id),
            author_id=c.author_id,
            body=c.body,
            customer_visible=c.customer_visible,
            created_at=c.created_at,
        )


@strawberry.type(name="Ticket", description="A service ticket")
class TicketType:
    id: strawberry.ID
    customer_id: strawberry.ID
    type: tickets.TicketType
    priority: sla.Priority
    status: tickets.TicketStatus
    subject: str
    description: str
    team: str | None
    assignee_id: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int
    resolution: str | None
    resolved_at: datetime | None
    closed_at: datetime | None
    reopen_count: int
    rating: int | None
    rating_comment: str | None
    rated_at: datetime | None
    sla: TicketSla
    allowed_next_statuses: list[tickets.TicketStatus]

    @strawberry.field(description="Comments, oldest first")
    async def comments(
        self, info: Info, customer_visible_only: bool = False
    ) -> list[TicketCommentType]:
        _ = info.context.principal
        found = await info.context.deps.ticket_queries.comments(str(self.id), customer_visible_only)
        return [TicketCommentType.from_domain(c) for c in found]

    @strawberry.field(description="The customer (resolved by the customer subgraph)")
    def customer(self) -> CustomerEntity:
        return customer_ref(str(self.customer_id))

    @classmethod
    def from_domain(cls, t: tickets.Ticket) -> TicketType:
        return cls(
            id=strawberry.ID(t.id),
            customer_id=strawberry.ID(t.customer_id),
            type=t.type,
            priority=t.priority,
            status=t.status,
            subject=t.subject,
            description=t.description,
            team=t.team,
            assignee_id=t.assignee_id,
            created_by=t.created_by,
            created_at=t.created_at,
            updated_at=t.updated_at,
            version=t.version,
            resolution=t.resolution,
            resolved_at=t.resolved_at,
            closed_at=t.closed_at,
            reopen_count=t.reopen_count,
            rating=t.rating,
            rating_comment=t.rating_comment,
            rated_at=t.rated_at,
            sla=TicketSla(
                state=t.sla_state(),
                first_response_due_at=t.first_response_due_at,
                first_responded_at=t.first_responded_at,
                first_response_breached=t.first_response_breached,
                resolution_due_at=t.resolution_due_at,
                resolution_breached=t.resolution_breached,
                paused=t.status is tickets.TicketStatus.WAITING_CUSTOMER,
                resolution_used_minutes=round(t.resolution_used_seconds / 60, 2),
            ),
            allowed_next_statuses=list(tickets.allowed_next(t.status)),
        )


@strawberry.type
class TicketEdge:
    cursor: str
    node: TicketType


@strawberry.type(description="Tickets, newest first")
class TicketConnection:
    edges: list[TicketEdge]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="All tickets matching the filter, not only this page")
    async def total_count(self) -> int:
        return await self.count()


@strawberry.input
class CreateTicketInput:
    customer_id: strawberry.ID
    type: tickets.TicketType
    priority: sla.Priority = sla.Priority.NORMAL
    subject: str
    description: str = ""
    team: str | None = None
    assignee_id: str | None = None
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Retrying with the same key returns the first ticket, creates nothing",
    )

    def to_command(self) -> tickets.OpenTicket:
        return tickets.OpenTicket(
            customer_id=str(self.customer_id),
            type=self.type,
            priority=self.priority,
            subject=self.subject,
            description=self.description,
            team=self.team,
            assignee_id=self.assignee_id,
        )


@strawberry.input
class TicketFilterInput:
    customer_id: strawberry.ID | None = None
    statuses: list[tickets.TicketStatus] | None = None
    priorities: list[sla.Priority] | None = None
    types: list[tickets.TicketType] | None = None
    team: str | None = None
    assignee_id: str | None = None
    breached_only: bool = False

    def to_filter(self) -> TicketFilter:
        return TicketFilter(
            customer_id=str(self.customer_id) if self.customer_id else None,
            statuses=tuple(self.statuses or ()),
            priorities=tuple(self.priorities or ()),
            types=tuple(self.types or ()),
            team=self.team,
            assignee_id=self.assignee_id,
            breached_only=self.breached_only,
        )
