"""`ticket.assigned.v1`: a ticket got an agent (named, or picked from a team by a strategy)."""

from __future__ import annotations

from typing import Any

from crm_interaction.events.snapshots import ticket
from crm_interaction.tickets.model import Ticket

TYPE = "ticket.assigned.v1"


def payload(t: Ticket, previous_assignee: str | None, strategy: str | None) -> dict[str, Any]:
    return {
        "ticket": ticket(t),
        "assigneeId": t.assignee_id,
        "team": t.team,
        "previousAssigneeId": previous_assignee,
        "strategy": strategy,
    }
