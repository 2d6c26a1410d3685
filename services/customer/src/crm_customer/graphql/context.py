"""What every resolver receives: the request context (crm_kit) holding the service's use
cases and read sides, built once per process by `crm_customer.app`."""

from __future__ import annotations

from dataclasses import dataclass

from strawberry.types import Info as StrawberryInfo

from crm_customer.assignment.service import AssignmentService
from crm_customer.catalog.queries import CatalogQueries
from crm_customer.catalog.service import CatalogService
from crm_customer.customers.bulk import BulkService
from crm_customer.customers.queries import CustomerQueries
from crm_customer.customers.service import CustomerService
from crm_customer.duplicates.queries import DuplicateQueries
from crm_customer.duplicates.service import DuplicateService
from crm_customer.history.queries import HistoryQueries
from crm_customer.history.service import HistoryService
from crm_customer.imports.export import ExportService
from crm_customer.imports.queries import JobQueries
from crm_customer.imports.service import ImportService
from crm_customer.imports.worker import JobWorker
from crm_customer.settings import ViewerSettings
from crm_customer.staff.service import StaffService
from crm_kit.graphql import RequestContext


@dataclass(frozen=True, slots=True)
class Deps:
    customers: CustomerService
    customer_queries: CustomerQueries
    bulk: BulkService
    history: HistoryService
    history_queries: HistoryQueries
    duplicates: DuplicateService
    duplicate_queries: DuplicateQueries
    catalog: CatalogService
    catalog_queries: CatalogQueries
    assignment: AssignmentService
    staff: StaffService
    imports: ImportService
    exports: ExportService
    jobs: JobQueries
    worker: JobWorker  # runs the import and export jobs; its hub announces their progress
    viewer: ViewerSettings  # the `viewer` field's defaults (time zone)


type Context = RequestContext[Deps]
type Info = StrawberryInfo[Context, None]
