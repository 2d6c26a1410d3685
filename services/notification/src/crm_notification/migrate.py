"""`python -m crm_notification.migrate`: create indexes, apply pending versioned migrations.

Runs as the init step of every notification pod (see crm_kit.migrations)."""

from __future__ import annotations

from crm_kit.migrations import main
from crm_notification.migrations import ALL_INDEXES, MIGRATIONS

if __name__ == "__main__":
    main("notification", MIGRATIONS, ALL_INDEXES)
