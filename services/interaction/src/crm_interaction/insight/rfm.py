"""RFM scores relative to the customer base (pure).

Each score is the customer's quintile in the base: 5 = the best fifth. The base is every
customer with a counted purchase in the last 365 days; its quintile cut points (20/40/60/80th
percentiles of days since the last purchase, purchases in 365 days, and 365-day spend per
currency) are computed by the database and cached for a few minutes (see `queries`).
While the base is smaller than `MIN_BASE` quintiles say little, so fixed bands are used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

MIN_BASE = 20
FIXED_RECENCY_DAYS = (365.0, 180.0, 90.0, 30.0)  # days since purchase, worst to best
FIXED_FREQUENCY = (2.0, 3.0, 5.0, 10.0)  # purchases in 365 days
FIXED_MONETARY = (1_000.0, 5_000.0, 20_000.0, 100_000.0)  # spend in 365 days (major units)


@dataclass(frozen=True, slots=True)
class Distribution:
    """Quintile cut points of the base (ascending 20/40/60/80th percentiles)."""

    customers: int = 0
    recency_days: tuple[float, ...] = ()
    frequency: tuple[float, ...] = ()
    monetary: Mapping[str, tuple[float, ...]] = field(default_factory=dict)  # per currency
    computed_at: datetime | None = None

    @property
    def relative(self) -> bool:
        return self.customers >= MIN_BASE and len(self.frequency) == 4


def _above(value: float, cuts: tuple[float, ...]) -> int:
    """1–5: one more than the number of cut points strictly below the value."""
    return 1 + sum(1 for cut in cuts if value > cut)


def _at_least(value: float, bounds: tuple[float, ...]) -> int:
    return 1 + sum(1 for bound in bounds if value >= bound)


def recency_score(days: float | None, d: Distribution) -> int:
    if days is None or days > 365:
        return 1
    if not d.relative:
        return 1 + sum(1 for bound in FIXED_RECENCY_DAYS if days <= bound)
    # fewer days is better: the share of the base that bought longer ago than this customer
    return 5 - sum(1 for cut in d.recency_days if days > cut)


def frequency_score(count_365: int, d: Distribution) -> int:
    if count_365 <= 0:
        return 1
    if not d.relative:
        return _at_least(count_365, FIXED_FREQUENCY)
    return _above(count_365, d.frequency)


def monetary_score(spend_365: float, currency: str | None, d: Distribution) -> int:
    if spend_365 <= 0:
        return 1
    cuts = d.monetary.get(currency or "")
    if not d.relative or cuts is None or len(cuts) != 4:
        return _at_least(spend_365, FIXED_MONETARY)
    return _above(spend_365, cuts)
