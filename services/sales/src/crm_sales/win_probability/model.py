"""Win probability with its reasons. Pure, deterministic, no I/O.

Learning. From the organisation's closed (WON / LOST) deals, each factor puts every
observation into a bucket and counts how many were won: the bucket's won rate is smoothed
(Laplace: (won + 1) / (deals + 2)), and so is the factor's overall rate over all its
observations. A factor's adjustment is logit(bucket rate) − logit(overall rate).

The factors, and their buckets:

- STAGE_AGE — days in the stage against the stage's median stay among closed deals (each stay
  of a closed deal in an open stage is one observation): at or below the median, above it.
- CLOSE_DATE_PUSHES — how often the expected close date was moved later: 0, 1, 2 or more.
- DISCOUNT — the largest line discount: none, up to 10 %, above 10 %.
- AMOUNT_VS_OWNER — the amount in the base currency against the owner's median closed-deal
  amount (owners with at least `MIN_OWNER_DEALS` such deals): below it, at or above it.
- DAYS_SINCE_INTERACTION — not computed: sales keeps no interactions (they belong to the
  interaction service and no event brings them here), so it is always listed unavailable.

Estimate. The adjustments of the factors the deal's data and the history support are added
to the log-odds of the stage default (clamped to 1–99 %), turned back into a probability,
rounded and clamped to 1–99 %. A factor is left out (and listed unavailable) when the deal
has no baseline for it (no median for its stage or owner, no amount) or its bucket holds
fewer than `MIN_BUCKET_DEALS` observations. With fewer than `MIN_CLOSED_DEALS` closed deals,
or no factor left, the answer is the plain stage default (basis STAGE_DEFAULT) and says why.

Contribution. The change from the (clamped) stage default to the probability, in whole
percentage points, is shared among the factors in proportion to their log-odds adjustments
(largest remainders, so the contributions add up exactly to probability − stage default);
when the adjustments cancel out, each gets its slope at the stage default, 100·p·(1 − p)·adj.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

MIN_CLOSED_DEALS = 30  # closed deals of the window before anything is learned
MIN_BUCKET_DEALS = 5  # observations in a deal's bucket before its factor counts
MIN_OWNER_DEALS = 5  # closed deals with an amount before an owner has a median
FLOOR, CEILING = 1, 99  # an open deal's probability, in percent
DISCOUNT_BAND = Decimal(10)  # percent: the edge between a small and a large discount


class WinFactor(StrEnum):
    STAGE_AGE = "STAGE_AGE"
    CLOSE_DATE_PUSHES = "CLOSE_DATE_PUSHES"
    DISCOUNT = "DISCOUNT"
    AMOUNT_VS_OWNER = "AMOUNT_VS_OWNER"
    DAYS_SINCE_INTERACTION = "DAYS_SINCE_INTERACTION"


class Unit(StrEnum):
    DAYS = "DAYS"
    PUSHES = "PUSHES"
    PERCENT = "PERCENT"
    RATIO = "RATIO"


class Basis(StrEnum):
    LEARNED = "LEARNED"
    STAGE_DEFAULT = "STAGE_DEFAULT"


class FallbackReason(StrEnum):
    NOT_ENOUGH_CLOSED_DEALS = "NOT_ENOUGH_CLOSED_DEALS"
    NO_FACTOR_WITH_ENOUGH_HISTORY = "NO_FACTOR_WITH_ENOUGH_HISTORY"


class UnavailableReason(StrEnum):
    NOT_KEPT_BY_SALES = "NOT_KEPT_BY_SALES"
    NO_BASELINE = "NO_BASELINE"
    NOT_ENOUGH_HISTORY = "NOT_ENOUGH_HISTORY"


@dataclass(frozen=True, slots=True)
class Stay:
    stage_id: str
    days: float


@dataclass(frozen=True, slots=True)
class ClosedDeal:
    """What learning needs of one closed deal (`base_minor`: its booked base amount)."""

    won: bool
    owner_id: str
    base_minor: int | None
    stays: tuple[Stay, ...]
    pushes: int
    max_discount: Decimal


@dataclass(frozen=True, slots=True)
class DealFeatures:
    """An open deal's features (`base_minor`: its amount in the base currency today)."""

    stage_id: str
    days_in_stage: float
    pushes: int
    max_discount: Decimal
    owner_id: str
    base_minor: int | None


