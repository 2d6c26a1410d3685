"""`task.*.v1` events: ids, assignee, due time and urgency (the title stays in the service)."""

from __future__ import annotations

from typing import Any

from crm_interaction.shared.clock import iso
from crm_interaction.tasks.model import Task

CREATED = "task.created.v1"
DUE = "task.due.v1"
COMPLETED = "task.completed.v1"
UPDATED = "task.updated.v1"
OVERDUE = "task.overdue.v1"


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


def created(t: Task) -> dict[str, Any]:
    return {"task": task(t)}


def due(t: Task, offset_minutes: int, remind_at_iso: str) -> dict[str, Any]:
    return {
        "task": task(t),
        "assigneeId": t.assignee_id,
        "reminderOffsetMinutes": offset_minutes,
        "remindAt": remind_at_iso,
    }


def completed(t: Task, actor: str) -> dict[str, Any]:
    return {
        "task": task(t),
        "completedAt": iso(t.completed_at) if t.completed_at else None,
        "actorId": actor,
    }


def updated(t: Task, changed: list[str], previous_assignee: str, actor: str) -> dict[str, Any]:
    return {
        "task": task(t),
        "changedFields": changed,
        "previousAssigneeId": previous_assignee,
        "assigneeId": t.assignee_id,
        "actorId": actor,
    }


def overdue(t: Task, overdue_at_iso: str) -> dict[str, Any]:
    return {"task": task(t), "assigneeId": t.assignee_id, "overdueSince": overdue_at_iso}
