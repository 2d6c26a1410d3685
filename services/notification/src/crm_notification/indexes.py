"""Every index of the notification database (ensured at start-up and by `migrate`)."""

from __future__ import annotations

from crm_kit.mongo import IndexSpec
from crm_notification.delivery_repository import DELIVERY_INDEXES
from crm_notification.digest_store import DIGEST_INDEXES
from crm_notification.repository import INDEXES
from crm_notification.stores import STORE_INDEXES
from crm_notification.webhook_repository import WEBHOOK_INDEXES

ALL_INDEXES: list[IndexSpec] = [
    *INDEXES,
    *DELIVERY_INDEXES,
    *STORE_INDEXES,
    *WEBHOOK_INDEXES,
    *DIGEST_INDEXES,
]
