"""Bootstrap: the only place where adapters are wired to the service."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

import httpx
from pymongo import monitoring
from pymongo.asynchronous.database import AsyncDatabase
from starlette.applications import Starlette

from crm_kit.events import utcnow
from crm_kit.mongo import Document
from crm_kit.service import Runtime, ServiceSpec, Worker, create_service_app
from crm_kit.settings import ServiceSettings
from crm_notification.channels.addresses import AddressBook
from crm_notification.channels.customer_contacts import CustomerContacts, ServiceToken
from crm_notification.channels.email import SmtpSender
from crm_notification.channels.model import Channel
from crm_notification.channels.sms import LoggingSmsProvider, SmsProvider, SmsSender
from crm_notification.channels.webhook import WebhookSender
from crm_notification.customers.queries import CustomerOwnerQueries
from crm_notification.customers.service import CustomerOwnerService
from crm_notification.customers.store import CustomerOwnerRepository
from crm_notification.deliveries.model import RetryPolicy, Sender
from crm_notification.deliveries.queries import DeliveryQueries
from crm_notification.deliveries.scheduler import DeliveryScheduler
from crm_notification.deliveries.service import DeliveryService
from crm_notification.deliveries.store import DeliveryRepository
from crm_notification.deps import Deps
from crm_notification.digest.service import DigestService
from crm_notification.digest.store import DigestRepository
from crm_notification.events.handlers import BULK_LANE, handlers
from crm_notification.graphql.schema import schema
from crm_notification.inbox.live import LiveHub, listen
from crm_notification.inbox.queries import InboxQueries
from crm_notification.inbox.service import InboxService
from crm_notification.inbox.store import NotificationRepository
from crm_notification.migrations import ALL_INDEXES
from crm_notification.preferences.service import PreferenceService
from crm_notification.preferences.store import PreferenceRepository
from crm_notification.rules.planner import Limits
from crm_notification.rules.queries import RuleQueries
from crm_notification.rules.service import RuleService, TriggerService
from crm_notification.rules.store import RuleRepository, TemplateRepository
from crm_notification.settings import NotificationSettings
from crm_notification.staff.service import StaffService
from crm_notification.staff.store import StaffRepository
from crm_notification.webhooks.queries import WebhookQueries
from crm_notification.webhooks.service import WebhookService
from crm_notification.webhooks.store import WebhookRepository

SERVICE_NAME = "notification"
DEFAULT_PORT = 4003


def create_app(
    settings: ServiceSettings | None = None,
    mongo_listeners: Sequence[monitoring._EventListener] = (),
    notification_settings: NotificationSettings | None = None,
    sms_provider: SmsProvider | None = None,
) -> Starlette:
    """The notification subgraph app; `mongo_listeners` lets tests count database commands."""
    nsettings = notification_settings or NotificationSettings.from_env()
    spec: ServiceSpec[Deps] = ServiceSpec(
        settings=settings or ServiceSettings.from_env(SERVICE_NAME, DEFAULT_PORT),
        schema=schema,
        indexes=ALL_INDEXES,
        build_deps=partial(build_deps, nsettings, sms_provider or LoggingSmsProvider()),
        handlers=handlers,
        lanes=(BULK_LANE,),
        workers=lambda deps: deps.workers,
        audit=True,
        # handlers push a stored notification to live subscribers once it is committed
        # browsers cannot set headers on a WebSocket: `notificationReceived` clients send
        # the token in the connection_init payload
        websocket_connection_auth=True,
    )
    return create_service_app(spec, mongo_listeners)


@dataclass(frozen=True, slots=True)
class _Repositories:
    notifications: NotificationRepository
    deliveries: DeliveryRepository
    rules: RuleRepository
    templates: TemplateRepository
    preferences: PreferenceRepository
    staff: StaffRepository
    webhooks: WebhookRepository
    digests: DigestRepository
    customers: CustomerOwnerRepository

    @classmethod
    def of(cls, db: AsyncDatabase[Document]) -> _Repositories:
        return cls(
            notifications=NotificationRepository(db),
            deliveries=DeliveryRepository(db),
            rules=RuleRepository(db),
            templates=TemplateRepository(db),
            preferences=PreferenceRepository(db),
            staff=StaffRepository(db),
            webhooks=WebhookRepository(db),
            digests=DigestRepository(db),
            customers=CustomerOwnerRepository(db),
        )


def build_deps(nsettings: NotificationSettings, sms: SmsProvider, runtime: Runtime) -> Deps:
    repos = _Repositories.of(runtime.db)
    http = httpx.AsyncClient(limits=httpx.Limits(max_connections=100), trust_env=False)
    scheduler = _scheduler(runtime, nsettings, repos, http, sms)
    live = LiveHub()
    inbox = InboxService(repos.notifications, live, utcnow)
    deliveries = DeliveryService(repos.deliveries, wake_scheduler=scheduler.wake, clock=utcnow)
    digests = DigestService(repos.digests)
    triggers = TriggerService(
        rules=repos.rules,
        templates=repos.templates,
        staff=repos.staff,
        preferences=repos.preferences,
        webhooks=repos.webhooks,
        inbox=inbox,
        deliveries=deliveries,
        digests=digests,
        limits=_limits(nsettings),
        clock=utcnow,
    )
    return Deps(
        inbox=inbox,
        notifications=InboxQueries(repos.notifications),
        live=live,
        deliveries=deliveries,
        delivery_queries=DeliveryQueries(repos.deliveries),
        rules=RuleService(repos.rules, repos.templates, utcnow),
        rule_queries=RuleQueries(repos.rules, repos.templates),
        triggers=triggers,
        preferences=PreferenceService(repos.preferences),
        webhooks=WebhookService(
            repos.webhooks, allow_private=nsettings.webhook_allow_private, clock=utcnow
        ),
        webhook_queries=WebhookQueries(repos.webhooks),
        digests=digests,
        staff=StaffService(repos.staff, utcnow),
        customers=CustomerOwnerService(repos.customers),
        customer_queries=CustomerOwnerQueries(repos.customers),
        workers=(
            partial(listen, runtime.bus, live),
            _delivery_loop(scheduler, http, nsettings.scheduler_enabled),
        ),
    )


def _limits(nsettings: NotificationSettings) -> Limits:
    return Limits(
        email_max_attempts=nsettings.email_max_attempts,
        sms_max_attempts=nsettings.email_max_attempts,
        webhook_max_attempts=nsettings.webhook_max_attempts,
    )


def _scheduler(
    runtime: Runtime,
    nsettings: NotificationSettings,
    repos: _Repositories,
    http: httpx.AsyncClient,
    sms: SmsProvider,
) -> DeliveryScheduler:
    senders: dict[Channel, Sender] = {
        Channel.EMAIL: SmtpSender(nsettings),
        Channel.SMS: SmsSender(sms),
        Channel.WEBHOOK: WebhookSender(nsettings, repos.webhooks, http),
    }
    return DeliveryScheduler(
        owner=nsettings.replica(),
        deliveries=repos.deliveries,
        webhooks=repos.webhooks,
        uow=runtime.uow,
        senders=senders,
        policy=RetryPolicy(nsettings.retry_base_seconds, nsettings.retry_cap_seconds),
        lease=timedelta(seconds=nsettings.scheduler_lease_seconds),
        poll_seconds=nsettings.scheduler_poll_seconds,
        batch=nsettings.scheduler_batch,
        disable_webhook_after=nsettings.webhook_disable_after_failures,
        clock=utcnow,
        addresses=AddressBook(repos.preferences, _customer_contacts(runtime, nsettings, http)),
        digests=repos.digests,
    )


def _customer_contacts(
    runtime: Runtime, nsettings: NotificationSettings, http: httpx.AsyncClient
) -> CustomerContacts | None:
    """Customer-facing mails look the customer's address up in the customer subgraph."""
    if not nsettings.customer_graphql_url:
        return None
    auth = runtime.settings.auth
    token = ServiceToken(
        secret=auth.jwt_secret,
        token_file=nsettings.service_token_file,
        issuer=auth.issuer,
        audience=auth.audience,
    )
    return CustomerContacts(nsettings.customer_graphql_url, token, http)


def _delivery_loop(scheduler: DeliveryScheduler, http: httpx.AsyncClient, enabled: bool) -> Worker:
    """The scheduler's loop (idle when SCHEDULER_ENABLED=false); closes the HTTP client after."""

    async def deliveries(stop: asyncio.Event) -> None:
        try:
            if enabled:
                await scheduler.run(stop)
            else:
                await stop.wait()
        finally:
            await http.aclose()

    return deliveries
