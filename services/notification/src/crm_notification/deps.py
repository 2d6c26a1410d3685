"""What resolvers, event handlers and workers depend on: each feature's use cases (services)
and read side (queries), built once per process in `app.py`."""

from __future__ import annotations

from dataclasses import dataclass

from crm_kit.service import Worker
from crm_notification.customers.queries import CustomerOwnerQueries
from crm_notification.customers.service import CustomerOwnerService
from crm_notification.deliveries.queries import DeliveryQueries
from crm_notification.deliveries.service import DeliveryService
from crm_notification.digest.service import DigestService
from crm_notification.inbox.live import LiveHub
from crm_notification.inbox.queries import InboxQueries
from crm_notification.inbox.service import InboxService
from crm_notification.preferences.service import PreferenceService
from crm_notification.rules.queries import RuleQueries
from crm_notification.rules.service import RuleService, TriggerService
from crm_notification.staff.service import StaffService
from crm_notification.webhooks.queries import WebhookQueries
from crm_notification.webhooks.service import WebhookService


@dataclass(frozen=True, slots=True, kw_only=True)
class Deps:
    inbox: InboxService
    notifications: InboxQueries
    live: LiveHub
    deliveries: DeliveryService
    delivery_queries: DeliveryQueries
    rules: RuleService
    rule_queries: RuleQueries
    triggers: TriggerService
    preferences: PreferenceService
    webhooks: WebhookService
    webhook_queries: WebhookQueries
    digests: DigestService
    staff: StaffService
    customers: CustomerOwnerService
    customer_queries: CustomerOwnerQueries
    workers: tuple[Worker, ...] = ()  # the live feed and the delivery scheduler
