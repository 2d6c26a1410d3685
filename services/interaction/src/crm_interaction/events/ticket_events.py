"""`ticket.*.v1` events. Subject and descriptions stay in the service (they may hold personal
data); events carry ids, classification, status, assignment and SLA times."""

from __future__ import annotations

from typing import Any

from crm_interaction.shared.clock import iso
from crm_interaction.tickets.model import Comment, Ticket, TicketStatus
from crm_interaction.tickets.sla import SlaTarget

CREATED = "ticket.created.v1"
ASSIGNED = "ticket.assigned.v1"
STATUS_CHANGED = "ticket.status_changed.v1"
SLA_BREACHED = "ticket.sla_breached.v1"
COMMENT_ADDED = "ticket.comment_added.v1"


def ticket(t: Ticket) -> dict[str, Any]:
    return {
        "id": t.id,
        "customerId": t.customer_id,
        "type": str(t.type),
        "priority": str(t.priority),
        "status": str(t.status),
        "team": t.team,
        "assigneeId": t.assignee_id,
        "createdBy": t.created_by,
        "createdAt": iso(t.created_at),
        "firstResponseDueAt": iso(t.first_response_due_at),
        "resolutionDueAt": iso(t.resolution_due_at) if t.resolution_due_at else None,
        "version": t.version,
    }


def created(t: Ticket) -> dict[str, Any]:
    return {"ticket": ticket(t)}


def assigned(t: Ticket, previous_assignee: str | None, strategy: str | None) -> dict[str, Any]:
    return {
        "ticket": ticket(t),
        "assigneeId": t.assignee_id,
        "team": t.team,
        "previousAssigneeId": previous_assignee,
        "strategy": strategy,
    }


def status_changed(t: Ticket, previous: TicketStatus, actor: str) -> dict[str, Any]:
    return {
        "ticket": ticket(t),
        "from": str(previous),
        "to": str(t.status),
        "actorId": actor,
        "reopened": previous in (TicketStatus.RESOLVED, TicketStatus.CLOSED),
    }


def sla_breached(t: Ticket, target: SlaTarget, due_at_iso: str, at_iso: str) -> dict[str, Any]:
    return {
        "ticket": ticket(t),
        "target": str(target),
        "dueAt": due_at_iso,
        "detectedAt": at_iso,
        "assigneeId": t.assignee_id,
        "team": t.team,
    }


def comment_added(t: Ticket, comment: Comment, mentioned: list[str]) -> dict[str, Any]:
    """No comment text: only who wrote it, its visibility and the staff it mentions."""
    return {
        "ticket": ticket(t),
        "commentId": comment.id,
        "customerVisible": comment.customer_visible,
        "mentionedStaffIds": mentioned,
        "actorId": comment.author_id,
        "createdAt": iso(comment.created_at),
    }
