"""GraphQL of win probability: `Opportunity.winProbability`, the probability with each
factor's contribution (shaped like the customer's churn risk and its factors)."""

from __future__ import annotations

from decimal import Decimal

import strawberry
from strawberry.dataloader import DataLoader

from crm_kit.graphql import described_enum
from crm_sales.graphql import loaders
from crm_sales.graphql.common import in_language
from crm_sales.graphql.context import Info
from crm_sales.history.model import stage_age
from crm_sales.opportunities.model import base_amount
from crm_sales.opportunities.queries import OpportunityRecord
from crm_sales.shared.clock import day_of
from crm_sales.win_probability import model
from crm_sales.win_probability.model import (
    Basis,
    FactorResult,
    FallbackReason,
    UnavailableReason,
    Unit,
    WinFactor,
)

described_enum(
    WinFactor,
    "A reason a deal's win probability differs from its stage's default.",
    {
        WinFactor.STAGE_AGE: "Days in its stage against the stage's median stay among closed "
        "deals (at or below it, above it).",
        WinFactor.CLOSE_DATE_PUSHES: "How often its expected close date was moved later "
        "(0, 1, 2 or more).",
        WinFactor.DISCOUNT: "Its largest line discount (none, up to 10 %, above 10 %).",
        WinFactor.AMOUNT_VS_OWNER: "Its amount in the base currency against its owner's "
        "median closed-deal amount (below it, at or above it).",
        WinFactor.DAYS_SINCE_INTERACTION: "Days since the last interaction with the customer: "
        "not kept by sales (interactions belong to the interaction service), always "
        "unavailable.",
    },
)
described_enum(
    Unit,
    "The unit of a win factor's value.",
    {
        Unit.DAYS: "Days.",
        Unit.PUSHES: "Times the close date was moved later.",
        Unit.PERCENT: "Percent.",
        Unit.RATIO: "A ratio to the baseline (1: equal to it).",
    },
    name="WinFactorUnit",
)
described_enum(
    Basis,
    "What a win probability rests on.",
    {
        Basis.LEARNED: "The stage default adjusted by the factors the organisation's own "
        "won and lost deals support.",
        Basis.STAGE_DEFAULT: "The plain stage default (see `fallbackReason`).",
    },
    name="WinProbabilityBasis",
)
described_enum(
    FallbackReason,
    "Why a win probability is the plain stage default.",
    {
        FallbackReason.NOT_ENOUGH_CLOSED_DEALS: f"Fewer than {model.MIN_CLOSED_DEALS} deals "
        "were won or lost in the last 24 months.",
        FallbackReason.NO_FACTOR_WITH_ENOUGH_HISTORY: "No factor of this deal has enough "
        "closed deals like it.",
    },
    name="WinProbabilityFallbackReason",
)
described_enum(
    UnavailableReason,
    "Why a win factor was left out.",
    {
        UnavailableReason.NOT_KEPT_BY_SALES: "The sales service does not keep the data.",
        UnavailableReason.NO_BASELINE: "No baseline for this deal: no closed deal stayed in "
        f"its stage, its owner has fewer than {model.MIN_OWNER_DEALS} closed deals with an "
        "amount, or it has no amount convertible to the base currency.",
        UnavailableReason.NOT_ENOUGH_HISTORY: f"Fewer than {model.MIN_BUCKET_DEALS} closed "
        "deals like it.",
    },
    name="WinFactorUnavailableReason",
)


@strawberry.type(description="One reason behind a win probability.")
class WinProbabilityFactor:
    factor: WinFactor = strawberry.field(description="Which factor.")
    value: float = strawberry.field(description="The deal's value of it, in `unit`.")
    unit: Unit = strawberry.field(description="The unit of `value` and `baseline`.")
    baseline: float | None = strawberry.field(
        description="What the value is compared with (the stage's median stay in days, 1 for "
        "the owner's median amount); null when the factor has none."
    )
    bucket: str = strawberry.field(
        description="Its band: AT_OR_BELOW_MEDIAN / ABOVE_MEDIAN, 0 / 1 / 2+, NONE / UP_TO_10 "
        "/ ABOVE_10, BELOW_MEDIAN / AT_OR_ABOVE_MEDIAN."
    )
    bucket_deals: int = strawberry.field(description="Closed deals (stays) in that band.")
    bucket_won_rate: int = strawberry.field(
        description="Their won rate, smoothed ((won + 1) / (deals + 2)), a whole percent."
    )
    overall_won_rate: int = strawberry.field(
        description="The smoothed won rate of all the factor's closed deals, a whole percent."
    )
    contribution: int = strawberry.field(
        description="Percentage points it adds (negative: takes away); the contributions add "
        "up to `probability` − `stageDefault` (the default taken as 1–99)."
    )
    explanation: str = strawberry.field(description="The value in words (caller's language).")


