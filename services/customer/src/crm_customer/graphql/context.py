from __future__ import annotations

from dataclasses import dataclass

from strawberry.types import Info as StrawberryInfo

from crm_customer.bulk import BulkCommands
from crm_customer.catalog.service import CatalogCommands
from crm_customer.commands import CustomerCommands
from crm_customer.imports.wiring import JobServices
from crm_customer.merging import MergeCommands
from crm_customer.repository import CustomerRepository
from crm_customer.staff_repository import StaffDirectory
from crm_customer.statistics import StatisticsReader
from crm_kit.graphql import RequestContext


@dataclass(frozen=True, slots=True)
class Deps:
    customers: CustomerRepository
    commands: CustomerCommands
    merges: MergeCommands
    statistics: StatisticsReader
    bulk: BulkCommands
    staff: StaffDirectory
    catalog: CatalogCommands
    jobs: JobServices | None = None  # import/export jobs (crm_customer.imports)


type Context = RequestContext[Deps]
type Info = StrawberryInfo[Context, None]
