from __future__ import annotations

from dataclasses import dataclass

from strawberry.types import Info as StrawberryInfo

from crm_customer.bulk import BulkCommands
from crm_customer.commands import CustomerCommands
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


type Context = RequestContext[Deps]
type Info = StrawberryInfo[Context, None]
