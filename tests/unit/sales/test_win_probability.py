"""Win probability: bucketing, smoothing, the adjustments and their contributions (numbers
worked by hand), the stage default fallback with its reason, clamping, and the reading of
closed deals' history."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from crm_sales.win_probability.model import (
    Basis,
    ClosedDeal,
    Counts,
    DealFeatures,
    FallbackReason,
    Statistics,
    Stay,
    UnavailableReason,
    WinFactor,
    age_bucket,
    amount_bucket,
    discount_bucket,
    estimate,
    learn,
    push_bucket,
    share,
)
from crm_sales.win_probability.queries import closed_deal_of, is_push, stays_of

PUSHES, DISCOUNT = WinFactor.CLOSE_DATE_PUSHES, WinFactor.DISCOUNT
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _deal(
    pushes: int = 0, discount: str = "0", stage: str = "s1", days: float = 1.0
) -> DealFeatures:
    return DealFeatures(stage, days, pushes, Decimal(discount), "li.lei", None)


def _stats(buckets: dict[WinFactor, dict[str, Counts]], closed: int = 40) -> Statistics:
    return Statistics(closed, {}, {}, buckets)


PUSH_HISTORY = {"0": Counts(19, 30), "2+": Counts(1, 10)}  # overall 20 of 40


def test_buckets() -> None:
    assert [push_bucket(n) for n in (0, 1, 2, 7)] == ["0", "1", "2+", "2+"]
    assert discount_bucket(Decimal(0)) == "NONE"
    assert discount_bucket(Decimal(10)) == "UP_TO_10"
    assert discount_bucket(Decimal("10.01")) == "ABOVE_10"
    assert age_bucket(3.0, 3.0) == "AT_OR_BELOW_MEDIAN"
    assert age_bucket(3.1, 3.0) == "ABOVE_MEDIAN"
    assert amount_bucket(0.99) == "BELOW_MEDIAN"
    assert amount_bucket(1.0) == "AT_OR_ABOVE_MEDIAN"


def test_laplace_smoothing() -> None:
    assert Counts(1, 10).rate == pytest.approx(2 / 12)
    assert Counts(0, 0).rate == 0.5
    assert Counts(5, 5).rate == pytest.approx(6 / 7)


def test_learn_counts_each_factor_bucket() -> None:
    def closed(won: bool, days: float, pushes: int, amount: int, owner: str = "o") -> ClosedDeal:
        return ClosedDeal(won, owner, amount, (Stay("a", days),), pushes, Decimal(pushes * 6))

    deals = [closed(True, d, 0, 100 * d) for d in (1, 2, 3)]
    deals += [closed(False, d, 2, 100 * d) for d in (4, 5)]
    stats = learn(deals)
    assert stats.closed == 5
    assert stats.stage_medians == {"a": 3}
    assert stats.owner_medians == {"o": 300}
    assert stats.buckets[WinFactor.STAGE_AGE] == {
        "AT_OR_BELOW_MEDIAN": Counts(3, 3),
        "ABOVE_MEDIAN": Counts(0, 2),
    }
    assert stats.buckets[PUSHES] == {"0": Counts(3, 3), "2+": Counts(0, 2)}
    assert stats.buckets[DISCOUNT] == {"NONE": Counts(3, 3), "ABOVE_10": Counts(0, 2)}
    assert stats.buckets[WinFactor.AMOUNT_VS_OWNER] == {
        "BELOW_MEDIAN": Counts(2, 2),
        "AT_OR_ABOVE_MEDIAN": Counts(1, 3),
    }
    assert stats.overall(PUSHES) == Counts(3, 5)


def test_owner_median_needs_enough_deals() -> None:
    deals = [ClosedDeal(True, "o", 100, (), 0, Decimal(0)) for _ in range(4)]
    assert learn(deals).owner_medians == {}
    assert learn(deals).buckets[WinFactor.AMOUNT_VS_OWNER] == {}


def test_one_factor_by_hand() -> None:
    # 2+ pushes: (1 + 1) / (10 + 2) = 1/6 against (20 + 1) / (40 + 2) = 1/2 overall;
    # log-odds ln(1/5) − 0 on the stage's 50 %: odds 1/5, p = 1/6 = 16.7 % → 17.
    result = estimate(_deal(pushes=2), 50, _stats({PUSHES: PUSH_HISTORY}))
    assert result.basis is Basis.LEARNED
    assert (result.probability, result.stage_default, result.closed_deals_used) == (17, 50, 40)
    [factor] = result.factors
    assert factor.observation.bucket == "2+"
    assert factor.adjustment == pytest.approx(math.log(1 / 5))
    assert factor.contribution == -33
    assert dict(result.unavailable) == {
        WinFactor.DAYS_SINCE_INTERACTION: UnavailableReason.NOT_KEPT_BY_SALES,
        WinFactor.STAGE_AGE: UnavailableReason.NO_BASELINE,
        DISCOUNT: UnavailableReason.NOT_ENOUGH_HISTORY,
        WinFactor.AMOUNT_VS_OWNER: UnavailableReason.NO_BASELINE,
    }


def test_contributions_add_up_to_the_change() -> None:
    # no discount: 16/22 = 8/11 against 1/2 → ln(8/3); 2+ pushes: ln(1/5). Odds 8/15,
    # p = 8/23 = 34.8 % → 35; −15 points shared 2.5603 : −1.5603 → −38.405, 23.405 → −38, 23.
    buckets = {PUSHES: PUSH_HISTORY, DISCOUNT: {"NONE": Counts(15, 20), "ABOVE_10": Counts(5, 20)}}
    result = estimate(_deal(pushes=2), 50, _stats(buckets))
    assert result.probability == 35
    by_factor = {f.observation.factor: f.contribution for f in result.factors}
    assert by_factor == {PUSHES: -38, DISCOUNT: 23}
    assert sum(by_factor.values()) == result.probability - result.stage_default


def test_share_keeps_whole_points_and_cancelling_factors() -> None:
    assert share([2.0, 1.0, 1.0], 10, 0.5) == [5, 3, 2]
    assert share([1.0, -1.0], 0, 0.5) == [25, -25]  # slope at 50 %: 100 · ¼ per log-odds


def test_too_few_closed_deals_is_the_stage_default() -> None:
    result = estimate(_deal(pushes=2), 40, _stats({PUSHES: PUSH_HISTORY}, closed=29))
    assert result.basis is Basis.STAGE_DEFAULT
    assert result.fallback is FallbackReason.NOT_ENOUGH_CLOSED_DEALS
    assert (result.probability, result.stage_default, result.factors) == (40, 40, ())
    assert result.closed_deals_used == 29


def test_no_supported_factor_is_the_stage_default() -> None:
    result = estimate(_deal(pushes=1), 40, _stats({PUSHES: PUSH_HISTORY}))  # "1": no deals
    assert result.basis is Basis.STAGE_DEFAULT
    assert result.fallback is FallbackReason.NO_FACTOR_WITH_ENOUGH_HISTORY
    assert result.probability == 40


def test_learned_probability_is_clamped() -> None:
    buckets = {PUSHES: {"0": Counts(30, 30), "2+": Counts(0, 10)}}
    high = estimate(_deal(pushes=0), 95, _stats(buckets))  # ln(11) onto 95 % → 99.5 %
    assert (high.probability, high.factors[0].contribution) == (99, 4)
    low = estimate(_deal(pushes=2), 0, _stats(buckets))  # −ln(31) onto 1 % → 0.03 %
    assert (low.probability, low.stage_default, low.factors[0].contribution) == (1, 0, 0)


def test_stage_age_against_the_stage_median() -> None:
    stats = Statistics(
        40,
        {"s1": 10.0},
        {},
        {
            WinFactor.STAGE_AGE: {
                "ABOVE_MEDIAN": Counts(2, 20),
                "AT_OR_BELOW_MEDIAN": Counts(18, 20),
            }
        },
    )
    result = estimate(_deal(days=25.04), 50, stats)
    [factor] = result.factors
    assert (factor.observation.value, factor.observation.baseline) == (25.0, 10.0)
    assert factor.contribution < 0


def test_history_of_a_closed_deal() -> None:
    stages = [
        {"kind": "CREATED", "to": "lead", "at": T0},
        {"kind": "MOVED", "to": "proposal", "at": T0 + timedelta(days=3)},
        {"kind": "LOST", "to": "lost", "at": T0 + timedelta(days=4, hours=12)},
    ]
    assert stays_of(stages) == (Stay("lead", 3.0), Stay("proposal", 1.5))
    assert is_push({"old": "2026-03-01", "new": "2026-04-01"})
    assert not is_push({"old": "2026-03-01", "new": "2026-02-01"})
    assert not is_push({"old": None, "new": "2026-02-01"})
    doc = {
        "status": "WON",
        "ownerId": "o",
        "bookedMinor": 5000,
        "discounts": ["5.00", "12.50"],
        "stages": stages[:2],
        "closeDates": [{"old": "2026-03-01", "new": "2026-04-01"}],
    }
    deal = closed_deal_of(doc)
    assert (deal.won, deal.base_minor, deal.pushes, deal.max_discount) == (
        True,
        5000,
        1,
        Decimal("12.50"),
    )
    assert deal.stays == (Stay("lead", 3.0),)
