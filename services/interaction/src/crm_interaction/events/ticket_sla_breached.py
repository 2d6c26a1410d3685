"""`ticket.sla_breached.v1`: a ticket's first-response or resolution target passed unmet."""

from __future__ import annotations

from typing import Any

from crm_interaction.events.snapshots import ticket
from crm_interaction.tickets.model import Ticket
from crm_interaction.tickets.sla import SlaTarget

TYPE = "ticket.sla_breached.v1"


def payload(t: Ticket, target: SlaTarget, due_at_iso: str, at_iso: str) -> dict[str, Any]:
    return {
        "ticket": ticket(t),
        "target": str(target),
        "dueAt": due_at_iso,
        "detectedAt": at_iso,
        "assigneeId": t.assignee_id,
        "team": t.team,
    }
