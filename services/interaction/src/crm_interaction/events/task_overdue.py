"""`task.overdue.v1`: a task is still open a minute past its due time (once per due time)."""

from __future__ import annotations

from typing import Any

from crm_interaction.events.snapshots import task
from crm_interaction.tasks.model import Task

TYPE = "task.overdue.v1"


def payload(t: Task, overdue_at_iso: str) -> dict[str, Any]:
    return {"task": task(t), "assigneeId": t.assignee_id, "overdueSince": overdue_at_iso}
