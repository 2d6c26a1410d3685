"""Bootstrap: the one place where adapters are built and wired to the features."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from pymongo import monitoring
from pymongo.asynchronous.database import AsyncDatabase
from starlette.applications import Starlette
from starlette.requests import Request

from crm_kit.consumer import EventHandler
from crm_kit.events import utcnow
from crm_kit.file_links import FileLinkSigner
from crm_kit.idempotency import IdempotencyGuards
from crm_kit.mongo import Document
from crm_kit.service import Runtime, ServiceSpec, create_service_app
from crm_kit.settings import FileLinkSettings, ServiceSettings
from crm_kit.uow import UnitOfWork
from crm_sales.assignment.owners import Owners
from crm_sales.assignment.rules_service import RuleService
from crm_sales.assignment.rules_store import AssignedByRepository, OwnerLoads, RuleRepository
from crm_sales.assignment.service import AssignmentService
from crm_sales.assignment.staff_store import SalesStaffRepository
from crm_sales.customers.queries import CustomerQueries
from crm_sales.customers.service import CustomerService
from crm_sales.customers.store import CustomerRepository
from crm_sales.duplicates.queries import DuplicateQueries
from crm_sales.events import (
    on_customer_archived,
    on_customer_assigned,
    on_customer_created,
    on_customer_erased,
    on_customer_merged,
    on_customer_unmerged,
    on_customer_updated,
)
from crm_sales.forecast.queries import ForecastQueries
from crm_sales.forecast.service import ForecastService
from crm_sales.forecast.store import SubmissionRepository
from crm_sales.graphql.context import Features
from crm_sales.graphql.schema import schema
from crm_sales.history.queries import HistoryQueries
from crm_sales.history.store import HistoryRepository
from crm_sales.i18n import CATALOG
from crm_sales.imports.downloads import download_routes as import_download_routes
from crm_sales.imports.parts import ImportSources, import_parts
from crm_sales.imports.queries import ImportJobQueries
from crm_sales.imports.service import ImportLimits
from crm_sales.imports.store import INDEXES as IMPORT_INDEXES
from crm_sales.kanban.queries import BoardQueries
from crm_sales.kanban.summaries import BoardSummaries
from crm_sales.merge.service import MergeService
from crm_sales.migrations.indexes import ALL_INDEXES
from crm_sales.money.queries import RateQueries
from crm_sales.money.service import RateService
from crm_sales.money.store import RateRepository
from crm_sales.opportunities.queries import OpportunityQueries
from crm_sales.opportunities.service import Catalogs, OpportunityService
from crm_sales.opportunities.store import OpportunityRepository
from crm_sales.pipelines.queries import PipelineQueries
from crm_sales.pipelines.service import PipelineService
from crm_sales.pipelines.store import PipelineRepository
from crm_sales.point_in_time.queries import PointInTimeQueries
from crm_sales.products.queries import ProductQueries
from crm_sales.products.service import Pricing, ProductService
from crm_sales.products.store import PriceBookRepository, ProductRepository
from crm_sales.quotes.downloads import QuoteFiles
from crm_sales.quotes.links import QuoteLinks
from crm_sales.quotes.pdf import PdfRenderer
from crm_sales.quotes.queries import QuoteQueries
from crm_sales.quotes.routes import ROUTES as DOWNLOAD_ROUTES
from crm_sales.quotes.service import QuoteService
from crm_sales.quotes.store import QuoteRepository, QuoteSettingsRepository
from crm_sales.quotes.winning import DealWinner
from crm_sales.reasons.queries import ReasonQueries
from crm_sales.reasons.service import ReasonService
from crm_sales.reasons.store import ReasonRepository
from crm_sales.settings import SalesSettings
from crm_sales.shared.clock import Clock
from crm_sales.shared.writes import Writes
from crm_sales.stalls.service import StallWatch, stall_watch
from crm_sales.targets.queries import TargetQueries
from crm_sales.targets.service import TargetService
from crm_sales.targets.store import StaffRoster, TargetRepository
from crm_sales.win_probability.queries import WinQueries

SERVICE_NAME = "sales"
DEFAULT_PORT = 4004


@dataclass(frozen=True, slots=True)
class Wiring:
    """The service's parts, built over one database."""

    features: Features  # what the GraphQL layer calls
    event_handlers: Mapping[str, EventHandler]  # consumed event type → handler


