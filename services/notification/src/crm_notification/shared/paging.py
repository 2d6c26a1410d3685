"""Time keys of this service's lists: what MongoDB stores (cursors and page sizes are the kit's,
`crm_kit.paging`)."""

from __future__ import annotations

from datetime import UTC, datetime

DEFAULT_PAGE_SIZE = 20


def to_millis(at: datetime) -> datetime:
    """UTC, truncated to milliseconds: what MongoDB stores, so cursors round-trip exactly."""
    at = at.astimezone(UTC)
    return at.replace(microsecond=at.microsecond - at.microsecond % 1000)
