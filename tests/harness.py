"""Stand up one service or the whole system for integration and end-to-end tests.

- `serve_service(name, mongodb_uri, amqp_url, ...)`: one service app with its settings
  overrides and the keyword arguments of its `create_app` (command listeners, a clock, an SMS
  provider, ...), optionally an SMTP sink and notification settings; yields a `ServiceHandle`.
- `serve_system(mongodb_uri, amqp_url, services, ...)`: any subset of the services on one fresh
  events exchange and the gateway over them, with shared auth, gateway setting overrides,
  environment overrides, and optionally the events and log records captured; yields a
  `SystemHandle`.

Both serve over real HTTP on loopback ports, wait until ready, and close everything on exit.
The handles answer GraphQL with `gql` (the raw answer), `ok` (the data, no errors allowed) and
`one` (the single root field). Small helpers live in `tests.support`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field, fields
from typing import Any, Self

import aio_pika
import httpx
import orjson
from aio_pika.abc import AbstractIncomingMessage
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from starlette.applications import Starlette

from crm_dev.ports import free_port
from crm_dev.smtp_sink import SmtpSink
from crm_kit.bus import EventBus
from crm_kit.settings import AuthSettings, ServiceSettings
from tests.support import (
    auth_headers,
    eventually,
    gql,
    ok,
    serve_app,
    service_settings,
    unique,
    wait_ready,
)

SERVICES = ("customer", "interaction", "notification", "sales")
Probe = Callable[[Starlette], Callable[[], Awaitable[bool]]]


def create_service_app(name: str, settings: ServiceSettings, **options: Any) -> Starlette:
    """The named service's app (`options`: keyword arguments of its `create_app`)."""
    if name == "customer":
        from crm_customer.app import create_app as customer_app

        return customer_app(settings, **options)
    if name == "interaction":
        from crm_interaction.app import create_app as interaction_app

        return interaction_app(settings, **options)
    if name == "notification":
        from crm_notification.app import create_app as notification_app

        return notification_app(settings, **options)
    if name == "sales":
        from crm_sales import settings as sales_settings
        from crm_sales.app import create_app as sales_app

        # its own settings as `python -m crm_sales` reads them (a test sets them with `env`)
        options.setdefault("options", sales_settings.from_env(os.environ))
        return sales_app(settings, **options)
    raise ValueError(f"unknown service {name!r}")


