"""`task.due.v1`: one of a task's reminders fell due (minutes before its due time). It names
the task by its title, as the reminder shows it to the assignee, with any phone number, ID
number or e-mail address in it masked (events carry no personal identifiers)."""

from __future__ import annotations

from typing import Any

from crm_interaction.events.snapshots import task
from crm_interaction.tasks.model import Task
from crm_kit.personal import scrub

TYPE = "task.due.v1"


def payload(t: Task, offset_minutes: int, remind_at_iso: str) -> dict[str, Any]:
    return {
        "task": task(t),
        "title": scrub(t.title),
        "assigneeId": t.assignee_id,
        "reminderOffsetMinutes": offset_minutes,
        "remindAt": remind_at_iso,
    }
