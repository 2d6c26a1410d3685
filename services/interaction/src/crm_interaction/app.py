"""Bootstrap: the one place where adapters are built and wired to the features."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from pymongo import monitoring
from pymongo.asynchronous.database import AsyncDatabase
from starlette.applications import Starlette

from crm_interaction.analytics.queries import AnalyticsQueries
from crm_interaction.customers.queries import CustomerQueries
from crm_interaction.customers.service import CustomerService
from crm_interaction.customers.store import CustomerRepository
from crm_interaction.events import (
    on_customer_archived,
    on_customer_assigned,
    on_customer_created,
    on_customer_erased,
    on_customer_merged,
    on_customer_unmerged,
    on_customer_updated,
    on_opportunity_lost,
    on_opportunity_merged,
    on_opportunity_won,
)
from crm_interaction.graphql.context import Features
from crm_interaction.graphql.schema import schema
from crm_interaction.insight.queries import InsightQueries
from crm_interaction.interactions.queries import InteractionQueries
from crm_interaction.interactions.service import InteractionService
from crm_interaction.interactions.store import InteractionRepository
from crm_interaction.migrations.indexes import ALL_INDEXES
from crm_interaction.purchases.queries import PurchaseQueries
from crm_interaction.purchases.service import PurchaseService
from crm_interaction.purchases.store import PurchaseRepository
from crm_interaction.scheduling.scheduler import JobHandler, Scheduler, SchedulerOptions
from crm_interaction.scheduling.store import JobRepository
from crm_interaction.shared.clock import Clock
from crm_interaction.shared.filing import Filing
from crm_interaction.tasks import service as tasks
from crm_interaction.tasks.queries import TaskQueries
from crm_interaction.tasks.store import TaskRepository
from crm_interaction.tickets import service as tickets
from crm_interaction.tickets.queries import TicketQueries
from crm_interaction.tickets.sla import SlaRules
from crm_interaction.tickets.store import AgentRepository, TicketRepository
from crm_interaction.timeline.queries import TimelineQueries
from crm_interaction.timeline.service import TimelineService
from crm_interaction.timeline.store import OpportunityMergeRepository, TimelineRepository
from crm_kit.consumer import EventHandler
from crm_kit.events import utcnow
from crm_kit.idempotency import IdempotencyGuards
from crm_kit.mongo import Document
from crm_kit.service import Runtime, ServiceSpec, Worker, create_service_app
from crm_kit.settings import ServiceSettings
from crm_kit.uow import UnitOfWork

SERVICE_NAME = "interaction"
DEFAULT_PORT = 4002


@dataclass(frozen=True, slots=True)
class Wiring:
    """The service's parts, built over one database."""

    features: Features  # what the GraphQL layer calls
    event_handlers: Mapping[str, EventHandler]  # consumed event type → handler
    job_handlers: Mapping[str, JobHandler]  # scheduled job kind → handler


def wire(db: AsyncDatabase[Document], uow: UnitOfWork, clock: Clock, sla: SlaRules) -> Wiring:
    customer_store = CustomerRepository(db)
    timeline = TimelineRepository(db)
    filing = Filing(uow, clock, IdempotencyGuards(db), CustomerQueries(customer_store), timeline)
    interactions = InteractionRepository(db)
    ticket_store = TicketRepository(db)
    task_store = TaskRepository(db)
    purchase_store = PurchaseRepository(db)
    jobs = JobRepository(db)
    ticket_service = tickets.TicketService(filing, ticket_store, AgentRepository(db), jobs, sla)
    task_service = tasks.TaskService(filing, task_store, jobs)
    interaction_queries = InteractionQueries(db)
    features = Features(
        customers=filing.customers,
        interactions=InteractionService(filing, interactions),
        interaction_queries=interaction_queries,
        tickets=ticket_service,
        ticket_queries=TicketQueries(db),
        tasks=task_service,
        task_queries=TaskQueries(db),
        purchases=PurchaseService(filing, purchase_store),
        purchase_queries=PurchaseQueries(db),
        timeline=TimelineQueries(db),
        insight=InsightQueries(db, interaction_queries, clock),
        analytics=AnalyticsQueries(db),
    )
    records = (interactions, ticket_store, task_store, purchase_store, timeline)
    customers = CustomerService(customer_store, timeline, records)
    job_handlers = {
        tickets.SLA_JOB: ticket_service.check_sla,
        tasks.REMINDER_JOB: task_service.remind,
        tasks.OVERDUE_JOB: task_service.check_overdue,
    }
    handlers = {
        **customer_event_handlers(customers),
        **opportunity_event_handlers(
            TimelineService(customer_store, timeline, OpportunityMergeRepository(db))
        ),
    }
    return Wiring(features, handlers, job_handlers)


def customer_event_handlers(customers: CustomerService) -> Mapping[str, EventHandler]:
    """The customer events this service consumes, each with its handler."""
    return {
        on_customer_created.TYPE: on_customer_created.handler(customers),
        on_customer_updated.TYPE: on_customer_updated.handler(customers),
        on_customer_assigned.TYPE: on_customer_assigned.handler(customers),
        on_customer_archived.TYPE: on_customer_archived.handler(customers),
        on_customer_merged.TYPE: on_customer_merged.handler(customers),
        on_customer_unmerged.TYPE: on_customer_unmerged.handler(customers),
        on_customer_erased.TYPE: on_customer_erased.handler(customers),
    }


def opportunity_event_handlers(timeline: TimelineService) -> Mapping[str, EventHandler]:
    """The sales events this service consumes: won and lost deals on the timeline, and merged
    deals folded into their survivors there."""
    return {
        on_opportunity_won.TYPE: on_opportunity_won.handler(timeline),
        on_opportunity_lost.TYPE: on_opportunity_lost.handler(timeline),
        on_opportunity_merged.TYPE: on_opportunity_merged.handler(timeline),
    }


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
    scheduling = SchedulerOptions(
        lease_seconds=scheduler_lease_seconds, poll_seconds=scheduler_poll_seconds
    )
    wired: list[Wiring] = []
    schedulers: list[Scheduler] = []

    def build_deps(runtime: Runtime) -> Features:
        wired.append(wire(runtime.db, runtime.uow, clock, sla or SlaRules.default()))
        jobs = JobRepository(runtime.db)
        schedulers.append(Scheduler(jobs, runtime.uow, wired[0].job_handlers, clock, scheduling))
        return wired[0].features

    def workers(_features: Features) -> Sequence[Worker]:
        return [schedulers[0].run]

    spec: ServiceSpec[Features] = ServiceSpec(
        settings=settings,
        schema=schema,
        indexes=ALL_INDEXES,
        build_deps=build_deps,
        handlers=lambda _features: wired[0].event_handlers,
        workers=workers,
        audit=True,
    )
    app = create_service_app(spec, mongo_listeners)
    app.state.scheduler = schedulers[0]
    return app
