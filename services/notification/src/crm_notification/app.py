"""Bootstrap: the only place where adapters are wired to the service."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

import httpx
from pymongo import monitoring
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from crm_kit.audit import enable_audit, install_audit
from crm_kit.auth import TokenVerifier
from crm_kit.events import utcnow
from crm_kit.service import Runtime, ServiceSpec, Worker, create_service_app
from crm_kit.settings import ServiceSettings
from crm_notification import live
from crm_notification.access import CustomerAccess
from crm_notification.addresses import AddressBook
from crm_notification.channels import Sender
from crm_notification.channels.email import SmtpSender
from crm_notification.channels.sms import LoggingSmsProvider, SmsProvider, SmsSender
from crm_notification.channels.webhook import WebhookSender
from crm_notification.commit_hooks import HookedUnitOfWork
from crm_notification.customer_contacts import CustomerContacts, ServiceToken
from crm_notification.delivery import RetryPolicy
from crm_notification.delivery_repository import DeliveryRepository
from crm_notification.deps import Deps
from crm_notification.digest_store import DigestStore
from crm_notification.domain import Channel
from crm_notification.graphql.schema import schema
from crm_notification.handlers import handlers
from crm_notification.indexes import ALL_INDEXES
from crm_notification.live import LiveHub
from crm_notification.repository import NotificationRepository
from crm_notification.scheduler import DeliveryScheduler
from crm_notification.settings import NotificationSettings
from crm_notification.stores import (
    PreferenceStore,
    RuleStore,
    StaffDirectory,
    TemplateStore,
)
from crm_notification.webhook_repository import WebhookRepository
from crm_notification.ws import NotificationView

SERVICE_NAME = "notification"
DEFAULT_PORT = 4003


class _Parts:
    """Adapters built in build_deps that the workers need too."""

    def __init__(self) -> None:
        self.runtime: Runtime | None = None
        self.scheduler: DeliveryScheduler | None = None
        self.http: httpx.AsyncClient | None = None


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


def create_app(
    settings: ServiceSettings | None = None,
    mongo_listeners: Sequence[monitoring._EventListener] = (),
    notification_settings: NotificationSettings | None = None,
    sms_provider: SmsProvider | None = None,
) -> Starlette:
    """The notification subgraph app; `mongo_listeners` lets tests count database commands."""
    nsettings = notification_settings or NotificationSettings.from_env()
    parts = _Parts()

    def build_deps(runtime: Runtime) -> Deps:
        parts.runtime = runtime
        # The consumer is created after build_deps from runtime.uow: give it commit hooks.
        old = runtime.uow
        runtime.uow = HookedUnitOfWork(
            old.client, old.db, source=old.source, on_commit=runtime.relay.wake
        )
        enable_audit(runtime)
        deliveries = DeliveryRepository(runtime.db)
        preferences = PreferenceStore(runtime.db)
        digests = DigestStore(runtime.db)
        webhooks = WebhookRepository(runtime.db)
        http = httpx.AsyncClient(limits=httpx.Limits(max_connections=100), trust_env=False)
        parts.http = http
        senders: dict[Channel, Sender] = {
            Channel.EMAIL: SmtpSender(nsettings),
            Channel.SMS: SmsSender(sms_provider or LoggingSmsProvider()),
            Channel.WEBHOOK: WebhookSender(nsettings, webhooks, http),
        }
        scheduler = DeliveryScheduler(
            owner=nsettings.replica(),
            deliveries=deliveries,
            webhooks=webhooks,
            uow=runtime.uow,
            senders=senders,
            policy=RetryPolicy(nsettings.retry_base_seconds, nsettings.retry_cap_seconds),
            lease=timedelta(seconds=nsettings.scheduler_lease_seconds),
            poll_seconds=nsettings.scheduler_poll_seconds,
            batch=nsettings.scheduler_batch,
            disable_webhook_after=nsettings.webhook_disable_after_failures,
            clock=utcnow,
            addresses=AddressBook(preferences, _customer_contacts(runtime, nsettings, http)),
            digests=digests,
        )
        parts.scheduler = scheduler
        return Deps(
            notifications=NotificationRepository(runtime.db),
            deliveries=deliveries,
            rules=RuleStore(runtime.db),
            templates=TemplateStore(runtime.db),
            preferences=preferences,
            staff=StaffDirectory(runtime.db),
            webhooks=webhooks,
            uow=runtime.uow,
            live=LiveHub(),
            settings=nsettings,
            wake_scheduler=scheduler.wake,
            customer_access=CustomerAccess(runtime.db),
            digests=digests,
        )

    def workers(deps: Deps) -> Sequence[Worker]:
        assert parts.runtime is not None and parts.scheduler is not None
        bus, scheduler, http = parts.runtime.bus, parts.scheduler, parts.http

        async def live_updates(stop: asyncio.Event) -> None:
            await live.listen(bus, deps.live, stop)

        async def deliveries(stop: asyncio.Event) -> None:
            try:
                if nsettings.scheduler_enabled:
                    await scheduler.run(stop)
                else:
                    await stop.wait()
            finally:
                if http is not None:
                    await http.aclose()

        return [live_updates, deliveries]

    spec: ServiceSpec[Deps] = ServiceSpec(
        settings=settings or ServiceSettings.from_env(SERVICE_NAME, DEFAULT_PORT),
        schema=schema,
        indexes=ALL_INDEXES,
        build_deps=build_deps,
        handlers=handlers,
        workers=workers,
    )
    app = create_service_app(spec, mongo_listeners)
    # Subscriptions: authenticate from the connection_init payload too (see ws.py).
    view: NotificationView[Deps] = NotificationView(
        schema, app.state.deps, TokenVerifier(spec.settings.auth)
    )
    app.router.routes = [
        WebSocketRoute("/graphql", view)
        if isinstance(route, WebSocketRoute) and route.path == "/graphql"
        else route
        for route in app.router.routes
    ]
    app.state.scheduler = parts.scheduler
    install_audit(app)
    return app