@contextlib.contextmanager
def environment(values: Mapping[str, str] | None) -> Iterator[None]:
    """Environment variables set for the duration, restored afterwards."""
    saved = {key: os.environ.get(key) for key in values or {}}
    os.environ.update(values or {})
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@dataclass
class GraphQL:
    """GraphQL over one HTTP client, with default headers (ADMIN alice of team east)."""

    http: httpx.AsyncClient
    graphql: str
    headers: dict[str, str]

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, **kw: Any
    ) -> dict[str, Any]:
        kw.setdefault("headers", self.headers)
        return await gql(self.http, self.graphql, query, variables, **kw)

    async def ok(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
        return ok(await self.gql(query, variables, **kw))

    async def one(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
        return next(iter((await self.ok(query, variables, **kw)).values()))


# --- one service -------------------------------------------------------------------------


@dataclass
class ServiceHandle(GraphQL):
    name: str
    base: str  # the service's base URL
    app: Starlette
    settings: ServiceSettings
    db: AsyncDatabase[dict[str, Any]]  # the service's database, on a client of the test
    bus: EventBus  # publishes on the service's exchange (connects when first used)
    sink: SmtpSink | None = None
    notification_settings: Any = None

    @property
    def url(self) -> str:
        return self.base

    @property
    def exchange(self) -> str:
        return self.settings.events_exchange

    @classmethod
    def of(cls, handle: ServiceHandle, **extra: Any) -> Self:
        """This handle as a subclass that adds fields (`extra`) or helpers of one service."""
        values = {f.name: getattr(handle, f.name) for f in fields(ServiceHandle)}
        return cls(**values, **extra)


@dataclass
class _Extras:
    sink: SmtpSink | None = None
    notification_settings: Any = None


async def _notification_extras(
    stack: AsyncExitStack, smtp: bool, notification: Mapping[str, Any] | None
) -> _Extras:
    extras = _Extras()
    if smtp:
        extras.sink = await stack.enter_async_context(SmtpSink())
    if notification is not None:
        from crm_notification.settings import NotificationSettings

        values = dict(notification)
        if extras.sink is not None:
            values.setdefault("smtp_port", extras.sink.port)
        extras.notification_settings = NotificationSettings(**values)
    return extras


@asynccontextmanager
async def serve_service(
    name: str,
    mongodb_uri: str,
    amqp_url: str,
    *,
    overrides: Mapping[str, Any] | None = None,
    settings: ServiceSettings | None = None,
    port: int | None = None,
    env: Mapping[str, str] | None = None,
    headers: dict[str, str] | None = None,
    http_timeout: float = 30.0,
    smtp: bool = False,
    notification: Mapping[str, Any] | None = None,
    ready: Probe | None = None,
    **options: Any,
) -> AsyncIterator[ServiceHandle]:
    """One service, served and ready.

    `overrides`: ServiceSettings fields (or pass whole `settings`, e.g. a second replica on
    the same database, with its own `port`); `env`: environment variables while it runs;
    `smtp`: an SMTP sink (`handle.sink`) the notification settings point at; `notification`:
    NotificationSettings fields; `ready`: a further probe of the app awaited after /readyz;
    `options`: `create_app` arguments. `handle.bus` connects when first used."""
    async with AsyncExitStack() as stack:
        stack.enter_context(environment(env))
        settings = settings or service_settings(
            name, mongodb_uri, amqp_url, port=port, **(overrides or {})
        )
        extras = await _notification_extras(stack, smtp, notification)
        if extras.notification_settings is not None:
            options["notification_settings"] = extras.notification_settings
        app = create_service_app(name, settings, **options)
        base = await stack.enter_async_context(serve_app(app, port or settings.port))
        await wait_ready(base)
        if ready is not None:
            await eventually(ready(app), timeout=10)
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri, tz_aware=True)
        stack.push_async_callback(client.close)
        bus = EventBus(amqp_url, settings.events_exchange)
        stack.push_async_callback(bus.close)
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=http_timeout))
        yield ServiceHandle(
            http=http,
            graphql=f"{base}/graphql",
            headers=headers if headers is not None else auth_headers(),
            name=name,
            base=base,
            app=app,
            settings=settings,
            db=client[settings.mongodb_database],
            bus=bus,
            sink=extras.sink,
            notification_settings=extras.notification_settings,
        )


# --- the whole system --------------------------------------------------------------------


