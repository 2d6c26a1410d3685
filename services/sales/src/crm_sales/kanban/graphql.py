"""GraphQL of the kanban board: `pipelineBoard(pipelineId, filter)` — one column per stage
with its count and sums in the base currency (from the board's summaries), and its cards in
rank order (the first page of every column in one batch, a find per column)."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import strawberry

from crm_kit.errors import NotFound
from crm_kit.graphql import PageFirst
from crm_sales.graphql import loaders
from crm_sales.graphql.common import MoneyType
from crm_sales.graphql.context import Info
from crm_sales.kanban.model import Column
from crm_sales.kanban.queries import RANK_ORDER
from crm_sales.opportunities.inputs import OpportunityFilterInput, opportunity_filter
from crm_sales.opportunities.lists import column_page, scoped
from crm_sales.opportunities.queries import OpportunityFilter
from crm_sales.opportunities.types import OpportunityConnection
from crm_sales.pipelines.graphql import PipelineStageType, PipelineType
from crm_sales.shared.clock import day_of
from crm_sales.shared.listing import OrderedAfter


@strawberry.type(description="A stage's column of the board.")
class BoardColumn:
    stage: PipelineStageType = strawberry.field(description="The stage.")
    count: int = strawberry.field(description="How many deals are in it (of the filter).")
    amount: MoneyType = strawberry.field(
        description="The sum of their amounts in the base currency (open deals at today's "
        "rate, closed ones as booked), rounded once."
    )
    weighted_amount: MoneyType = strawberry.field(
        description="Σ amount × probability / 100 in the base currency, rounded once."
    )
    unpriced_count: int = strawberry.field(
        description="Deals counted but not summed: no amount, or no rate in effect."
    )
    where: strawberry.Private[OpportunityFilter]

    @strawberry.field(
        description="Its cards in board order (their rank, then id); the first page of every "
        "column comes from one query. Errors: BAD_USER_INPUT (`first` OUT_OF_RANGE; `after` "
        "INVALID_CURSOR)."
    )
    async def cards(
        self, info: Info, first: PageFirst = 20, after: OrderedAfter = None
    ) -> OpportunityConnection:
        stage_id = str(self.stage.id)
        return await column_page(
            info, stage_id, self.where, RANK_ORDER, first, after, count=self.count
        )


@strawberry.type(description="A pipeline as a kanban board.")
class PipelineBoard:
    pipeline: PipelineType = strawberry.field(description="The pipeline, current version.")
    currency: str = strawberry.field(description="The base currency the sums are in.")
    columns: list[BoardColumn] = strawberry.field(
        description="One column per stage, in board order (empty ones included)."
    )


def _column(column: Column, stage: PipelineStageType, where: OpportunityFilter) -> BoardColumn:
    totals = column.totals
    return BoardColumn(
        stage=stage,
        count=totals.count,
        amount=MoneyType(amount=totals.amount.text, currency=totals.amount.currency),
        weighted_amount=MoneyType(amount=totals.weighted.text, currency=totals.weighted.currency),
        unpriced_count=totals.unpriced,
        where=where,
    )


@strawberry.type
class BoardQuery:
    @strawberry.field(
        description="A pipeline's board: per stage the deals of the filter that the caller's "
        "list scope reaches, counted and summed in the base currency, and their cards in "
        "rank order. Null with NOT_FOUND for an unknown pipeline; FORBIDDEN for a role that "
        "may not list opportunities. Errors: BAD_USER_INPUT (`filter.expectedClose.to` "
        "OUT_OF_RANGE)."
    )
    async def pipeline_board(
        self,
        info: Info,
        pipeline_id: Annotated[strawberry.ID, strawberry.argument(description="The pipeline.")],
        filter: Annotated[
            OpportunityFilterInput | None,
            strawberry.argument(
                description="Which deals (its `pipelineId` is this pipeline's whatever it "
                "says); every deal of the pipeline when omitted."
            ),
        ] = None,
    ) -> PipelineBoard | None:
        where = scoped(info, replace(opportunity_filter(filter), pipeline_id=str(pipeline_id)))
        pipeline = await loaders.pipelines(info).load(str(pipeline_id))
        if pipeline is None:
            raise NotFound("Pipeline", str(pipeline_id))
        deps = info.context.deps
        rates = await loaders.rate_table(info)
        columns = await deps.board.columns(pipeline, where, rates, day_of(deps.clock()))
        stages = {s.id: PipelineStageType.of(s) for s in pipeline.stages}
        return PipelineBoard(
            pipeline=PipelineType.of(pipeline),
            currency=rates.base,
            columns=[_column(c, stages[c.stage_id], where) for c in columns],
        )
