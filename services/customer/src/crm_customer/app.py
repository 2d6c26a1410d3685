"""Bootstrap: the only place that wires concrete adapters for the customer service."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from pymongo import monitoring
from pymongo.asynchronous.database import AsyncDatabase
from starlette.applications import Starlette

from crm_customer.assignment.service import Assigner, AssignmentService
from crm_customer.assignment.store import RuleRepository
from crm_customer.catalog.queries import CatalogQueries
from crm_customer.catalog.service import CatalogService
from crm_customer.catalog.store import FieldDefinitionRepository, TagRepository
from crm_customer.customers.bulk import BulkService
from crm_customer.customers.queries import CustomerQueries
from crm_customer.customers.service import CustomerService
from crm_customer.customers.store import CustomerRepository
from crm_customer.duplicates.detection import DuplicateDetector
from crm_customer.duplicates.queries import DuplicateQueries
from crm_customer.duplicates.service import DuplicateService
from crm_customer.duplicates.store import DuplicateRepository
from crm_customer.events import on_opportunity_created, on_opportunity_won
from crm_customer.graphql.context import Deps
from crm_customer.graphql.schema import schema
from crm_customer.history.queries import HistoryQueries
from crm_customer.history.service import HistoryService
from crm_customer.history.store import HistoryRepository
from crm_customer.imports.export import ExportService
from crm_customer.imports.links import download_links
from crm_customer.imports.queries import JobQueries
from crm_customer.imports.routes import ROUTES as DOWNLOAD_ROUTES
from crm_customer.imports.service import ImportService
from crm_customer.imports.store import JobRepository
from crm_customer.imports.worker import JobWorker
from crm_customer.indexes import ALL_INDEXES
from crm_customer.protection.crypto import DataProtector
from crm_customer.settings import ImportSettings, ViewerSettings, service_settings
from crm_customer.staff.service import StaffService
from crm_customer.staff.store import StaffRepository
from crm_kit.consumer import EventHandler
from crm_kit.file_links import FileLinkSigner
from crm_kit.imports.worker import ProgressHub
from crm_kit.mongo import Document
from crm_kit.service import Runtime, ServiceSpec, create_service_app
from crm_kit.settings import FileLinkSettings, ServiceSettings
from crm_kit.uow import UnitOfWork

_log = logging.getLogger("crm_customer")


def build_deps(runtime: Runtime, keys: DataProtector, links: FileLinkSettings) -> Deps:
    """The service's use cases and read sides over the runtime's database and unit of work
    (audited: the spec says so)."""
    imports = ImportSettings.from_env(runtime.settings.upload_max_bytes)
    return wire(runtime.db, runtime.uow, keys, imports, ViewerSettings.from_env(), links=links)


def wire(
    db: AsyncDatabase[Document],
    uow: UnitOfWork,
    keys: DataProtector,
    imports: ImportSettings | None = None,
    viewer: ViewerSettings | None = None,
    *,
    links: FileLinkSettings | None = None,
) -> Deps:
    """Every adapter, use case and read side of the service over one database (`links`: how
    download links are signed; the development secret when omitted)."""
    imports = imports or ImportSettings()
    downloads = download_links(FileLinkSigner.of(links or FileLinkSettings()))
    customers, history = CustomerRepository(db, keys), HistoryRepository(db, keys)
    duplicates, staff, rules = DuplicateRepository(db), StaffRepository(db), RuleRepository(db)
    customer_queries, catalog_queries = CustomerQueries(db, keys), CatalogQueries(db)
    detector = DuplicateDetector(duplicates, keys, names=customer_queries)
    assigner = Assigner(rules, staff, customer_queries)
    service = CustomerService(
        uow,
        customers,
        history,
        detector,
        staff=staff,
        definitions=catalog_queries,
        assigner=assigner,
    )
    jobs = JobRepository(db, keys)
    importer = ImportService(
        uow,
        jobs,
        service,
        customer_queries,
        detector,
        max_bytes=imports.max_bytes,
        max_rows=imports.max_rows,
        batch_rows=imports.batch_rows,
    )
    exporter = ExportService(uow, jobs, customer_queries)
    definitions, tags = FieldDefinitionRepository(db), TagRepository(db)
    return Deps(
        customers=service,
        customer_queries=customer_queries,
        bulk=BulkService(service, customer_queries),
        history=HistoryService(uow, customers, history, detector),
        history_queries=HistoryQueries(db, keys),
        duplicates=DuplicateService(uow, customers, history, duplicates, detector),
        duplicate_queries=DuplicateQueries(db),
        catalog=CatalogService(uow, definitions, tags, service, customer_queries),
        catalog_queries=catalog_queries,
        assignment=AssignmentService(uow, rules, customers.guards, assigner),
        staff=StaffService(uow, staff, customers.guards),
        imports=importer,
        exports=exporter,
        jobs=JobQueries(db, downloads),
        worker=JobWorker(jobs, importer, exporter, uow, ProgressHub()),
        viewer=viewer or ViewerSettings(),
    )


def event_handlers(deps: Deps) -> Mapping[str, EventHandler]:
    """The events this service consumes (its queue is bound to exactly these), each with its
    handler: the customer's stage follows its sales opportunities."""
    return {
        on_opportunity_created.TYPE: on_opportunity_created.handler(deps.customers),
        on_opportunity_won.TYPE: on_opportunity_won.handler(deps.customers),
    }


def create_app(
    settings: ServiceSettings | None = None,
    mongo_listeners: Sequence[monitoring._EventListener] = (),
    protector: DataProtector | None = None,
    file_links: FileLinkSettings | None = None,
) -> Starlette:
    """The service app; `file_links` (FILE_LINK_SECRET, FILE_LINK_TTL_SECONDS) are read from
    the environment unless given (refused in production mode when insecure)."""
    settings = settings or service_settings()
    keys = protector or DataProtector.from_env()
    links = (file_links or FileLinkSettings.from_env(check=False)).checked()
    if keys.is_development:
        _log.warning("CUSTOMER_DATA_KEYS is not set: ID numbers use the public development key")
    app = create_service_app(
        ServiceSpec(
            settings=settings,
            schema=schema,
            indexes=ALL_INDEXES,
            build_deps=lambda runtime: build_deps(runtime, keys, links),
            handlers=event_handlers,
            workers=lambda deps: [deps.worker.run],
            multipart_uploads=True,  # customer import files
            audit=True,
            routes=DOWNLOAD_ROUTES,  # GET /files/{token}: signed download links
        ),
        mongo_listeners,
    )
    return app
