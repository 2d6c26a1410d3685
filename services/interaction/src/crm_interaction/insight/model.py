"""Per-customer insight: RFM scores and segment, churn risk with its factors. Pure, no I/O.

The facts come from a few batched aggregates (see `queries`); everything here is
arithmetic on them so it can be tested without a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from crm_interaction.insight import rfm
from crm_interaction.purchases.model import from_minor


@dataclass(frozen=True, slots=True)
class SpendFacts:
    currency: str
    total_minor: int = 0
    last_365_minor: int = 0
    last_90_minor: int = 0
    prior_90_minor: int = 0  # the 90 days before the last 90
    count_365: int = 0
    count_total: int = 0
    last_purchase_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    customer_id: str
    last_contact_at: datetime | None = None
    channels: dict[str, tuple[int, int]] = field(default_factory=dict)  # channel → (30d, 90d)
    open_tickets: int = 0
    rating_sum: int = 0
    rating_count: int = 0
    low_ratings_180: int = 0
    complaints_90: int = 0
    spend: tuple[SpendFacts, ...] = ()


@dataclass(frozen=True, slots=True)
class Factor:
    name: str
    value: float
    weight: float
    contribution: float  # points of the 0–100 score
    explanation: str


@dataclass(frozen=True, slots=True)
class Insight:
    customer_id: str
    last_contact_at: datetime | None
    channels: dict[str, tuple[int, int]]
    open_tickets: int
    average_satisfaction: float | None
    rating_count: int
    total_spend: tuple[tuple[str, Decimal], ...]  # (currency, amount), largest first
    recency_score: int
    frequency_score: int
    monetary_score: int
    segment: str
    churn_risk: int
    churn_factors: tuple[Factor, ...]


def _days(since: datetime | None, now: datetime) -> float | None:
    return None if since is None else max(0.0, (now - since).total_seconds() / 86400)


def segment(r: int, f: int, m: int, has_purchases: bool) -> str:
    if not has_purchases:
        return "PROSPECT"
    if r >= 4 and f >= 4:
        return "CHAMPION"
    if r >= 3 and f >= 3:
        return "LOYAL"
    if r >= 4:
        return "NEW" if f <= 1 else "PROMISING"
    if f >= 3 or m >= 4:
        return "AT_RISK"
    return "HIBERNATING"


def _factor(name: str, value: float, weight: float, share: float, why: str) -> Factor:
    """A churn factor worth `share` (0–1) of its `weight` in points."""
    return Factor(name, round(value, 2), weight, round(weight * share, 1), why)


def _silence_factors(
    days_contact: float | None, days_purchase: float | None, has_purchases: bool
) -> list[Factor]:
    """How long since the last contact and the last purchase."""
    return [
        _factor(
            "DAYS_SINCE_CONTACT",
            days_contact if days_contact is not None else -1,
            30,
            1.0 if days_contact is None else min(days_contact / 90, 1.0),
            "no contact recorded"
            if days_contact is None
            else f"{int(days_contact)} days since the last contact",
        ),
        _factor(
            "DAYS_SINCE_PURCHASE",
            days_purchase if days_purchase is not None else -1,
            25,
            (1.0 if has_purchases else 0.5)
            if days_purchase is None
            else min(days_purchase / 180, 1.0),
            "no purchase recorded"
            if days_purchase is None
            else f"{int(days_purchase)} days since the last purchase",
        ),
    ]


def _service_factors(facts: CustomerFacts) -> list[Factor]:
    """Complaints and low ratings of the customer's tickets."""
    return [
        _factor(
            "COMPLAINTS",
            facts.complaints_90,
            15,
            min(facts.complaints_90 / 3, 1.0),
            f"{facts.complaints_90} complaint tickets in 90 days",
        ),
        _factor(
            "LOW_RATINGS",
            facts.low_ratings_180,
            15,
            min(facts.low_ratings_180 / 2, 1.0),
            f"{facts.low_ratings_180} ratings of 1–2 in 180 days",
        ),
    ]


def _spend_factor(main: SpendFacts | None) -> Factor:
    """Spend in the last 90 days against the 90 days before, in the main currency."""
    decline = 0.0
    if main is not None and main.prior_90_minor > 0:
        decline = max(0.0, (main.prior_90_minor - main.last_90_minor) / main.prior_90_minor)
    return _factor(
        "DECLINING_SPEND",
        decline,
        15,
        decline,
        f"spend in the last 90 days is {round(decline * 100)}% below the 90 days before",
    )


def _totals(spend: tuple[SpendFacts, ...]) -> tuple[tuple[str, Decimal], ...]:
    """Total spend per currency, largest first."""
    totals = sorted(
        ((s.currency, from_minor(s.total_minor, s.currency)) for s in spend),
        key=lambda pair: pair[1],
        reverse=True,
    )
    return tuple(totals)


def compute(facts: CustomerFacts, now: datetime, base: rfm.Distribution | None = None) -> Insight:
    """The insight of one customer; RFM relative to `base` (fixed bands without one)."""
    base = base or rfm.Distribution()
    main = max(facts.spend, key=lambda s: s.last_365_minor, default=None)
    last_purchase = max(
        (s.last_purchase_at for s in facts.spend if s.last_purchase_at), default=None
    )
    days_purchase = _days(last_purchase, now)
    count_365 = sum(s.count_365 for s in facts.spend)
    recency = rfm.recency_score(days_purchase, base)
    frequency = rfm.frequency_score(count_365, base)
    spend_365 = float(from_minor(main.last_365_minor, main.currency)) if main else 0.0
    monetary = rfm.monetary_score(spend_365, main.currency if main else None, base)
    has_purchases = any(s.count_total for s in facts.spend)
    factors = [
        *_silence_factors(_days(facts.last_contact_at, now), days_purchase, has_purchases),
        *_service_factors(facts),
        _spend_factor(main),
    ]
    churn = round(sum(f.contribution for f in factors))
    return Insight(
        customer_id=facts.customer_id,
        last_contact_at=facts.last_contact_at,
        channels=dict(facts.channels),
        open_tickets=facts.open_tickets,
        average_satisfaction=round(facts.rating_sum / facts.rating_count, 2)
        if facts.rating_count
        else None,
        rating_count=facts.rating_count,
        total_spend=_totals(facts.spend),
        recency_score=recency,
        frequency_score=frequency,
        monetary_score=monetary,
        segment=segment(recency, frequency, monetary, has_purchases),
        churn_risk=max(0, min(100, churn)),
        churn_factors=tuple(sorted(factors, key=lambda f: f.contribution, reverse=True)),
    )
