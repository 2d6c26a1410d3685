"""`task.created.v1`: a follow-up task was created (the title stays in the service)."""

from __future__ import annotations

from typing import Any

from crm_interaction.events.snapshots import task
from crm_interaction.tasks.model import Task

TYPE = "task.created.v1"


def payload(t: Task) -> dict[str, Any]:
    return {"task": task(t)}