@dataclass(frozen=True, slots=True)
class Counts:
    won: int = 0
    deals: int = 0

    def plus(self, won: bool) -> Counts:
        return Counts(self.won + int(won), self.deals + 1)

    @property
    def rate(self) -> float:
        """The Laplace-smoothed won rate."""
        return (self.won + 1) / (self.deals + 2)


@dataclass(frozen=True, slots=True)
class Statistics:
    closed: int
    stage_medians: Mapping[str, float]  # stage id → median stay in days
    owner_medians: Mapping[str, int]  # owner id → median base amount, minor units
    buckets: Mapping[WinFactor, Mapping[str, Counts]]

    def overall(self, factor: WinFactor) -> Counts:
        found = self.buckets.get(factor, {}).values()
        return Counts(sum(c.won for c in found), sum(c.deals for c in found))


EMPTY = Statistics(0, {}, {}, {})


@dataclass(frozen=True, slots=True)
class Observation:
    factor: WinFactor
    value: float
    unit: Unit
    baseline: float | None  # the median compared against, in the same unit
    bucket: str


@dataclass(frozen=True, slots=True)
class FactorResult:
    observation: Observation
    bucket: Counts
    overall: Counts
    adjustment: float  # log-odds
    contribution: int  # percentage points


@dataclass(frozen=True, slots=True)
class WinProbability:
    probability: int
    stage_default: int
    basis: Basis
    closed_deals_used: int
    factors: tuple[FactorResult, ...]
    unavailable: tuple[tuple[WinFactor, UnavailableReason], ...]
    fallback: FallbackReason | None = None


def age_bucket(days: float, median: float) -> str:
    return "ABOVE_MEDIAN" if days > median else "AT_OR_BELOW_MEDIAN"


def push_bucket(pushes: int) -> str:
    return "2+" if pushes >= 2 else str(max(pushes, 0))


def discount_bucket(percent: Decimal) -> str:
    if percent <= 0:
        return "NONE"
    return "UP_TO_10" if percent <= DISCOUNT_BAND else "ABOVE_10"


def amount_bucket(ratio: float) -> str:
    return "BELOW_MEDIAN" if ratio < 1 else "AT_OR_ABOVE_MEDIAN"


def _medians[K](values: Mapping[K, list[float]], least: int) -> dict[K, float]:
    return {k: statistics.median(v) for k, v in values.items() if len(v) >= least}


def _tally(tallies: dict[str, Counts], bucket: str, won: bool) -> None:
    tallies[bucket] = tallies.get(bucket, Counts()).plus(won)


def learn(deals: Sequence[ClosedDeal]) -> Statistics:
    """The medians and each factor's bucket counts of the closed deals."""
    stays: dict[str, list[float]] = {}
    amounts: dict[str, list[float]] = {}
    for deal in deals:
        for stay in deal.stays:
            stays.setdefault(stay.stage_id, []).append(stay.days)
        if deal.base_minor is not None:
            amounts.setdefault(deal.owner_id, []).append(float(deal.base_minor))
    stage_medians = _medians(stays, 1)
    owner_medians = {k: round(v) for k, v in _medians(amounts, MIN_OWNER_DEALS).items()}
    buckets: dict[WinFactor, dict[str, Counts]] = {f: {} for f in LEARNED_FACTORS}
    for deal in deals:
        for stay in deal.stays:
            bucket = age_bucket(stay.days, stage_medians[stay.stage_id])
            _tally(buckets[WinFactor.STAGE_AGE], bucket, deal.won)
        _tally(buckets[WinFactor.CLOSE_DATE_PUSHES], push_bucket(deal.pushes), deal.won)
        _tally(buckets[WinFactor.DISCOUNT], discount_bucket(deal.max_discount), deal.won)
        median = owner_medians.get(deal.owner_id)
        if deal.base_minor is not None and median:
            bucket = amount_bucket(deal.base_minor / median)
            _tally(buckets[WinFactor.AMOUNT_VS_OWNER], bucket, deal.won)
    return Statistics(len(deals), stage_medians, owner_medians, buckets)


def _stage_age(features: DealFeatures, stats: Statistics) -> Observation | None:
    median = stats.stage_medians.get(features.stage_id)
    if median is None:
        return None
    days = features.days_in_stage
    bucket = age_bucket(days, median)
    return Observation(WinFactor.STAGE_AGE, round(days, 1), Unit.DAYS, round(median, 1), bucket)


