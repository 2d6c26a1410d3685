"""GraphQL inputs of service tickets: opening one, and the filter and order of ticket lists."""

from __future__ import annotations

import strawberry

from crm_interaction.shared.listing import KeysetOrder, bounds
from crm_interaction.tickets import model as tickets
from crm_interaction.tickets import sla
from crm_interaction.tickets.queries import TicketFilter, TicketOrderField, ticket_order
from crm_kit.graphql import described_enum
from crm_kit.idempotency_keys import KEY_MAX_CHARS
from crm_kit.listing import DateTimeRangeInput, OrderDirection


@strawberry.input(description="A service ticket to open.")
class CreateTicketInput:
    customer_id: strawberry.ID = strawberry.field(
        description="The customer; a merged customer's id files the ticket under the customer "
        "it was merged into."
    )
    type: tickets.TicketType = strawberry.field(description="What the customer needs.")
    priority: sla.Priority = strawberry.field(
        default=sla.Priority.NORMAL, description="Its priority, which sets the SLA targets."
    )
    subject: str = strawberry.field(
        description=f"A one-line summary: 1–{tickets.SUBJECT_MAX_CHARS} characters."
    )
    description: str = strawberry.field(
        default="", description=f"The details, at most {tickets.DESCRIPTION_MAX_CHARS} characters."
    )
    team: str | None = strawberry.field(
        default=None,
        description=f"The team to handle it: 1–{tickets.TEAM_MAX_CHARS} characters.",
    )
    assignee_id: str | None = strawberry.field(
        default=None, description="Staff id of an agent to assign at once (it starts ASSIGNED)."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Retrying with the same key returns the first ticket, creates nothing "
        f"(1–{KEY_MAX_CHARS} characters, per caller; reused for a different request: CONFLICT).",
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


@strawberry.input(
    description="Which tickets to list: every field given must hold (an omitted field, or an "
    "empty list, matches every ticket). A list that is already limited (a customer's tickets, "
    "the caller's) stays so: `customerId` and `assigneeId` can only narrow it further."
)
class TicketFilterInput:
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this customer's tickets."
    )
    statuses: list[tickets.TicketStatus] | None = strawberry.field(
        default=None, description="Only tickets in one of these states."
    )
    priorities: list[sla.Priority] | None = strawberry.field(
        default=None, description="Only tickets of one of these priorities."
    )
    types: list[tickets.TicketType] | None = strawberry.field(
        default=None, description="Only tickets of one of these types."
    )
    team: str | None = strawberry.field(default=None, description="Only this team's tickets.")
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only tickets assigned to this staff id."
    )
    breached_only: bool = strawberry.field(
        default=False, description="Only tickets that missed an SLA target (false: every one)."
    )
    created: DateTimeRangeInput | None = strawberry.field(
        default=None,
        description="Only tickets opened in this range (`createdAt`, half open; either end "
        "may be omitted). A reversed range is BAD_USER_INPUT (`filter.created.to` OUT_OF_RANGE).",
    )

    def to_filter(self) -> TicketFilter:
        return TicketFilter(
            customer_id=str(self.customer_id) if self.customer_id else None,
            statuses=tuple(self.statuses or ()),
            priorities=tuple(self.priorities or ()),
            types=tuple(self.types or ()),
            team=self.team,
            assignee_id=str(self.assignee_id) if self.assignee_id else None,
            breached_only=self.breached_only,
            created=bounds(self.created, "filter.created"),
        )


def ticket_filter(value: TicketFilterInput | None) -> TicketFilter:
    """The filter of a ticket list's `filter` argument (every ticket when omitted)."""
    return value.to_filter() if value is not None else TicketFilter()


described_enum(
    TicketOrderField,
    "What a ticket list is ordered by; tickets with the same value follow in id order (in the "
    "same direction), so pages never skip or repeat one.",
    {
        TicketOrderField.CREATED_AT: "When the ticket was opened (`createdAt`).",
        TicketOrderField.UPDATED_AT: "When the ticket last changed (`updatedAt`).",
        TicketOrderField.RESOLUTION_DUE_AT: "When its resolution is due "
        "(`sla.resolutionDueAt`); a ticket without one (paused WAITING_CUSTOMER, RESOLVED, "
        "CLOSED) counts as due after every other: last in ASC, first in DESC.",
        TicketOrderField.PRIORITY: "Its priority, LOW < NORMAL < HIGH < URGENT: DESC puts "
        "URGENT first.",
    },
)


@strawberry.input(
    description="The order of a ticket list: by one field, then by the ticket's id in the same "
    "direction. A cursor is bound to the order it was made in: sent with another order it is "
    "BAD_USER_INPUT (`after` INVALID_CURSOR); start from the first page when the order changes."
)
class TicketOrderInput:
    field: TicketOrderField = strawberry.field(description="What the list is ordered by.")
    direction: OrderDirection = strawberry.field(
        description="ASC: oldest, soonest due or least urgent first; DESC: newest, latest due "
        "or most urgent first."
    )

    def to_order(self) -> KeysetOrder:
        return ticket_order(TicketOrderField(self.field), OrderDirection(self.direction))


NEWEST_FIRST = TicketOrderInput(field=TicketOrderField.CREATED_AT, direction=OrderDirection.DESC)
"""The order of a ticket list when `orderBy` is omitted or null."""
