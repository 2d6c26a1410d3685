"""What the resolvers reach through `info.context.deps`: each feature's use cases
(`<Thing>Service`) and read side (`<Thing>Queries`), built once by `app.create_app`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

import strawberry

from crm_kit.graphql import RequestContext
from crm_sales.assignment.rules_service import RuleService
from crm_sales.assignment.service import AssignmentService
from crm_sales.customers.queries import CustomerQueries
from crm_sales.duplicates.queries import DuplicateQueries
from crm_sales.forecast.queries import ForecastQueries
from crm_sales.forecast.service import ForecastService
from crm_sales.history.queries import HistoryQueries
from crm_sales.imports.parts import ImportParts
from crm_sales.kanban.queries import BoardQueries
from crm_sales.merge.service import MergeService
from crm_sales.money.queries import RateQueries
from crm_sales.money.service import RateService
from crm_sales.opportunities.queries import OpportunityQueries
from crm_sales.opportunities.service import OpportunityService
from crm_sales.pipelines.queries import PipelineQueries
from crm_sales.pipelines.service import PipelineService
from crm_sales.point_in_time.queries import PointInTimeQueries
from crm_sales.products.queries import ProductQueries
from crm_sales.products.service import ProductService
from crm_sales.quotes.downloads import QuoteFiles
from crm_sales.quotes.queries import QuoteQueries
from crm_sales.quotes.service import QuoteService
from crm_sales.reasons.queries import ReasonQueries
from crm_sales.reasons.service import ReasonService
from crm_sales.shared.clock import Clock
from crm_sales.targets.queries import TargetQueries
from crm_sales.targets.service import TargetService
from crm_sales.win_probability.queries import WinQueries


@dataclass(frozen=True, slots=True)
class Features:
    base_currency: str
    clock: Clock
    customers: CustomerQueries
    pipelines: PipelineService
    pipeline_queries: PipelineQueries
    reasons: ReasonService
    reason_queries: ReasonQueries
    rates: RateService
    rate_queries: RateQueries
    products: ProductService
    product_queries: ProductQueries
    opportunities: OpportunityService
    opportunity_queries: OpportunityQueries
    history: HistoryQueries
    board: BoardQueries
    point_in_time: PointInTimeQueries
    assignment: AssignmentService
    assignment_rules: RuleService
    duplicates: DuplicateQueries
    merges: MergeService
    quotes: QuoteService
    quote_queries: QuoteQueries
    quote_files: QuoteFiles  # document links and downloads
    targets: TargetService
    target_queries: TargetQueries
    imports: ImportParts  # opportunity imports: their use cases, jobs and worker
    forecast: ForecastService
    forecast_queries: ForecastQueries
    win_probability: WinQueries  # the learned statistics, kept per process


Context: TypeAlias = RequestContext[Features]  # noqa: UP040 - strawberry inspects it
Info: TypeAlias = strawberry.Info[Context, None]  # noqa: UP040 - strawberry inspects it