def _pushes(features: DealFeatures, stats: Statistics) -> Observation:
    bucket = push_bucket(features.pushes)
    return Observation(WinFactor.CLOSE_DATE_PUSHES, features.pushes, Unit.PUSHES, None, bucket)


def _discount(features: DealFeatures, stats: Statistics) -> Observation:
    percent = features.max_discount
    bucket = discount_bucket(percent)
    return Observation(WinFactor.DISCOUNT, float(percent), Unit.PERCENT, None, bucket)


def _amount(features: DealFeatures, stats: Statistics) -> Observation | None:
    median = stats.owner_medians.get(features.owner_id)
    if features.base_minor is None or not median:
        return None
    ratio = features.base_minor / median
    bucket = amount_bucket(ratio)
    return Observation(WinFactor.AMOUNT_VS_OWNER, round(ratio, 2), Unit.RATIO, 1.0, bucket)


type Observer = Callable[[DealFeatures, Statistics], Observation | None]
OBSERVERS: dict[WinFactor, Observer] = {
    WinFactor.STAGE_AGE: _stage_age,
    WinFactor.CLOSE_DATE_PUSHES: _pushes,
    WinFactor.DISCOUNT: _discount,
    WinFactor.AMOUNT_VS_OWNER: _amount,
}
LEARNED_FACTORS = tuple(OBSERVERS)
NOT_KEPT = ((WinFactor.DAYS_SINCE_INTERACTION, UnavailableReason.NOT_KEPT_BY_SALES),)


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def clamp(percent: int) -> int:
    return max(FLOOR, min(CEILING, percent))


def whole(x: float) -> int:
    """Rounded half up (not to even), as a reader rounds."""
    return math.floor(x + 0.5)


def stage_default(percent: int, closed: int, reason: FallbackReason) -> WinProbability:
    """The plain stage default, saying why nothing was learned."""
    return WinProbability(percent, percent, Basis.STAGE_DEFAULT, closed, (), NOT_KEPT, reason)


def share(adjustments: Sequence[float], total: int, base: float) -> list[int]:
    """`total` points shared in proportion to `adjustments`, as whole points adding up to it
    (largest remainders); cancelling adjustments get their slope at `base` instead."""
    summed = sum(adjustments)
    scale = total / summed if abs(summed) > 1e-9 else 100 * base * (1 - base)
    raw = [a * scale for a in adjustments]
    points = [math.floor(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: (points[i] - raw[i], i))
    for step in range(total - sum(points)):
        points[by_remainder[step % len(raw)]] += 1
    return points


def _weigh(
    observation: Observation, stats: Statistics
) -> tuple[Counts, Counts, float] | UnavailableReason:
    counts = stats.buckets.get(observation.factor, {}).get(observation.bucket, Counts())
    if counts.deals < MIN_BUCKET_DEALS:
        return UnavailableReason.NOT_ENOUGH_HISTORY
    overall = stats.overall(observation.factor)
    return counts, overall, logit(counts.rate) - logit(overall.rate)


def estimate(features: DealFeatures, default_percent: int, stats: Statistics) -> WinProbability:
    """The deal's win probability from its stage's default and the learned statistics."""
    if stats.closed < MIN_CLOSED_DEALS:
        return stage_default(default_percent, stats.closed, FallbackReason.NOT_ENOUGH_CLOSED_DEALS)
    weighed: list[tuple[Observation, Counts, Counts, float]] = []
    unavailable = list(NOT_KEPT)
    for factor, observe in OBSERVERS.items():
        observation = observe(features, stats)
        found = UnavailableReason.NO_BASELINE if observation is None else _weigh(observation, stats)
        if isinstance(found, UnavailableReason):
            unavailable.append((factor, found))
        elif observation is not None:
            weighed.append((observation, *found))
    if not weighed:
        reason = FallbackReason.NO_FACTOR_WITH_ENOUGH_HISTORY
        return stage_default(default_percent, stats.closed, reason)
    base = clamp(default_percent) / 100
    adjustments = [w[3] for w in weighed]
    probability = clamp(whole(100 * sigmoid(logit(base) + sum(adjustments))))
    points = share(adjustments, probability - clamp(default_percent), base)
    factors = tuple(
        FactorResult(o, bucket, overall, adj, p)
        for (o, bucket, overall, adj), p in zip(weighed, points, strict=True)
    )
    return WinProbability(
        probability, default_percent, Basis.LEARNED, stats.closed, factors, tuple(unavailable)
    )