class _Capture(logging.Handler):
    """Every log record in full: message, arguments, structured fields, exception text."""

    def __init__(self, sink: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        text = f"{record.getMessage()} {record.__dict__!r}"
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        self.sink.append(text)


@contextlib.contextmanager
def captured_logs(sink: list[str]) -> Iterator[None]:
    """Every log record of the process, at DEBUG and above, appended to `sink`."""
    root = logging.getLogger()
    handler, level = _Capture(sink), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@asynccontextmanager
async def _tap(
    amqp_url: str, exchange: str, key: str, keep: Callable[[AbstractIncomingMessage], Any]
) -> AsyncIterator[list[Any]]:
    """A temporary queue bound to `exchange` (declared as the services declare it) by `key`;
    what `keep` makes of each message is collected."""
    seen: list[Any] = []
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    ex = await channel.declare_exchange(
        exchange,
        aio_pika.ExchangeType.TOPIC,
        durable=True,
        arguments={"alternate-exchange": f"{exchange}.unrouted"},
    )
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(ex, routing_key=key)

    async def on_message(message: AbstractIncomingMessage) -> None:
        seen.append(keep(message))
        await message.ack()

    await queue.consume(on_message)
    try:
        yield seen
    finally:
        await connection.close()


def captured_events(amqp_url: str, exchange: str) -> Any:
    """Every message on `exchange` as {"key": routing key, "body": text} (async context)."""
    return _tap(amqp_url, exchange, "#", lambda m: {"key": m.routing_key, "body": m.body.decode()})


def observer(amqp_url: str, exchange: str, key: str = "#") -> Any:
    """The events on `exchange` matching `key`, parsed (async context)."""
    return _tap(amqp_url, exchange, key, lambda m: orjson.loads(m.body))


SUBGRAPH_REQUESTS = re.compile(
    r'^gateway_subgraph_requests_total\{[^}]*subgraph="(\w+)"[^}]*\} (\d+(?:\.\d+)?)', re.M
)


@dataclass
class SystemHandle(GraphQL):
    gateway: str  # the gateway's base URL
    subgraphs: dict[str, str]  # service name -> its /graphql URL
    exchange: str
    amqp_url: str
    settings: dict[str, ServiceSettings]
    events: list[dict[str, Any]] = field(default_factory=list)  # with capture_events
    logs: list[str] = field(default_factory=list)  # with capture_logs
    _built: dict[str, Starlette] = field(default_factory=dict)
    _running: dict[str, AsyncExitStack] = field(default_factory=dict)

    async def start(self, name: str) -> None:
        """Serve the service `name` (again, after `stop`, as a new app on the same port)."""
        settings = self.settings[name]
        app = self._built.pop(name, None) or create_service_app(name, settings)
        stack = AsyncExitStack()
        try:
            await wait_ready(await stack.enter_async_context(serve_app(app, settings.port)))
        except BaseException:
            await stack.aclose()
            raise
        self._running[name] = stack

    async def stop(self, name: str) -> None:
        await self._running.pop(name).aclose()

    async def stop_all(self) -> None:
        for name in reversed(list(self._running)):
            await self.stop(name)

    async def subgraph_requests(self) -> dict[str, int]:
        """Requests the gateway sent to each subgraph so far (from its /metrics)."""
        text = (await self.http.get(f"{self.gateway}/metrics")).text
        counts: dict[str, int] = {}
        for name, value in SUBGRAPH_REQUESTS.findall(text):
            counts[name] = counts.get(name, 0) + int(float(value))
        return counts


@asynccontextmanager
async def serve_system(
    mongodb_uri: str,
    amqp_url: str,
    services: Sequence[str] = SERVICES,
    *,
    auth: AuthSettings | None = None,
    env: Mapping[str, str] | None = None,
    headers: dict[str, str] | None = None,
    http_timeout: float = 30.0,
    capture_events: bool = False,
    capture_logs: bool = False,
    **gateway: Any,
) -> AsyncIterator[SystemHandle]:
    """The named services (each with its own database and queues, all on one fresh events
    exchange) and the gateway over them, served in-process and ready. `auth` applies to every
    process; `gateway` overrides GatewaySettings fields; `env` is set while the system runs.
    `capture_events` collects every event on the exchange (bound before any service starts);
    `capture_logs` every log record (installed after the apps set up their logging)."""
    from crm_gateway.app import create_app as gateway_app
    from crm_gateway.settings import GatewaySettings

    exchange = unique("crm.events")
    shared: dict[str, Any] = {} if auth is None else {"auth": auth}
    async with AsyncExitStack() as stack:
        stack.enter_context(environment(env))
        settings = {
            name: service_settings(name, mongodb_uri, amqp_url, events_exchange=exchange, **shared)
            for name in services
        }
        system = SystemHandle(
            http=await stack.enter_async_context(httpx.AsyncClient(timeout=http_timeout)),
            graphql="",
            headers=headers if headers is not None else auth_headers(),
            gateway="",
            subgraphs={name: f"http://127.0.0.1:{s.port}/graphql" for name, s in settings.items()},
            exchange=exchange,
            amqp_url=amqp_url,
            settings=settings,
        )
        if capture_events:
            system.events = await stack.enter_async_context(captured_events(amqp_url, exchange))
        system._built = {name: create_service_app(name, s) for name, s in settings.items()}
        gateway_settings = GatewaySettings(
            port=free_port(), subgraphs=tuple(system.subgraphs.items()), **shared | gateway
        )
        app = gateway_app(gateway_settings)
        if capture_logs:
            stack.enter_context(captured_logs(system.logs))
        stack.push_async_callback(system.stop_all)
        for name in services:
            await system.start(name)
        system.gateway = await stack.enter_async_context(serve_app(app, gateway_settings.port))
        await wait_ready(system.gateway)
        system.graphql = f"{system.gateway}/graphql"
        yield system
