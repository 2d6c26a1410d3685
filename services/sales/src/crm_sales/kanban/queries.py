"""Read side of the kanban board: each column's count and sums in the base currency (from the
groups one aggregate makes, see `OpportunityQueries.groups`), and the cards of the columns in
rank order (see `opportunities.lists.keyed_page`, keyed by stage)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal

from crm_sales.kanban.model import (
    Column,
    DealGroup,
    Totals,
    group_columns,
    group_totals,
    in_base,
)
from crm_sales.money.model import RateTable
from crm_sales.opportunities.queries import Group, OpportunityFilter, OpportunityQueries
from crm_sales.opportunities.values import Status
from crm_sales.pipelines.model import Pipeline
from crm_sales.pipelines.queries import PipelineQueries
from crm_sales.shared.listing import KeyKind, KeysetOrder

RANK_ORDER = KeysetOrder("OPPORTUNITY_RANK", "rank", KeyKind.NUMBER)


def _probability(group: Group, pipeline: Pipeline | None) -> int:
    if group.status is Status.WON:
        return 100
    if group.status in (Status.LOST, Status.MERGED):
        return 0
    if group.override is not None:
        return group.override
    stage = pipeline.find(group.stage_id) if pipeline is not None else None
    return stage.probability if stage is not None else 0


def deal_group(group: Group, pipeline: Pipeline | None, rates: RateTable, today: date) -> DealGroup:
    """A group of deals as the board counts it: open ones at today's rate, closed ones as
    booked (their booked sums are already in the base currency)."""
    probability = _probability(group, pipeline)
    if group.status is not Status.OPEN:
        amount = in_base(group.booked_minor, rates.base, rates, today) or Decimal(0)
        return DealGroup(
            group.stage_id, group.count, group.count - group.booked, amount, probability
        )
    converted = in_base(group.minor, group.currency, rates, today)
    unpriced = group.count - group.priced + (group.priced if converted is None else 0)
    return DealGroup(group.stage_id, group.count, unpriced, converted or Decimal(0), probability)


def deal_groups(
    groups: Iterable[Group], pipelines: Mapping[str, Pipeline], rates: RateTable, today: date
) -> list[DealGroup]:
    return [deal_group(g, pipelines.get(g.pipeline_id), rates, today) for g in groups]


class BoardQueries:
    def __init__(self, opportunities: OpportunityQueries, pipelines: PipelineQueries) -> None:
        self._opportunities = opportunities
        self._pipelines = pipelines

    async def columns(
        self, pipeline: Pipeline, where: OpportunityFilter, rates: RateTable, today: date
    ) -> tuple[Column, ...]:
        """One column per stage with its count and sums (`where` within the pipeline)."""
        groups = await self._opportunities.groups(where)
        found = deal_groups(groups, {pipeline.id: pipeline}, rates, today)
        return group_columns(pipeline, found, base=rates.base)

    async def totals_per_key(
        self,
        where: OpportunityFilter,
        key_field: str,
        keys: Sequence[str],
        *,
        rates: RateTable,
        today: date,
    ) -> dict[str, Totals]:
        """Count and sums per customer (or owner) of `keys`: one aggregate, and one read of
        the pipelines their stages' probabilities come from."""
        groups = await self._opportunities.groups(where, key_field, keys)
        pipelines = await self._pipelines.get_many(sorted({g.pipeline_id for g in groups}))
        by_key: dict[str, list[DealGroup]] = {}
        for group in groups:
            counted = deal_group(group, pipelines.get(group.pipeline_id), rates, today)
            by_key.setdefault(group.key, []).append(counted)
        return {key: group_totals(found, base=rates.base) for key, found in by_key.items()}