def wire(
    db: AsyncDatabase[Document],
    uow: UnitOfWork,
    clock: Clock,
    options: SalesSettings,
    links: FileLinkSettings | None = None,
    *,
    import_limits: ImportLimits | None = None,
) -> Wiring:
    """Every use case and read side over one database (`links`: how download links are
    signed; the development secret when omitted; `import_limits`: the opportunity imports')."""
    base = options.base_currency
    writes = Writes(uow, clock, IdempotencyGuards(db))
    customer_store = CustomerRepository(db)
    customers = CustomerQueries(customer_store, options.customer_wait_seconds)
    opportunities, history = OpportunityRepository(db), HistoryRepository(db)
    pipelines, reasons = PipelineRepository(db), ReasonRepository(db)
    products, books = ProductRepository(db), PriceBookRepository(db)
    rate_queries = RateQueries(db, base)
    pipeline_queries, opportunity_queries = PipelineQueries(db), OpportunityQueries(db)
    catalogs = Catalogs(customers, pipelines, reasons, Pricing(products, books), rate_queries)
    calendar = options.calendar
    targets, roster = TargetRepository(db, calendar), StaffRoster(db)
    submissions = SubmissionRepository(db, calendar)
    staff, rules = SalesStaffRepository(db), RuleRepository(db)
    assigned_by = AssignedByRepository(db)
    owners = Owners(rules, staff, assigned_by, opportunities, history, OwnerLoads(db))
    quote_store, quote_queries = QuoteRepository(db), QuoteQueries(db)

    def opportunity_use_cases(over: Writes) -> OpportunityService:
        """The opportunity use cases over a given unit of work."""
        return OpportunityService(over, opportunities, history, catalogs, owners=owners)

    features = Features(
        base_currency=base,
        clock=clock,
        customers=customers,
        pipelines=PipelineService(writes, pipelines, opportunities),
        pipeline_queries=pipeline_queries,
        reasons=ReasonService(writes, reasons),
        reason_queries=ReasonQueries(db),
        rates=RateService(writes, RateRepository(db), base),
        rate_queries=rate_queries,
        products=ProductService(writes, products, books),
        product_queries=ProductQueries(db),
        opportunities=OpportunityService(writes, opportunities, history, catalogs, owners=owners),
        opportunity_queries=opportunity_queries,
        history=HistoryQueries(db),
        board=BoardQueries(opportunity_queries, BoardSummaries(db)),
        point_in_time=PointInTimeQueries(db),
        assignment=AssignmentService(
            writes,
            opportunities,
            history,
            pipelines,
            rate_queries,
            opportunity_queries,
            options.bulk_max_items,
            assigned_by=assigned_by,
        ),
        assignment_rules=RuleService(writes, rules, assigned_by, staff, pipeline_queries, base),
        duplicates=DuplicateQueries(db),
        merges=MergeService(writes, opportunities, history, pipelines, rate_queries),
        quotes=QuoteService(
            writes,
            quote_store,
            QuoteSettingsRepository(db),
            opportunities,
            DealWinner(pipelines, opportunity_use_cases(writes)),
        ),
        quote_queries=quote_queries,
        quote_files=QuoteFiles(
            QuoteLinks(FileLinkSigner.of(links or FileLinkSettings())),
            PdfRenderer(options.pdf_font),
            quote_queries,
            opportunity_queries,
            clock,
        ),
        targets=TargetService(writes, targets, roster, calendar=calendar, base_currency=base),
        target_queries=TargetQueries(
            db, targets, roster, calendar=calendar, base_currency=base, clock=clock
        ),
        imports=import_parts(
            db,
            uow,
            ImportSources(
                opportunity_use_cases(writes), opportunity_queries, pipeline_queries, customers
            ),
            import_limits or ImportLimits(),
            FileLinkSigner.of(links or FileLinkSettings()),
        ),
        forecast=ForecastService(
            writes, submissions, roster, calendar=calendar, base_currency=base
        ),
        forecast_queries=ForecastQueries(
            db,
            opportunity_queries,
            pipeline_queries,
            (submissions, targets, roster),
            calendar=calendar,
            base_currency=base,
            clock=clock,
        ),
        win_probability=WinQueries(db, clock),
    )
    projection = CustomerService(customer_store, (opportunities, history, quote_store))
    return Wiring(features, customer_event_handlers(projection))


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


def _import_jobs(request: Request) -> ImportJobQueries:
    features: Features = request.app.state.deps
    return features.imports.jobs


def create_app(
    settings: ServiceSettings | None = None,
    *,
    options: SalesSettings | None = None,
    mongo_listeners: Sequence[monitoring._EventListener] = (),
    clock: Callable[[], datetime] = utcnow,
    file_links: FileLinkSettings | None = None,
) -> Starlette:
    """The sales subgraph as an ASGI app.

    `options`: the service's own settings (base currency, the projection wait);
    `mongo_listeners`: PyMongo command listeners on the service's client (tests count
    database commands with them); `clock`: the time source (tests control it);
    `file_links` (FILE_LINK_SECRET, FILE_LINK_TTL_SECONDS): read from the environment unless
    given (refused in production mode when insecure).
    """
    settings = settings or ServiceSettings.from_env(SERVICE_NAME, DEFAULT_PORT)
    options = options or SalesSettings()
    links = (file_links or FileLinkSettings.from_env(check=False)).checked()
    PdfRenderer(options.pdf_font).available()  # a missing PDF font is logged once, at start
    wired: list[Wiring] = []
    watches: list[StallWatch] = []

    def build_deps(runtime: Runtime) -> Features:
        limits = ImportLimits.from_env(runtime.settings.upload_max_bytes)
        wired.append(wire(runtime.db, runtime.uow, clock, options, links, import_limits=limits))
        watches.append(stall_watch(runtime.db, runtime.uow, clock, options))
        return wired[0].features

    spec: ServiceSpec[Features] = ServiceSpec(
        settings=settings,
        schema=schema,
        indexes=[*ALL_INDEXES, *IMPORT_INDEXES],
        build_deps=build_deps,
        handlers=lambda _features: wired[0].event_handlers,
        workers=lambda features: [watches[0].run, features.imports.worker.run],
        audit=True,
        multipart_uploads=True,  # opportunity import files
        # GET /files/{token}: import templates and error reports, and (handed on) quote documents
        routes=import_download_routes(_import_jobs, CATALOG, others=DOWNLOAD_ROUTES[0].endpoint),
    )
    app = create_service_app(spec, mongo_listeners)
    app.state.stall_watch = watches[0]  # `tick()` runs a pass now (operations, tests)
    return app
