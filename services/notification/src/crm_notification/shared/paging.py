"""Keyset pagination, newest first: opaque cursors over (createdAt, id)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime

from crm_kit.errors import BadUserInput

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def to_millis(at: datetime) -> datetime:
    """UTC, truncated to milliseconds: what MongoDB stores, so cursors round-trip exactly."""
    at = at.astimezone(UTC)
    return at.replace(microsecond=at.microsecond - at.microsecond % 1000)


@dataclass(frozen=True, slots=True)
class Position:
    """Where a page ends: the sort key of its last item."""

    created_at: datetime
    id: str


def encode_cursor(position: Position) -> str:
    millis = int(position.created_at.timestamp() * 1000)
    raw = f"{millis}:{position.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, field: str = "after") -> Position:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        millis, _, id = raw.partition(":")
        if not id:
            raise ValueError("no id")
        created_at = datetime.fromtimestamp(int(millis) / 1000, UTC)
    except (ValueError, binascii.Error, UnicodeDecodeError, OverflowError, OSError) as exc:
        raise BadUserInput.single(field, "INVALID_CURSOR", "Not a cursor of this list") from exc
    return Position(created_at, id)


def page_size(first: int, field: str = "first") -> int:
    if first < 0 or first > MAX_PAGE_SIZE:
        raise BadUserInput.single(
            field, "OUT_OF_RANGE", f"{field} must be between 0 and {MAX_PAGE_SIZE}"
        )
    return first
