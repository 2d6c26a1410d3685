"""Assigning a ticket: how an agent of a team is picked (`AssignmentStrategy`) and what the
assignment changes on the ticket. Pure data and rules, no I/O (the use case is
`TicketService.assign`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from enum import StrEnum

from crm_interaction.tickets.model import Ticket, TicketStatus
from crm_kit.errors import BadUserInput


class AssignmentStrategy(StrEnum):
    """How an agent of a team is picked when `assignTicket` names no agent."""

    LEAST_LOADED = "LEAST_LOADED"
    ROUND_ROBIN = "ROUND_ROBIN"


def pick_agent(
    agents: list[str], load: dict[str, int], strategy: AssignmentStrategy, last: str | None
) -> str:
    """Choose an agent of the team: fewest open tickets (ties by id), or the next in turn."""
    if not agents:
        raise BadUserInput.single("team", "NO_AGENTS", "the team has no active agents")
    ordered = sorted(agents)
    if strategy is AssignmentStrategy.ROUND_ROBIN:
        if last in ordered:
            return ordered[(ordered.index(last) + 1) % len(ordered)]
        return ordered[0]
    return min(ordered, key=lambda agent: (load.get(agent, 0), agent))


def assign(ticket: Ticket, *, assignee_id: str, team: str | None, now: datetime) -> Ticket:
    """The ticket given to `assignee_id` (and moved to `team` when one is given); a NEW ticket
    becomes ASSIGNED. BAD_USER_INPUT (`id` NOT_OPEN) for a resolved or closed ticket."""
    if not ticket.is_open:
        raise BadUserInput.single(
            "id", "NOT_OPEN", f"a {ticket.status} ticket cannot be assigned; reopen it first"
        )
    status = TicketStatus.ASSIGNED if ticket.status is TicketStatus.NEW else ticket.status
    return replace(
        ticket,
        assignee_id=assignee_id,
        team=team if team is not None else ticket.team,
        status=status,
        updated_at=now,
        version=ticket.version + 1,
    )
