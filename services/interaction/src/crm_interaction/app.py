"""Bootstrap: the one place where adapters are built and wired to the service."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from pymongo import monitoring
from starlette.applications import Starlette

from crm_interaction.graphql.schema import schema
from crm_interaction.handlers import CustomerEventHandlers
from crm_interaction.indexes import ALL_INDEXES
from crm_interaction.insight_views import InsightViews
from crm_interaction.jobs import JobHandlers
from crm_interaction.lifecycle import CustomerLifecycle
from crm_interaction.repository import CustomerProjection, InteractionRepository
from crm_interaction.scheduler import JobStore, Scheduler
from crm_interaction.services import Deps
from crm_interaction.stores import PurchaseRepository, TaskRepository, TimelineRepository
from crm_interaction.ticket_store import AgentDirectory, TicketRepository
from crm_interaction.ticket_views import TicketViews
from crm_interaction.tickets.sla import SlaRules
from crm_interaction.views import InteractionViews
from crm_kit.audit import enable_audit, install_audit
from crm_kit.events import utcnow
from crm_kit.idempotency import IdempotencyGuards
from crm_kit.service import Runtime, ServiceSpec, Worker, create_service_app
from crm_kit.settings import ServiceSettings

SERVICE_NAME = "interaction"
DEFAULT_PORT = 4002


def create_app(
    settings: ServiceSettings | None = None,
    *,
    mongo_listeners: Sequence[monitoring._EventListener] = (),
    clock: Callable[[], datetime] = utcnow,
    sla: SlaRules | None = None,
    scheduler_poll_seconds: float = 1.0,
    scheduler_lease_seconds: float = 60.0,
) -> Starlette:
    """The interaction subgraph as an ASGI app.

    `mongo_listeners`: PyMongo command listeners on the service's client (tests count
    database commands with them); `clock`: the time source for new items, SLA and the
    scheduler (tests control it); `sla`: SLA policies and business calendar (default:
    Asia/Shanghai, Mon–Fri 09:00–18:00).
    """
    settings = settings or ServiceSettings.from_env(SERVICE_NAME, DEFAULT_PORT)
    schedulers: list[Scheduler] = []
    lifecycles: list[CustomerLifecycle] = []

    def build_deps(runtime: Runtime) -> Deps:
        enable_audit(runtime)
        views = InteractionViews(runtime.db)
        deps = Deps(
            uow=runtime.uow,
            customers=CustomerProjection(runtime.db),
            interactions=InteractionRepository(runtime.db),
            guards=IdempotencyGuards(runtime.db),
            views=views,
            tickets=TicketRepository(runtime.db),
            agents=AgentDirectory(runtime.db),
            tasks=TaskRepository(runtime.db),
            purchases=PurchaseRepository(runtime.db),
            timeline=TimelineRepository(runtime.db),
            jobs=JobStore(runtime.db),
            sla=sla or SlaRules.default(),
            ticket_views=TicketViews(runtime.db),
            insight=InsightViews(runtime.db, views),
            clock=clock,
        )
        schedulers.append(
            Scheduler(
                runtime.db,
                runtime.uow,
                JobHandlers(deps).routes(),
                clock,
                lease_seconds=scheduler_lease_seconds,
                poll_seconds=scheduler_poll_seconds,
            )
        )
        lifecycles.append(CustomerLifecycle(runtime.db))
        return deps

    def workers(_deps: Deps) -> Sequence[Worker]:
        return [scheduler.run for scheduler in schedulers]

    def handlers(deps: Deps) -> CustomerEventHandlers:
        return CustomerEventHandlers(
            deps.customers, lifecycles[0] if lifecycles else None, deps.timeline
        )

    spec: ServiceSpec[Deps] = ServiceSpec(
        settings=settings,
        schema=schema,
        indexes=ALL_INDEXES,
        build_deps=build_deps,
        handlers=lambda deps: handlers(deps).routes(),
        workers=workers,
    )
    app = create_service_app(spec, mongo_listeners)
    app.state.scheduler = schedulers[0]
    install_audit(app)
    return app
