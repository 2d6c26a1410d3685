"""What handlers and resolvers depend on; built once per process in `app.py`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from crm_kit.events import utcnow
from crm_kit.uow import UnitOfWork
from crm_notification.access import CustomerAccess
from crm_notification.delivery_repository import DeliveryRepository
from crm_notification.digest_store import DigestStore
from crm_notification.live import LiveHub
from crm_notification.planning import Limits
from crm_notification.repository import NotificationRepository
from crm_notification.settings import NotificationSettings
from crm_notification.stores import PreferenceStore, RuleStore, StaffDirectory, TemplateStore
from crm_notification.webhook_repository import WebhookRepository


@dataclass(frozen=True, slots=True)
class Deps:
    notifications: NotificationRepository
    deliveries: DeliveryRepository
    rules: RuleStore
    templates: TemplateStore
    preferences: PreferenceStore
    staff: StaffDirectory
    webhooks: WebhookRepository
    uow: UnitOfWork
    live: LiveHub
    settings: NotificationSettings
    wake_scheduler: Callable[[], None] = lambda: None
    clock: Callable[[], datetime] = field(default=utcnow)
    customer_access: CustomerAccess | None = None  # owner/team per customer (access control)
    digests: DigestStore | None = None  # notices waiting for users' daily digest mails

    @property
    def limits(self) -> Limits:
        s = self.settings
        return Limits(
            email_max_attempts=s.email_max_attempts,
            sms_max_attempts=s.email_max_attempts,
            webhook_max_attempts=s.webhook_max_attempts,
        )
