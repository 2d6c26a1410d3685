"""Times as this service stores them: UTC to the millisecond, as MongoDB keeps them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def to_millis(at: datetime) -> datetime:
    """UTC, truncated to milliseconds: what MongoDB stores, so cursors round-trip exactly."""
    at = at.astimezone(UTC)
    return at.replace(microsecond=at.microsecond - at.microsecond % 1000)


def range_bound(at: datetime) -> datetime:
    """A time-range bound against stored times: UTC, rounded up to the next millisecond, so
    `>= bound` and `< bound` select exactly the stored times at or after, or before, `at`."""
    down = to_millis(at)
    return down if down == at else down + timedelta(milliseconds=1)
