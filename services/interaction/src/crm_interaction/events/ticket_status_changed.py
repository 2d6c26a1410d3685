"""`ticket.status_changed.v1`: a ticket moved along its workflow (or was reopened)."""

from __future__ import annotations

from typing import Any

from crm_interaction.events.snapshots import ticket
from crm_interaction.tickets.model import Ticket, TicketStatus

TYPE = "ticket.status_changed.v1"


def payload(t: Ticket, previous: TicketStatus, actor: str) -> dict[str, Any]:
    return {
        "ticket": ticket(t),
        "from": str(previous),
        "to": str(t.status),
        "actorId": actor,
        "reopened": previous in (TicketStatus.RESOLVED, TicketStatus.CLOSED),
    }
