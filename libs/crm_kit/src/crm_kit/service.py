"""A service process: Starlette app with the subgraph at /graphql, health probes, and its
workers (outbox relay, event consumer, extra loops) started in the lifespan.

A service declares everything in its ServiceSpec (audit, unit-of-work wrappers, extra routes
and middleware, WebSocket authentication); nothing changes the runtime or the app after
`create_service_app` has built them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.database import AsyncDatabase
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UnsetType

from crm_kit.audit import enable_audit
from crm_kit.audit.web import AuditMiddleware
from crm_kit.auth import Principal, TokenVerifier, bearer_token
from crm_kit.bus import EventBus
from crm_kit.consumer import INBOX_COLLECTION, EventConsumer, EventFilter, EventHandler, Intake
from crm_kit.errors import CrmError
from crm_kit.events import CloudEvent
from crm_kit.graphql import RequestContext, new_request_id
from crm_kit.localise import LanguageMiddleware
from crm_kit.logs import request_id_var, setup_logging
from crm_kit.metrics import render_metrics
from crm_kit.mongo import Document, IndexSpec, create_client, ensure_indexes, ping
from crm_kit.outbox import OUTBOX_INDEXES, OutboxRelay
from crm_kit.settings import ServiceSettings
from crm_kit.telemetry import setup_tracing
from crm_kit.uow import UnitOfWork
from crm_kit.uploads import UploadLimit

_log = logging.getLogger("crm_kit.service")

type Worker = Callable[[asyncio.Event], Coroutine[Any, Any, None]]
type UowWrapper = Callable[[UnitOfWork], UnitOfWork]


@dataclass(frozen=True, slots=True)
class EventLane:
    """A queue of the service's own, `<service>.<name>.events`, for the events `takes` picks
    (the main queue acknowledges them untouched). A backlog of them — a bulk import's
    thousand events — then waits in its own queue instead of in front of everything else.
    `takes` must depend on the event alone, so that each event is applied by one queue."""

    name: str
    takes: EventFilter
    prefetch: int = 32
    concurrency: int = 2
    group_size: int = 1  # events applied in one transaction (`crm_kit.group_commit`)


@dataclass
class Runtime:
    """The concrete adapters of one service process, built once at start-up."""

    settings: ServiceSettings
    client: AsyncMongoClient[Document]
    db: AsyncDatabase[Document]
    bus: EventBus
    relay: OutboxRelay
    uow: UnitOfWork
    consumer: EventConsumer | None = None
    lanes: list[EventConsumer] = field(default_factory=list)
    ready: bool = False
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def consumers(self) -> list[EventConsumer]:
        """The main consumer (when the service consumes events) and its lanes."""
        return [c for c in (self.consumer, *self.lanes) if c is not None]


@dataclass
class ServiceSpec[D]:
    """What a service declares; `bootstrap` turns it into a running app."""

    settings: ServiceSettings
    schema: Any
    indexes: Sequence[IndexSpec]
    build_deps: Callable[[Runtime], D]
    handlers: Callable[[D], Mapping[str, EventHandler]] = lambda _deps: {}
    workers: Callable[[D], Sequence[Worker]] = lambda _deps: ()
    # GraphQL multipart request spec (`Upload` scalar); bodies capped by upload_max_bytes.
    multipart_uploads: bool = False
    # The tamper-evident audit log (crm_kit.audit): every transaction of `runtime.uow` writes
    # its records, and the request middleware records the caller's address.
    audit: bool = False
    # Wrappers of the unit of work, innermost first (e.g. after-commit hooks); the audit
    # wrapper, when on, goes around them. Applied before `build_deps` sees the runtime.
    uow_wrappers: Sequence[UowWrapper] = ()
    # Routes besides /graphql and the probes, and ASGI middleware inside the audit middleware.
    routes: Sequence[BaseRoute] = ()
    middleware: Sequence[Middleware] = ()
    # Subscriptions authenticate from the graphql-transport-ws `connection_init` payload
    # (`{"Authorization": "Bearer <JWT>"}`) too: browsers cannot set WebSocket headers.
    websocket_connection_auth: bool = False
    # Queues besides the main one, each for the events its lane takes (same handlers).
    lanes: Sequence[EventLane] = ()


def build_runtime(
    settings: ServiceSettings,
    mongo_listeners: Sequence[monitoring._EventListener] = (),
    uow_wrappers: Sequence[UowWrapper] = (),
) -> Runtime:
    client = create_client(settings.mongodb_uri, settings.service_name, mongo_listeners)
    db = client[settings.mongodb_database]
    bus = EventBus(settings.amqp_url, settings.events_exchange)
    relay = OutboxRelay(
        db,
        bus,
        batch_size=settings.outbox_batch_size,
        poll_seconds=settings.outbox_poll_seconds,
        retention=timedelta(hours=settings.outbox_retention_hours),
        lease_seconds=settings.outbox_lease_seconds,
        age_alert_seconds=settings.outbox_age_alert_seconds,
    )
    uow = UnitOfWork(client, db, source=f"crm/{settings.service_name}", on_commit=relay.wake)
    for wrap in uow_wrappers:
        uow = wrap(uow)
    return Runtime(settings, client, db, bus, relay, uow)


def _service_runtime[D](
    spec: ServiceSpec[D], mongo_listeners: Sequence[monitoring._EventListener]
) -> tuple[Runtime, list[Middleware]]:
    """The runtime with the spec's unit-of-work wrappers (audit outermost), and the audit
    middleware that goes with it."""
    runtime = build_runtime(spec.settings, mongo_listeners, spec.uow_wrappers)
    if not spec.audit:
        return runtime, []
    log = enable_audit(runtime)
    return runtime, [Middleware(AuditMiddleware, log=log)]


@dataclass
class WsRequestContext[D](RequestContext[D]):
    """A WebSocket's context: strawberry stores the `connection_init` payload in it."""

    connection_params: dict[str, Any] | None = field(default=None)


