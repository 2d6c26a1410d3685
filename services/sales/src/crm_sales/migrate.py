"""`python -m crm_sales.migrate`: create indexes, apply pending versioned migrations.

Runs as the init step of every sales pod (see crm_kit.migrations)."""

from __future__ import annotations

from crm_kit.migrations import main
from crm_sales.migrations import MIGRATIONS
from crm_sales.migrations.indexes import ALL_INDEXES

if __name__ == "__main__":
    main("sales", MIGRATIONS, ALL_INDEXES)
