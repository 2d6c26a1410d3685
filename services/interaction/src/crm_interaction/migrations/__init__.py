"""The interaction service's versioned migrations, oldest first. Add `vNNNN_<what>.py` with an
idempotent `async def apply(db)` and list it here; never edit or renumber an applied one."""

from __future__ import annotations

from crm_interaction.migrations import (
    v0001_initial_indexes,
    v0002_tickets_tasks_timeline,
    v0003_task_overdue_jobs,
    v0004_ticket_order_keys,
)
from crm_kit.migrations import Migration

MIGRATIONS: tuple[Migration, ...] = (
    Migration("0001", "initial indexes", v0001_initial_indexes.apply),
    Migration(
        "0002", "tickets, tasks, purchases, timeline, jobs", v0002_tickets_tasks_timeline.apply
    ),
    Migration("0003", "overdue checks of open tasks", v0003_task_overdue_jobs.apply),
    Migration("0004", "ticket list orders served by indexes", v0004_ticket_order_keys.apply),
)
