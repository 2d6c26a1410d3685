"""The notification database: every index (ensured at start-up and by `migrate`) and the
versioned migrations, oldest first. Add `vNNNN_<what>.py` with an idempotent
`async def apply(db)` and list it here; never edit or renumber an applied one."""

from __future__ import annotations

from crm_kit.migrations import Migration
from crm_kit.mongo import IndexSpec
from crm_notification.deliveries.store import DELIVERY_INDEXES
from crm_notification.digest.store import DIGEST_INDEXES
from crm_notification.inbox.store import NOTIFICATION_INDEXES
from crm_notification.migrations import v0001_initial_indexes, v0002_mask_delivery_addresses
from crm_notification.rules.store import RULE_INDEXES
from crm_notification.staff.store import STAFF_INDEXES
from crm_notification.webhooks.store import WEBHOOK_INDEXES

ALL_INDEXES: list[IndexSpec] = [
    *NOTIFICATION_INDEXES,
    *DELIVERY_INDEXES,
    *RULE_INDEXES,
    *STAFF_INDEXES,
    *WEBHOOK_INDEXES,
    *DIGEST_INDEXES,
]

MIGRATIONS: tuple[Migration, ...] = (
    Migration("0001", "initial indexes", v0001_initial_indexes.apply),
    Migration("0002", "mask delivery addresses", v0002_mask_delivery_addresses.apply),
)
