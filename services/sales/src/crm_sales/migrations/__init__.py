"""The sales service's versioned migrations, oldest first. Add `vNNNN_<what>.py` with an
idempotent `async def apply(db)` and list it here; never edit or renumber an applied one."""

from __future__ import annotations

from crm_kit.migrations import Migration
from crm_sales.migrations import v0001_initial_indexes

MIGRATIONS: tuple[Migration, ...] = (
    Migration("0001", "initial indexes", v0001_initial_indexes.apply),
)
