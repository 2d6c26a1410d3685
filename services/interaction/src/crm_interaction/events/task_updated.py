"""`task.updated.v1`: an open task changed (the names of the changed fields, and who had it)."""

from __future__ import annotations

from typing import Any

from crm_interaction.events.snapshots import task
from crm_interaction.tasks.model import Task

TYPE = "task.updated.v1"


def payload(t: Task, changed: list[str], previous_assignee: str, actor: str) -> dict[str, Any]:
    return {
        "task": task(t),
        "changedFields": changed,
        "previousAssigneeId": previous_assignee,
        "assigneeId": t.assignee_id,
        "actorId": actor,
    }