class SubgraphView[D](GraphQL[RequestContext[D], None]):
    def __init__(
        self,
        schema: Any,
        deps: D,
        verifier: TokenVerifier,
        multipart_uploads: bool = False,
        connection_auth: bool = False,
    ) -> None:
        super().__init__(schema, graphql_ide=None, multipart_uploads_enabled=multipart_uploads)
        self._deps = deps
        self._verifier = verifier
        self._connection_auth = connection_auth

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext[D]:
        request_id = request.headers.get("x-request-id") or new_request_id()
        request_id_var.set(request_id)
        principal: Principal | CrmError
        try:
            principal = await self._verifier.verify(
                bearer_token(request.headers.get("authorization"))
            )
        except CrmError as exc:
            principal = exc
        if self._connection_auth and isinstance(request, WebSocket):
            return WsRequestContext(
                deps=self._deps, request_id=request_id, principal_or_error=principal
            )
        return RequestContext(deps=self._deps, request_id=request_id, principal_or_error=principal)

    async def on_ws_connect(
        self, context: RequestContext[D]
    ) -> UnsetType | dict[str, object] | None:
        """With `connection_auth`: a token in the `connection_init` payload replaces the upgrade
        request's; a connection with neither a valid one nor a payload token is rejected."""
        if not self._connection_auth:
            return await super().on_ws_connect(context)
        params = getattr(context, "connection_params", None) or {}
        raw = params.get("Authorization") or params.get("authorization")
        if raw is None:
            if isinstance(context.principal_or_error, CrmError):
                raise ConnectionRejectionError({"code": "UNAUTHENTICATED"})
            return None
        try:
            context.principal_or_error = await self._verifier.verify(bearer_token(str(raw)))
        except CrmError as exc:
            raise ConnectionRejectionError(
                {"code": "UNAUTHENTICATED", "message": exc.message}
            ) from exc
        return None


def _consumer(
    runtime: Runtime,
    handlers: Mapping[str, EventHandler],
    lane: EventLane | None = None,
    lanes: Sequence[EventLane] = (),
) -> EventConsumer:
    """A lane's consumer, or (`lane` None) the main one: every event no lane takes."""
    settings = runtime.settings
    name, prefetch, concurrency = settings.service_name, settings.consumer_prefetch, 8
    intake = Intake()
    if lane is not None:
        name, prefetch, concurrency = f"{name}.{lane.name}", lane.prefetch, lane.concurrency
        intake = Intake(lane.takes, lane.group_size)
    elif lanes:

        def no_lane_takes(event: CloudEvent) -> bool:
            return not any(other.takes(event) for other in lanes)

        intake = Intake(no_lane_takes)

    return EventConsumer(
        name,
        runtime.bus,
        runtime.uow,
        handlers,
        prefetch=prefetch,
        max_attempts=settings.consumer_max_attempts,
        retry_delay_ms=settings.consumer_retry_delay_ms,
        handler_timeout_seconds=settings.consumer_handler_timeout_seconds,
        delivery_limit=settings.consumer_delivery_limit,
        concurrency=concurrency,
        intake=intake,
    )


