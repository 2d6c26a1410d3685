"""RFM scores relative to the base's quintiles, with fixed bands while the base is small."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crm_interaction.insight.model import CustomerFacts, SpendFacts, compute
from crm_interaction.insight.rfm import (
    MIN_BASE,
    Distribution,
    frequency_score,
    monetary_score,
    recency_score,
)

NOW = datetime(2026, 11, 23, tzinfo=UTC)
BASE = Distribution(
    customers=MIN_BASE,
    recency_days=(20.0, 60.0, 120.0, 200.0),
    frequency=(1.0, 2.0, 4.0, 8.0),
    monetary={"CNY": (500.0, 2_000.0, 8_000.0, 30_000.0)},
)


def test_scores_are_the_quintile_of_the_base() -> None:
    assert [recency_score(d, BASE) for d in (5, 20, 21, 100, 150, 300, 400)] == [
        5,
        5,
        4,
        3,
        2,
        1,
        1,
    ]
    assert [frequency_score(n, BASE) for n in (0, 1, 2, 3, 8, 9)] == [1, 1, 2, 3, 4, 5]
    assert [monetary_score(v, "CNY", BASE) for v in (0, 400, 1_000, 10_000, 50_000)] == [
        1,
        1,
        2,
        4,
        5,
    ]


def test_small_base_or_unknown_currency_uses_fixed_bands() -> None:
    small = Distribution(customers=MIN_BASE - 1, frequency=(1.0, 2.0, 3.0, 4.0))
    assert frequency_score(5, small) == 4  # fixed bands 2/3/5/10 (its quintiles would say 5)
    assert recency_score(100, small) == 3 and recency_score(10, small) == 5
    assert monetary_score(3_000, "USD", BASE) == 2  # no USD quintiles: fixed bands


def test_compute_uses_the_base() -> None:
    facts = CustomerFacts(
        "c1",
        spend=(
            SpendFacts(
                "CNY",
                total_minor=1_200_000,
                last_365_minor=1_200_000,
                count_365=9,
                count_total=9,
                last_purchase_at=NOW - timedelta(days=10),
            ),
        ),
    )
    relative = compute(facts, NOW, BASE)
    assert (relative.recency_score, relative.frequency_score, relative.monetary_score) == (5, 5, 4)
    assert relative.segment == "CHAMPION"
    fixed = compute(facts, NOW)
    assert fixed.monetary_score == 3  # 12,000 CNY in fixed bands
