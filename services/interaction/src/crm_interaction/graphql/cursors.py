"""Relay paging of this subgraph: opaque cursors over a (time, id) keyset, the PageInfo they
make, and the page size rule."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, timedelta

from crm_interaction import access
from crm_interaction.shared.paging import Keyset
from crm_kit.errors import BadUserInput
from crm_kit.graphql import PageInfo

DEFAULT_PAGE_SIZE = 20

_PREFIX = "i1:"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLI = timedelta(milliseconds=1)


def page_size(first: int | None) -> int:
    """BAD_USER_INPUT below 0 or above the page limit (MAX_PAGE_SIZE, 100 by default)."""
    return access.page_size(first, DEFAULT_PAGE_SIZE)


def encode(keyset: Keyset) -> str:
    millis = (keyset.occurred_at - _EPOCH) // _MILLI
    raw = f"{_PREFIX}{millis}:{keyset.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, field: str = "after") -> Keyset:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith(_PREFIX):
            raise ValueError("unknown cursor version")
        millis, _, interaction_id = raw.removeprefix(_PREFIX).partition(":")
        if not interaction_id:
            raise ValueError("cursor lacks an id")
        occurred_at = _EPOCH + int(millis) * _MILLI
    except (ValueError, UnicodeDecodeError, binascii.Error, OverflowError) as exc:
        raise BadUserInput.single(
            field, "INVALID_CURSOR", f"{field} is not a valid cursor"
        ) from exc
    return Keyset(occurred_at=occurred_at, id=interaction_id)


def page_info(cursors: list[str], has_next: bool, has_previous: bool) -> PageInfo:
    """The PageInfo of a page whose edges carry `cursors`, in order."""
    return PageInfo(
        has_next_page=has_next,
        has_previous_page=has_previous,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )
