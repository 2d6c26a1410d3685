"""GraphQL types of the point-in-time reads: the open pipeline at an instant (columns like the
board's) and the waterfall between two instants (its totals, bars and each bar's deals)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

import strawberry
from strawberry.dataloader import DataLoader

from crm_kit.errors import BadUserInput
from crm_kit.graphql import PageAfter, PageFirst, PageInfo, described_enum, page_info
from crm_kit.paging import decode_position, encode_position, page_size
from crm_kit.policy import Action
from crm_sales import access
from crm_sales.graphql.common import MoneyType, money_shown
from crm_sales.graphql.context import Info
from crm_sales.opportunities.queries import OpportunityRecord
from crm_sales.opportunities.types import OpportunityType
from crm_sales.pipelines.graphql import PipelineStageType, PipelineType
from crm_sales.point_in_time.model import PipelineView, StageColumn
from crm_sales.point_in_time.queries import WaterfallRead
from crm_sales.point_in_time.waterfall import Bar, BarKind, Movement, Total

described_enum(
    BarKind,
    "A bar of a pipeline waterfall: one reason the open pipeline's total moved. A deal is "
    "in one bar — or, kept with both its amount and its currency's rate changed, in one "
    "amount bar and CURRENCY.",
    {
        BarKind.OPENED: "Deals opened after `from`, or reopened since: + their value at `to`.",
        BarKind.PULLED_IN: "Open deals whose expected close date came into `closeWithin`: + "
        "their value at `to`.",
        BarKind.ASSIGNED_IN: "Open deals whose owner or team came into the filter or the "
        "caller's scope: + their value at `to`.",
        BarKind.AMOUNT_UP: "Deals in both totals whose amount rose: the new amount at the rates "
        "of `from` minus the old value (another currency counts as another amount).",
        BarKind.AMOUNT_DOWN: "Deals in both totals whose amount fell or was cleared: as "
        "AMOUNT_UP, negative.",
        BarKind.CURRENCY: "Deals in both totals whose currency's rate changed: their amount at "
        "`to` times (rate at `to` − rate at `from`) — rates apart from deal changes.",
        BarKind.PUSHED_OUT: "Open deals whose expected close date left `closeWithin` (later, "
        "earlier or cleared): − their value at `from`.",
        BarKind.ASSIGNED_OUT: "Open deals whose owner or team left the filter or the caller's "
        "scope: − their value at `from`.",
        BarKind.WON: "Deals won since `from`: − their value at `from`.",
        BarKind.LOST: "Deals lost or merged into another since `from`: − their value at `from`.",
    },
    name="WaterfallBarKind",
)


@strawberry.type(description="A stage's column of the open pipeline at a past instant.")
class PipelineAsOfColumn:
    stage: PipelineStageType = strawberry.field(
        description="The stage, as the pipeline version then in effect defined it."
    )
    count: int = strawberry.field(description="How many open deals were in it then.")
    amount: MoneyType = strawberry.field(
        description="The sum of their amounts in the base currency at the rates in effect on "
        "the instant's date, rounded once for the column."
    )
    weighted_amount: MoneyType = strawberry.field(
        description="Σ amount × probability then / 100 in the base currency, rounded once."
    )
    unpriced_count: int = strawberry.field(
        description="Deals counted but not summed: no amount then, or no rate on that date."
    )

    @classmethod
    def of(cls, column: StageColumn) -> PipelineAsOfColumn:
        totals = column.totals
        return cls(
            stage=PipelineStageType.of(column.stage),
            count=totals.count,
            amount=money_shown(totals.amount),
            weighted_amount=money_shown(totals.weighted),
            unpriced_count=totals.unpriced,
        )


@strawberry.type(description="The open pipeline exactly as it stood at a past instant.")
class PipelineAsOf:
    as_of: datetime = strawberry.field(description="The instant, to the millisecond.")
    pipeline: PipelineType = strawberry.field(
        description="The pipeline version in effect at the instant."
    )
    currency: str = strawberry.field(description="The base currency the sums are in.")
    columns: list[PipelineAsOfColumn] = strawberry.field(
        description="One column per open stage of that version, in board order (empty ones "
        "included); closed deals are not in the open pipeline."
    )
    count: int = strawberry.field(description="How many open deals counted, in all columns.")
    amount: MoneyType = strawberry.field(
        description="The sum of all columns' amounts, rounded once (so it may differ from the "
        "sum of the rounded columns by the rounding)."
    )
    weighted_amount: MoneyType = strawberry.field(
        description="The probability-weighted sum of all columns, rounded once."
    )
    unpriced_count: int = strawberry.field(description="Deals counted but not summed.")

    @classmethod
    def of(cls, view: PipelineView, base: str) -> PipelineAsOf:
        totals = view.totals
        return cls(
            as_of=view.at,
            pipeline=PipelineType.of(view.pipeline),
            currency=base,
            columns=[PipelineAsOfColumn.of(c) for c in view.columns],
            count=totals.count,
            amount=money_shown(totals.amount),
            weighted_amount=money_shown(totals.weighted),
            unpriced_count=totals.unpriced,
        )


def _records(info: Info) -> DataLoader[str, OpportunityRecord | None]:
    queries = info.context.deps.opportunity_queries

    async def load(ids: list[str]) -> list[OpportunityRecord | None]:
        found = await queries.get_many(ids)
        return [found.get(i) for i in ids]

    return info.context.loader("sales.pointInTime.opportunities", load)


@strawberry.type(description="A deal's part in a waterfall bar.")
class WaterfallDeal:
    opportunity_id: strawberry.ID = strawberry.field(description="The deal's id.")
    amount: MoneyType = strawberry.field(
        description="What it adds to the bar in the base currency (negative: takes away)."
    )

    @strawberry.field(
        description="The deal as it is now; null when the caller may not read it now (it "
        "counted by its owner or team at an instant, not today's)."
    )
    async def opportunity(self, info: Info) -> OpportunityType | None:
        found = await _records(info).load(str(self.opportunity_id))
        principal = info.context.principal
        if found is None or not access.can(principal, Action.READ, found.opportunity):
            return None
        return OpportunityType.of(found)


@strawberry.type(description="A deal of a waterfall bar and its cursor.")
class WaterfallDealEdge:
    cursor: str = strawberry.field(description="Its position, for `after`.")
    node: WaterfallDeal = strawberry.field(description="The deal's part.")


@strawberry.type(description="A page of a bar's deals, the largest part first, then by id.")
class WaterfallDealConnection:
    edges: list[WaterfallDealEdge] = strawberry.field(description="This page's deals.")
    page_info: PageInfo = strawberry.field(description="Where to continue.")
    total_count: int = strawberry.field(description="All of the bar's deals.")


def _cursor(kind: BarKind, movement: Movement) -> str:
    size = abs(movement.amount.amount)
    return encode_position([f"{size:f}", movement.opportunity_id], f"WATERFALL_{kind}")


def _position(kind: BarKind, after: str | None) -> tuple[Decimal, str] | None:
    """Where `after` ends; INVALID_CURSOR for a cursor of another bar or list."""
    if not after:
        return None
    size, last = decode_position(after, (str, str), f"WATERFALL_{kind}")
    try:
        return Decimal(size), str(last)
    except InvalidOperation:
        raise BadUserInput.single(
            "after", "INVALID_CURSOR", "after is not a valid cursor"
        ) from None


@strawberry.type(description="A bar of a pipeline waterfall.")
class WaterfallBar:
    kind: BarKind = strawberry.field(description="Why the total moved.")
    amount: MoneyType = strawberry.field(
        description="What the bar adds to the total in the base currency (negative: takes "
        "away): the sum of its deals' parts."
    )
    count: int = strawberry.field(description="How many deals are in it.")
    bar: strawberry.Private[Bar]

    @strawberry.field(
        description="Its deals, the largest part first (then by id); a page is replayed again "
        "for each request, so its cursors hold while history is only appended. Errors: "
        "BAD_USER_INPUT (`first` OUT_OF_RANGE; `after` INVALID_CURSOR)."
    )
    def opportunities(
        self, first: PageFirst = 20, after: PageAfter = None
    ) -> WaterfallDealConnection:
        position = _position(self.kind, after)
        shown, more = self.bar.page(page_size(first), position)
        cursors = [_cursor(self.kind, m) for m in shown]
        edges = [
            WaterfallDealEdge(
                cursor=cursor,
                node=WaterfallDeal(
                    opportunity_id=strawberry.ID(m.opportunity_id), amount=money_shown(m.amount)
                ),
            )
            for m, cursor in zip(shown, cursors, strict=True)
        ]
        return WaterfallDealConnection(
            edges=edges,
            page_info=page_info(cursors, more, position is not None),
            total_count=self.bar.count,
        )

    @classmethod
    def of(cls, bar: Bar) -> WaterfallBar:
        return cls(kind=bar.kind, amount=money_shown(bar.amount), count=bar.count, bar=bar)


@strawberry.type(description="The open pipeline's total at one instant of a waterfall.")
class WaterfallTotal:
    count: int = strawberry.field(description="How many open deals counted.")
    amount: MoneyType = strawberry.field(
        description="Their sum in the base currency, each deal at the rates of the instant's "
        "date rounded to the minor unit."
    )
    unpriced_count: int = strawberry.field(
        description="Deals counted but not summed: no amount then, or no rate on that date."
    )

    @classmethod
    def of(cls, total: Total) -> WaterfallTotal:
        return cls(
            count=total.count, amount=money_shown(total.amount), unpriced_count=total.unpriced
        )


@strawberry.type(description="Why the open pipeline's total moved between two past instants.")
class PipelineWaterfall:
    from_: datetime = strawberry.field(name="from", description="The earlier instant.")
    to: datetime = strawberry.field(description="The later instant.")
    pipeline: PipelineType = strawberry.field(description="The pipeline version in effect at `to`.")
    currency: str = strawberry.field(description="The base currency of every amount.")
    start: WaterfallTotal = strawberry.field(description="The total at `from`.")
    end: WaterfallTotal = strawberry.field(description="The total at `to`.")
    change: MoneyType = strawberry.field(
        description="`end.amount` − `start.amount`: exactly the sum of the bars' amounts."
    )
    bars: list[WaterfallBar] = strawberry.field(
        description="Every bar kind once, in the order of `WaterfallBarKind` (empty ones "
        "included, with amount 0)."
    )

    @classmethod
    def of(
        cls, span: tuple[datetime, datetime], read: WaterfallRead, base: str
    ) -> PipelineWaterfall:
        found = read.waterfall
        return cls(
            from_=span[0],
            to=span[1],
            pipeline=PipelineType.of(read.pipeline),
            currency=base,
            start=WaterfallTotal.of(found.start),
            end=WaterfallTotal.of(found.end),
            change=money_shown(found.change),
            bars=[WaterfallBar.of(bar) for bar in found.bars],
        )
