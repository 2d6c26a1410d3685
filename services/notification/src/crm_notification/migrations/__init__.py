"""The notification service's versioned migrations, oldest first. Add `vNNNN_<what>.py` with an
idempotent `async def apply(db)` and list it here; never edit or renumber an applied one."""

from __future__ import annotations

from crm_kit.migrations import Migration
from crm_notification.migrations import v0001_initial_indexes, v0002_mask_delivery_addresses

MIGRATIONS: tuple[Migration, ...] = (
    Migration("0001", "initial indexes", v0001_initial_indexes.apply),
    Migration("0002", "mask delivery addresses", v0002_mask_delivery_addresses.apply),
)
