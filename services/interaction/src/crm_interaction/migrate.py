"""`python -m crm_interaction.migrate`: create indexes, apply pending versioned migrations.

Runs as the init step of every interaction pod (see crm_kit.migrations)."""

from __future__ import annotations

from crm_interaction.migrations import MIGRATIONS
from crm_interaction.migrations.indexes import ALL_INDEXES
from crm_kit.migrations import main

if __name__ == "__main__":
    main("interaction", MIGRATIONS, ALL_INDEXES)
