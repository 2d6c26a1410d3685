"""Times as this service stores them: UTC to the millisecond, as MongoDB keeps them."""

from __future__ import annotations

from datetime import UTC, datetime


def to_millis(at: datetime) -> datetime:
    """UTC, truncated to milliseconds: what MongoDB stores, so cursors round-trip exactly."""
    at = at.astimezone(UTC)
    return at.replace(microsecond=at.microsecond - at.microsecond % 1000)