@strawberry.type(description="A factor left out of a win probability, and why.")
class UnavailableWinFactor:
    factor: WinFactor = strawberry.field(description="Which factor.")
    reason: UnavailableReason = strawberry.field(description="Why it was left out.")


@strawberry.type(description="How likely an open deal is to be won, and why.")
class WinProbability:
    probability: int = strawberry.field(
        description="A whole percent: 1–99 when LEARNED, the stage default otherwise."
    )
    stage_default: int = strawberry.field(description="Its stage's default probability.")
    basis: Basis = strawberry.field(description="LEARNED or STAGE_DEFAULT.")
    fallback_reason: FallbackReason | None = strawberry.field(
        description="Basis STAGE_DEFAULT: why; else null."
    )
    closed_deals_used: int = strawberry.field(
        description="Deals won or lost in the last 24 months that the statistics come from."
    )
    factors: list[WinProbabilityFactor] = strawberry.field(
        description="The factors applied, largest effect first (none for STAGE_DEFAULT)."
    )
    unavailable_factors: list[UnavailableWinFactor] = strawberry.field(
        description="The factors left out and why."
    )


def _percent(rate: float) -> int:
    return model.whole(100 * rate)


def _texts(f: FactorResult) -> tuple[str, str]:
    o = f.observation
    value = f"{o.value:g}"
    if o.factor is WinFactor.STAGE_AGE:
        return f"在当前阶段 {value} 天（中位数 {o.baseline:g} 天）", (
            f"{value} days in its stage (median {o.baseline:g} days)"
        )
    if o.factor is WinFactor.CLOSE_DATE_PUSHES:
        return f"预计成交日期推迟 {value} 次", f"expected close date pushed {value} times"
    if o.factor is WinFactor.DISCOUNT:
        return f"最大行折扣 {value}%", f"largest line discount {value}%"
    return f"金额为负责人成交中位数的 {value} 倍", f"amount {value}× the owner's median"


def _factor(f: FactorResult) -> WinProbabilityFactor:
    o, bucket, overall = f.observation, f.bucket, f.overall
    zh, en = _texts(f)
    rate, all_rate = _percent(bucket.rate), _percent(overall.rate)
    zh += f"；同类 {bucket.deals} 笔已结束商机赢率 {rate}%，整体 {all_rate}%"
    en += f"; {bucket.deals} closed deals like it won {rate}%, against {all_rate}% overall"
    return WinProbabilityFactor(
        factor=o.factor,
        value=o.value,
        unit=o.unit,
        baseline=o.baseline,
        bucket=o.bucket,
        bucket_deals=bucket.deals,
        bucket_won_rate=rate,
        overall_won_rate=all_rate,
        contribution=f.contribution,
        explanation=in_language(zh, en),
    )


def of(result: model.WinProbability) -> WinProbability:
    factors = sorted(result.factors, key=lambda f: abs(f.adjustment), reverse=True)
    return WinProbability(
        probability=result.probability,
        stage_default=result.stage_default,
        basis=result.basis,
        fallback_reason=result.fallback,
        closed_deals_used=result.closed_deals_used,
        factors=[_factor(f) for f in factors],
        unavailable_factors=[
            UnavailableWinFactor(factor=f, reason=r) for f, r in result.unavailable
        ],
    )


def _pushes(info: Info) -> DataLoader[str, int]:
    queries = info.context.deps.win_probability

    async def load(ids: list[str]) -> list[int]:
        found = await queries.pushes(ids)
        return [found.get(i, 0) for i in ids]

    return info.context.loader("sales.winPushes", load)


async def win_probability(info: Info, record: OpportunityRecord) -> WinProbability | None:
    """The deal's win probability; null when it is not open or its stage is unknown."""
    o = record.opportunity
    if not o.is_open:
        return None
    pipeline = await loaders.pipeline_of(info, o.pipeline_id, o.pipeline_version, o.stage_id)
    stage = pipeline.find(o.stage_id) if pipeline is not None else None
    if stage is None:
        return None
    stats = await info.context.deps.win_probability.statistics()
    now = info.context.deps.clock()
    converted = base_amount(o, await loaders.rate_table(info), day_of(now))
    features = model.DealFeatures(
        stage_id=o.stage_id,
        days_in_stage=stage_age(o.stage_entered_at, now).total_seconds() / 86_400,
        pushes=await _pushes(info).load(o.id),
        max_discount=max((i.discount_percent for i in o.line_items), default=Decimal(0)),
        owner_id=o.owner_id,
        base_minor=converted.amount.minor if converted is not None else None,
    )
    return of(model.estimate(features, stage.probability, stats))
