"""The item snapshots that several published events carry: a ticket's and a task's ids,
classification, status, assignment and times. Subjects, descriptions, titles and notes stay
in the service (they may hold personal data)."""

from __future__ import annotations

from typing import Any

from crm_interaction.shared.clock import iso
from crm_interaction.tasks.model import Task
from crm_interaction.tickets.model import Ticket


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


def task(t: Task) -> dict[str, Any]:
    return {
        "id": t.id,
        "customerId": t.customer_id,
        "assigneeId": t.assignee_id,
        "dueAt": iso(t.due_at),
        "urgency": str(t.urgency),
        "status": str(t.status),
        "reminderOffsetsMinutes": list(t.reminder_offsets),
        "createdBy": t.created_by,
        "version": t.version,
    }
