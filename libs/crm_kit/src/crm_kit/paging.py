"""Keyset paging for every list of every service: one opaque cursor format, one page-size rule.

A page ends at the sort key of its last item, a time and an id (MongoDB keeps times to the
millisecond, so the cursor does too): the next page starts strictly after it. A cursor is
``base64url("k1:<order>:<epoch millis>:<id>")``, where `order` names the list's sort order (empty
for a list with one order), so a cursor is refused under another order; clients treat it as
opaque. A list sorted by other keys (a score, a name, a number) ends at those values instead:
``base64url("p1:<order>:<JSON array>")`` (`encode_position`). `first` outside
``0…MAX_PAGE_SIZE`` (100 by default) is BAD_USER_INPUT naming the argument — never cut silently.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from crm_kit.errors import BadUserInput
from crm_kit.policy import DEFAULT_OPTIONS, PolicyOptions, configured_options

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = DEFAULT_OPTIONS.max_page_size  # the default of the MAX_PAGE_SIZE setting

_VERSION = "k1:"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLI = timedelta(milliseconds=1)


@dataclass(frozen=True, slots=True)
class Keyset:
    """Where a page ends: the sort key of its last item."""

    at: datetime
    id: str


def encode_cursor(keyset: Keyset, order: str = "") -> str:
    millis = (keyset.at.astimezone(UTC) - _EPOCH) // _MILLI
    raw = f"{_VERSION}{order}:{millis}:{keyset.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, field: str = "after", order: str = "") -> Keyset:
    """The keyset of a cursor made for this list and sort `order`; BAD_USER_INPUT
    (`INVALID_CURSOR`, naming `field`) otherwise."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith(_VERSION):
            raise ValueError("not a cursor of this API")
        made_for, _, rest = raw.removeprefix(_VERSION).partition(":")
        if made_for != order:
            raise ValueError("a cursor of another sort order")
        millis, _, id = rest.partition(":")
        if not id:
            raise ValueError("cursor without an id")
        at = _EPOCH + int(millis) * _MILLI
    except (ValueError, UnicodeDecodeError, binascii.Error, OverflowError) as exc:
        raise BadUserInput.single(
            field, "INVALID_CURSOR", f"{field} is not a valid cursor"
        ) from exc
    return Keyset(at, id)


def page_size(
    first: int | None,
    default: int = DEFAULT_PAGE_SIZE,
    options: PolicyOptions | None = None,
    field: str = "first",
) -> int:
    """`first` checked against the page limit (``MAX_PAGE_SIZE``, or `options`'): the default
    when absent; BAD_USER_INPUT outside 0…limit, never cut silently."""
    if first is None:
        return default
    maximum = (options or configured_options()).max_page_size
    if first < 0 or first > maximum:
        raise BadUserInput.single(field, "OUT_OF_RANGE", f"{field} must be between 0 and {maximum}")
    return first


_POSITION = "p1:"


def encode_position(values: Sequence[str | int | float | None], order: str) -> str:
    """A cursor for a list sorted by other keys than (time, id): the sort key values of a
    page's last item, in sort order (`order` names the list and its sort, as above)."""
    raw = f"{_POSITION}{order}:{json.dumps(list(values), separators=(',', ':'))}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_position(
    cursor: str, kinds: Sequence[type], order: str, field: str = "after"
) -> list[Any]:
    """The sort key values of a cursor made by `encode_position` for this `order`, each of its
    kind in `kinds` (an int is accepted for a float); BAD_USER_INPUT (`INVALID_CURSOR`, naming
    `field`) otherwise."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith(_POSITION):
            raise ValueError("not a cursor of this API")
        made_for, _, rest = raw.removeprefix(_POSITION).partition(":")
        if made_for != order:
            raise ValueError("a cursor of another list")
        values = json.loads(rest)
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError("a cursor of another shape")
        for value, kind in zip(values, kinds, strict=True):
            accepted = (int, float) if kind is float else (kind,)
            if isinstance(value, bool) or not isinstance(value, accepted):
                raise ValueError("a cursor of another shape")
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise BadUserInput.single(
            field, "INVALID_CURSOR", f"{field} is not a valid cursor"
        ) from exc
    return values
