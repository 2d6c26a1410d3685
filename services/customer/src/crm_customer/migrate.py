"""`python -m crm_customer.migrate`: create indexes, apply pending versioned migrations.

Runs as the init step of every customer pod (see crm_kit.migrations)."""

from __future__ import annotations

from crm_customer.indexes import INDEXES
from crm_customer.migrations import MIGRATIONS
from crm_kit.migrations import main

if __name__ == "__main__":
    main("customer", MIGRATIONS, INDEXES)
