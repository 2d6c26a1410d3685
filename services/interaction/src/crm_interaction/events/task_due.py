"""`task.due.v1`: one of a task's reminders fell due (minutes before its due time)."""

from __future__ import annotations

from typing import Any

from crm_interaction.events.snapshots import task
from crm_interaction.tasks.model import Task

TYPE = "task.due.v1"


def payload(t: Task, offset_minutes: int, remind_at_iso: str) -> dict[str, Any]:
    return {
        "task": task(t),
        "assigneeId": t.assignee_id,
        "reminderOffsetMinutes": offset_minutes,
        "remindAt": remind_at_iso,
    }
