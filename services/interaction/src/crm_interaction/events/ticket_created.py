"""`ticket.created.v1`: a service ticket was opened (its SLA clock started)."""

from __future__ import annotations

from typing import Any

from crm_interaction.events.snapshots import ticket
from crm_interaction.tickets.model import Ticket

TYPE = "ticket.created.v1"


def payload(t: Ticket) -> dict[str, Any]:
    return {"ticket": ticket(t)}
