"""`task.completed.v1`: a task was marked done."""

from __future__ import annotations

from typing import Any

from crm_interaction.events.snapshots import task
from crm_interaction.shared.clock import iso
from crm_interaction.tasks.model import Task

TYPE = "task.completed.v1"


def payload(t: Task, actor: str) -> dict[str, Any]:
    return {
        "task": task(t),
        "completedAt": iso(t.completed_at) if t.completed_at else None,
        "actorId": actor,
    }
