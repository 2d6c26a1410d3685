"""The sales service's versioned migrations, oldest first. Add `vNNNN_<what>.py` with an
idempotent `async def apply(db)` and list it here; never edit or renumber an applied one."""

from __future__ import annotations

from crm_kit.migrations import Migration
from crm_sales.migrations import (
    v0001_initial_indexes,
    v0002_board_summaries,
    v0003_sales_targets,
    v0004_quotes,
    v0005_forecasts,
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration("0001", "initial indexes", v0001_initial_indexes.apply),
    Migration("0002", "kanban board summaries", v0002_board_summaries.apply),
    Migration("0003", "sales targets indexes", v0003_sales_targets.apply),
    Migration("0004", "quotes indexes", v0004_quotes.apply),
    Migration("0005", "sales forecast indexes", v0005_forecasts.apply),
)
