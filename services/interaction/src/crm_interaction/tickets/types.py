"""GraphQL types of service tickets: the ticket with its SLA clock and comments (the inputs:
`inputs`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated

import strawberry

from crm_interaction.graphql.context import Info
from crm_interaction.graphql.customer_ref import CustomerEntity, customer_ref
from crm_interaction.graphql.staff_ref import StaffMember, staff_ref
from crm_interaction.tickets import model as tickets
from crm_interaction.tickets import sla
from crm_interaction.tickets.assignment import AssignmentStrategy
from crm_interaction.tickets.model import TicketStatus
from crm_interaction.tickets.sla import DEFAULT_POLICIES, Priority, SlaState
from crm_interaction.viewer.abilities import ticket_can
from crm_kit.graphql import PageInfo, described_enum
from crm_kit.policy import Action

described_enum(
    tickets.TicketType,
    "What the customer needs",
    {
        tickets.TicketType.INQUIRY: "A question.",
        tickets.TicketType.REQUEST: "A request for a service or a change.",
        tickets.TicketType.FAULT: "Something does not work.",
        tickets.TicketType.COMPLAINT: "A complaint (it weighs on the customer's churn risk).",
    },
)


def _targets(priority: Priority) -> str:
    policy = DEFAULT_POLICIES[priority]
    return (
        f"SLA by default: first response within {policy.first_response_minutes}, resolution "
        f"within {policy.resolution_minutes} working minutes (setting SLA_TARGETS)."
    )


described_enum(
    Priority,
    "Ticket priority (selects the SLA policy)",
    {p: _targets(p) for p in Priority},
)
_STATES = {
    TicketStatus.NEW: "Opened, not assigned yet.",
    TicketStatus.ASSIGNED: "An agent has it (assignTicket).",
    TicketStatus.IN_PROGRESS: "Being worked on (the first move here answers the first response).",
    TicketStatus.WAITING_CUSTOMER: "Waiting for the customer: the resolution clock is paused "
    "(a first move here also answers the first response).",
    TicketStatus.RESOLVED: "Solved: the resolution clock stops (IN_PROGRESS reopens it).",
    TicketStatus.CLOSED: "Finished (IN_PROGRESS reopens it).",
}
described_enum(
    TicketStatus,
    "Ticket workflow state",
    {s: f"{text} Next: {', '.join(tickets.allowed_next(s))}." for s, text in _STATES.items()},
)
described_enum(
    SlaState,
    "Where a ticket stands against its SLA",
    {
        SlaState.ON_TRACK: "Open, clock running, no target missed.",
        SlaState.PAUSED: "WAITING_CUSTOMER: the resolution clock stands still.",
        SlaState.BREACHED: "The first response or the resolution target was missed.",
        SlaState.MET: "RESOLVED or CLOSED with no target missed.",
    },
)
strawberry.enum(sla.SlaTarget, description="Which SLA target")
described_enum(
    AssignmentStrategy,
    "How an assignee is picked among a team's active members (see the argument or field "
    "taking it for whom and by which load).",
    {
        AssignmentStrategy.LEAST_LOADED: "The member with the least load now (an assignment "
        "rule: the fewest live customers, ties in turn; assignTicket: the fewest open tickets, "
        "ties by id).",
        AssignmentStrategy.ROUND_ROBIN: "The members in turn, in id order (an assignment rule "
        "keeps its counter).",
    },
)


@strawberry.type(description="A ticket's SLA clock (times in UTC; working time per calendar)")
class TicketSla:
    state: SlaState = strawberry.field(description="Where the ticket stands.")
    first_response_due_at: datetime = strawberry.field(
        description="When the first response is due: the priority's first-response minutes of "
        "working time after creation."
    )
    first_responded_at: datetime | None = strawberry.field(
        description="When it was first answered (the first move to IN_PROGRESS or "
        "WAITING_CUSTOMER, or the first customer-visible comment); null until then."
    )
    first_response_breached: bool = strawberry.field(
        description="The first response came after its due time, or never (the ticket was "
        "resolved or closed unanswered)."
    )
    resolution_due_at: datetime | None = strawberry.field(
        description="null while paused (WAITING_CUSTOMER) or resolved"
    )
    resolution_breached: bool = strawberry.field(
        description="Not RESOLVED by its due time, or CLOSED without being resolved."
    )
    paused: bool = strawberry.field(description="True while WAITING_CUSTOMER.")
    resolution_used_minutes: float = strawberry.field(
        description="Working minutes used before the current running stretch"
    )


@strawberry.type(name="TicketComment", description="A comment on a ticket.")
class TicketCommentType:
    id: strawberry.ID = strawberry.field(description="The comment's id.")
    ticket_id: strawberry.ID = strawberry.field(description="The ticket's id.")
    author_id: strawberry.ID = strawberry.field(
        description="Staff id of its author (see `author`)."
    )
    body: str = strawberry.field(description="The text.")
    customer_visible: bool = strawberry.field(
        description="Shown to the customer; false: an internal note."
    )
    created_at: datetime = strawberry.field(description="When it was written.")

    @classmethod
    def from_domain(cls, c: tickets.Comment) -> TicketCommentType:
        return cls(
            id=strawberry.ID(c.id),
            ticket_id=strawberry.ID(c.ticket_id),
            author_id=strawberry.ID(c.author_id),
            body=c.body,
            customer_visible=c.customer_visible,
            created_at=c.created_at,
        )

    @strawberry.field(
        description="The staff member who wrote it (`authorId` resolved by the customer subgraph); "
        "null when the id is not in the staff directory."
    )
    def author(self) -> StaffMember | None:
        return staff_ref(self.author_id)


@strawberry.type(name="Ticket", description="A service ticket")
class TicketType:
    id: strawberry.ID = strawberry.field(description="The ticket's id.")
    customer_id: strawberry.ID = strawberry.field(description="The customer's id.")
    type: tickets.TicketType = strawberry.field(description="What the customer needs.")
    priority: Priority = strawberry.field(description="Its priority (sets the SLA targets).")
    status: tickets.TicketStatus = strawberry.field(description="Where it is in the workflow.")
    subject: str = strawberry.field(description="A one-line summary.")
    description: str = strawberry.field(description="The details (may be empty).")
    team: str | None = strawberry.field(description="The team handling it; null when none.")
    assignee_id: strawberry.ID | None = strawberry.field(
        description="Staff id of the agent handling it (see `assignee`); null until assigned."
    )
    created_by: strawberry.ID = strawberry.field(
        description="Staff id of who opened it (see `creator`)."
    )
    created_at: datetime = strawberry.field(
        description="When it was opened (ticket lists are newest first by default)."
    )
    updated_at: datetime = strawberry.field(description="When it last changed.")
    version: int = strawberry.field(
        description="1 when opened, +1 per change: the `expectedVersion` of the next change."
    )
    resolution: str | None = strawberry.field(
        description="How it was resolved (given with RESOLVED); null when not given."
    )
    resolved_at: datetime | None = strawberry.field(
        description="When it was RESOLVED; null while open (a reopen clears it)."
    )
    closed_at: datetime | None = strawberry.field(
        description="When it was CLOSED; null otherwise (a reopen clears it)."
    )
    reopen_count: int = strawberry.field(
        description="How often it was reopened (moved from RESOLVED or CLOSED to IN_PROGRESS)."
    )
    rating: int | None = strawberry.field(
        description="The customer's satisfaction, 1 (worst) to 5 (best); null until rated."
    )
    rating_comment: str | None = strawberry.field(
        description="The customer's comment on the rating; null when none."
    )
    rated_at: datetime | None = strawberry.field(description="When it was rated.")
    sla: TicketSla = strawberry.field(description="Its SLA clock.")
    allowed_next_statuses: list[tickets.TicketStatus] = strawberry.field(
        description="The states changeTicketStatus accepts next."
    )
    viewer_can_update: bool = ticket_can(Action.UPDATE)
    viewer_can_assign: bool = ticket_can(Action.ASSIGN)
    record: strawberry.Private[tickets.Ticket | None] = None  # for the viewerCan… checks

    @strawberry.field(description="Comments, oldest first")
    async def comments(
        self,
        info: Info,
        customer_visible_only: Annotated[
            bool, strawberry.argument(description="Only the comments shown to the customer.")
        ] = False,
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
            assignee_id=strawberry.ID(t.assignee_id) if t.assignee_id else None,
            created_by=strawberry.ID(t.created_by),
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
            record=t,
        )

    @strawberry.field(
        description="The agent handling it (`assigneeId` resolved by the customer subgraph); null "
        "until assigned or when the id is not in the staff directory."
    )
    def assignee(self) -> StaffMember | None:
        return staff_ref(self.assignee_id)

    @strawberry.field(
        description="The staff member who opened it (`createdBy` resolved by the customer "
        "subgraph); null when the id "
        "is not in the staff directory."
    )
    def creator(self) -> StaffMember | None:
        return staff_ref(self.created_by)


@strawberry.type(description="A ticket and its cursor.")
class TicketEdge:
    cursor: str = strawberry.field(description="Its position, for `after`.")
    node: TicketType = strawberry.field(description="The ticket.")


@strawberry.type(description="A page of tickets, in the order of the field that lists them")
class TicketConnection:
    edges: list[TicketEdge] = strawberry.field(
        description="This page's tickets, in the list's order."
    )
    page_info: PageInfo = strawberry.field(description="Where to continue.")
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="All tickets matching the filter, not only this page")
    async def total_count(self) -> int:
        return await self.count()
