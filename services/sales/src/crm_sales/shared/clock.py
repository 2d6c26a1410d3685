"""Time as this service stores and publishes it: UTC with millisecond precision; the day of a
moment is its UTC date (rates and close dates are calendar dates)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

type Clock = Callable[[], datetime]


def to_storage_time(value: datetime) -> datetime:
    """UTC with millisecond precision: what MongoDB stores, so cursors round-trip exactly."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    utc = aware.astimezone(UTC)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


def iso(value: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and `Z`, as events carry times."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def day_of(value: datetime) -> date:
    """The UTC calendar date of a moment."""
    return value.astimezone(UTC).date()