class _Lifecycle[D]:
    """Start-up until the dependencies answer, the background tasks, and an orderly stop."""

    def __init__(self, spec: ServiceSpec[D], runtime: Runtime, deps: D) -> None:
        self.spec, self.runtime, self.deps = spec, runtime, deps
        self.tasks: list[asyncio.Task[None]] = []

    async def _connect(self) -> None:
        runtime = self.runtime
        indexes = [OUTBOX_INDEXES, IndexSpec(INBOX_COLLECTION, ()), *self.spec.indexes]
        await ensure_indexes(runtime.db, indexes)
        await runtime.bus.connect()
        for consumer in runtime.consumers:
            await consumer.start()

    async def _wait_for_dependencies(self) -> None:
        attempt = 0
        while not self.runtime.stop.is_set():
            try:
                await self._connect()
                return
            except Exception as exc:
                attempt += 1
                delay = min(10.0, 0.25 * 2**attempt) * random.uniform(0.5, 1.0)
                _log.warning(
                    "dependencies not ready; retrying",
                    extra={"fields": {"error": type(exc).__name__, "retry_in_s": round(delay, 2)}},
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.runtime.stop.wait(), delay)

    async def boot(self) -> None:
        runtime = self.runtime
        await self._wait_for_dependencies()
        if runtime.stop.is_set():
            return
        self.tasks.append(asyncio.create_task(runtime.relay.run(runtime.stop)))
        bus = runtime.bus
        for consumer in runtime.consumers:
            watch = consumer.watch(runtime.stop, lambda: bus.connected)
            self.tasks.append(asyncio.create_task(watch))
        for worker in self.spec.workers(self.deps):
            self.tasks.append(asyncio.create_task(worker(runtime.stop)))
        runtime.ready = True
        _log.info("service ready", extra={"fields": {"port": runtime.settings.port}})

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        runtime = self.runtime
        boot_task = asyncio.create_task(self.boot())
        try:
            yield
        finally:
            runtime.ready = False
            runtime.stop.set()
            await boot_task
            for consumer in runtime.consumers:
                await consumer.stop()
            if self.tasks:
                await asyncio.wait(self.tasks, timeout=10)
            await runtime.bus.close()
            await runtime.client.close()


class _Probes:
    """`/healthz` (alive), `/readyz` (dependencies reachable, workers running), `/metrics`."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def healthz(self, _request: Request) -> Response:
        return JSONResponse({"status": "alive", "service": self.runtime.settings.service_name})

    async def readyz(self, _request: Request) -> Response:
        runtime = self.runtime
        checks = {
            "mongodb": await ping(runtime.client),
            "rabbitmq": runtime.bus.connected,
            "workers": runtime.ready,
            "consumer": all(consumer.consuming for consumer in runtime.consumers),
        }
        ok = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ok else "not ready", "checks": checks},
            status_code=200 if ok else 503,
        )

    async def metrics(self, _request: Request) -> Response:
        text = render_metrics(self.runtime, self.runtime.settings.service_name)
        return Response(text, media_type="text/plain; version=0.0.4")


def create_service_app[D](
    spec: ServiceSpec[D], mongo_listeners: Sequence[monitoring._EventListener] = ()
) -> Starlette:
    """Wire a ServiceSpec into a Starlette app. The only place adapters are connected.

    `mongo_listeners` are PyMongo command listeners (tests and benchmarks count commands).
    """
    settings = spec.settings
    setup_logging(settings.service_name, settings.log_level, settings.log_format)
    setup_tracing(settings.service_name, settings.otlp_endpoint)
    runtime, audit_middleware = _service_runtime(spec, mongo_listeners)
    deps = spec.build_deps(runtime)
    handlers = spec.handlers(deps)
    if handlers:
        runtime.consumer = _consumer(runtime, handlers, lanes=spec.lanes)
        runtime.lanes = [_consumer(runtime, handlers, lane) for lane in spec.lanes]
    view: SubgraphView[D] = SubgraphView(
        spec.schema,
        deps,
        TokenVerifier(settings.auth),
        spec.multipart_uploads,
        spec.websocket_connection_auth,
    )
    endpoint: ASGIApp = (
        UploadLimit(view, settings.upload_max_bytes) if spec.multipart_uploads else view
    )
    probes = _Probes(runtime)
    app = Starlette(
        routes=[
            Route("/graphql", endpoint, methods=["GET", "POST"]),
            # graphql-transport-ws subscriptions (the gateway routes client subscriptions here)
            WebSocketRoute("/graphql", view),
            Route("/healthz", probes.healthz),
            Route("/readyz", probes.readyz),
            Route("/metrics", probes.metrics),
            *spec.routes,
        ],
        # errors (and language-dependent fields) in the caller's Accept-Language
        middleware=[*audit_middleware, Middleware(LanguageMiddleware), *spec.middleware],
        lifespan=_Lifecycle(spec, runtime, deps).lifespan,
    )
    app.state.runtime = runtime
    app.state.deps = deps
    return app


def serve(app: Starlette, settings: ServiceSettings) -> None:
    import uvicorn

    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=15,
    )
