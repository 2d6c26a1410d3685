"""Read side of the kanban board: each column's count and sums in the base currency, and the
cards of the columns in rank order (see `opportunities.lists.column_page`).

The counts and sums come from the board's summaries (`kanban.summaries`): a few dozen
documents whatever the number of deals. A board filtered by customer or by expected-close
range asks for what the summaries do not hold; it is summed by one aggregate over its deals
instead (`OpportunityQueries.groups`), as are a customer's open pipeline and other per-key
totals."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
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
from crm_sales.kanban.summaries import BoardSummaries, Summary
from crm_sales.money.model import RateTable
from crm_sales.opportunities.queries import Group, OpportunityFilter, OpportunityQueries
from crm_sales.opportunities.values import Status
from crm_sales.pipelines.model import Pipeline
from crm_sales.shared.listing import KeyKind, KeysetOrder

RANK_ORDER = KeysetOrder("OPPORTUNITY_RANK", "rank", KeyKind.NUMBER)

# The pipelines of some ids, as the request's loader has them (`graphql.loaders`), so that
# every reader of one request shares one read.
type PipelineSource = Callable[[list[str]], Awaitable[Mapping[str, Pipeline]]]


def served_by_summaries(where: OpportunityFilter) -> bool:
    """Whether the summaries hold what `where` selects: its pipeline, stages, owner, team,
    statuses and access scope are their key fields; a customer or a close range is not."""
    return where.customer_id is None and where.close_from is None and where.close_to is None


def _default_probability(stage_id: str, pipeline: Pipeline | None) -> int:
    stage = pipeline.find(stage_id) if pipeline is not None else None
    return stage.probability if stage is not None else 0


def _closed_probability(status: Status) -> int:
    return 100 if status is Status.WON else 0


def deal_group(group: Group, pipeline: Pipeline | None, rates: RateTable, today: date) -> DealGroup:
    """A group of deals as the board counts it: open ones at today's rate, closed ones as
    booked (their booked sums are already in the base currency)."""
    if group.status is not Status.OPEN:
        amount = in_base(group.booked_minor, rates.base, rates, today) or Decimal(0)
        unpriced = group.count - group.booked
        probability = _closed_probability(group.status)
        return DealGroup.at(group.stage_id, group.count, unpriced, amount, probability)
    probability = (
        group.override
        if group.override is not None
        else _default_probability(group.stage_id, pipeline)
    )
    converted = in_base(group.minor, group.currency, rates, today)
    unpriced = group.count - group.priced + (group.priced if converted is None else 0)
    amount = converted or Decimal(0)
    return DealGroup.at(group.stage_id, group.count, unpriced, amount, probability)


def summary_group(summary: Summary, pipeline: Pipeline, rates: RateTable, today: date) -> DealGroup:
    """A summary as the board counts it: the same figures as `deal_group` of its deals, the
    default-probability part weighted by the stage's probability as the pipeline has it now."""
    stage, count = summary.stage_id, summary.count
    if summary.status is not Status.OPEN:
        amount = in_base(summary.booked_minor, rates.base, rates, today) or Decimal(0)
        probability = _closed_probability(summary.status)
        return DealGroup.at(stage, count, count - summary.booked, amount, probability)
    converted = in_base(summary.minor, summary.currency, rates, today)
    if converted is None:  # no rate in effect: counted, not summed
        return DealGroup(stage, count, count, Decimal(0), Decimal(0))
    # Conversion is linear, so the parts convert like the whole (in_base of 0 is never None).
    at_default = in_base(summary.default_minor, summary.currency, rates, today) or Decimal(0)
    overridden = in_base(summary.override_weight, summary.currency, rates, today) or Decimal(0)
    weighted = at_default * _default_probability(stage, pipeline) + overridden
    return DealGroup(stage, count, count - summary.priced, converted, weighted)


def deal_groups(
    groups: Iterable[Group], pipelines: Mapping[str, Pipeline], rates: RateTable, today: date
) -> list[DealGroup]:
    return [deal_group(g, pipelines.get(g.pipeline_id), rates, today) for g in groups]


class BoardQueries:
    def __init__(self, opportunities: OpportunityQueries, summaries: BoardSummaries) -> None:
        self._opportunities = opportunities
        self._summaries = summaries

    async def columns(
        self, pipeline: Pipeline, where: OpportunityFilter, rates: RateTable, today: date
    ) -> tuple[Column, ...]:
        """One column per stage with its count and sums (`where` within the pipeline)."""
        if served_by_summaries(where):
            summaries = await self._summaries.find(where.query())
            found = [summary_group(s, pipeline, rates, today) for s in summaries]
        else:
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
        pipelines: PipelineSource,
    ) -> dict[str, Totals]:
        """Count and sums per customer (or owner) of `keys`: one aggregate; the pipelines
        their stages' probabilities come from are read through `pipelines`."""
        groups = await self._opportunities.groups(where, key_field, keys)
        found = await pipelines(sorted({g.pipeline_id for g in groups}))
        by_key: dict[str, list[DealGroup]] = {}
        for group in groups:
            counted = deal_group(group, found.get(group.pipeline_id), rates, today)
            by_key.setdefault(group.key, []).append(counted)
        return {key: group_totals(groups_of, base=rates.base) for key, groups_of in by_key.items()}
