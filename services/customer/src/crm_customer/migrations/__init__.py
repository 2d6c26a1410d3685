"""The customer service's versioned migrations, oldest first. Add `vNNNN_<what>.py` with an
idempotent `async def apply(db)` and list it here; never edit or renumber an applied one."""

from __future__ import annotations

from crm_customer.migrations import (
    v0001_initial_indexes,
    v0002_master_data_backfill,
    v0003_fuzzy_name_keys,
    v0004_search_terms,
    v0005_duplicate_name_keys,
)
from crm_kit.migrations import Migration

MIGRATIONS: tuple[Migration, ...] = (
    Migration("0001", "initial indexes", v0001_initial_indexes.apply),
    Migration("0002", "master data backfill", v0002_master_data_backfill.apply),
    Migration("0003", "fuzzy name keys", v0003_fuzzy_name_keys.apply),
    Migration("0004", "search terms rebuilt", v0004_search_terms.apply),
    Migration("0005", "duplicate name keys rebuilt", v0005_duplicate_name_keys.apply),
)
