"""GraphQL inputs of service tickets: opening one, and the filter of ticket lists."""

from __future__ import annotations

import strawberry

from crm_interaction.tickets import model as tickets
from crm_interaction.tickets import sla
from crm_interaction.tickets.queries import TicketFilter
from crm_kit.idempotency_keys import KEY_MAX_CHARS


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


@strawberry.input(description="Which tickets to list: every field given must match.")
class TicketFilterInput:
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this customer's."
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
    team: str | None = strawberry.field(default=None, description="Only this team's.")
    assignee_id: str | None = strawberry.field(
        default=None, description="Only tickets assigned to this staff id."
    )
    breached_only: bool = strawberry.field(
        default=False, description="Only tickets that missed an SLA target."
    )

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
