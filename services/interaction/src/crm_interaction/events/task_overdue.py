"""`task.overdue.v1`: a task is still open a minute past its due time (once per due time). Like
`task.due.v1` it names the task by its title (personal identifiers masked)."""

from __future__ import annotations

from typing import Any

from crm_interaction.events.snapshots import task
from crm_interaction.tasks.model import Task
from crm_kit.personal import scrub

TYPE = "task.overdue.v1"


def payload(t: Task, overdue_at_iso: str) -> dict[str, Any]:
    return {
        "task": task(t),
        "title": scrub(t.title),
        "assigneeId": t.assignee_id,
        "overdueSince": overdue_at_iso,
    }
