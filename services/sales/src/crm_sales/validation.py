"""What every sales feature shares when it checks input: the typed error, collecting the
field errors of several checks into one answer, bounded texts and calendar dates. Pure.

Each feature raises its own subclass of `SalesInputError` (a `BadUserInput`), so a use case
can tell a stage gate from a price problem by type while the kit still answers
`BAD_USER_INPUT` with `fieldErrors`. Checks append to a list of `FieldError`s instead of
raising at the first problem: a client (or an import row) learns everything wrong at once,
and nothing is half-written because nothing is built until the list is empty.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime

from crm_kit.errors import BadUserInput, FieldError

# A calendar date as the API writes it (ISO 8601 extended, no time, no week or ordinal forms).
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
EARLIEST_DATE = date(1970, 1, 1)
LATEST_DATE = date(2199, 12, 31)


class SalesInputError(BadUserInput):
    """Input the sales rules refuse; `fieldErrors` name each field path and its code."""

    @property
    def codes(self) -> dict[str, str]:
        """field path → code (the last code when a field has several)."""
        return {error.field: error.code for error in self.field_errors}


def raise_if_any[E: SalesInputError](
    errors: list[FieldError], kind: type[E], message: str = "Invalid input"
) -> None:
    """Raise `kind` with every collected error, or do nothing when there is none."""
    if errors:
        raise kind(list(errors), message)


def collect[T](errors: list[FieldError], check: Callable[[], T]) -> T | None:
    """Run a check that raises `BadUserInput`; keep its field errors and go on (None)."""
    try:
        return check()
    except BadUserInput as refused:
        errors.extend(refused.field_errors)
        return None


def text(
    errors: list[FieldError], field: str, value: str | None, *, limit: int, required: bool
) -> str | None:
    """The stripped text (None when blank and optional), or an error for `field`."""
    stripped = (value or "").strip()
    if not stripped:
        if required:
            errors.append(FieldError(field, "REQUIRED", f"{field} is required"))
        return None
    if len(stripped) > limit:
        errors.append(FieldError(field, "TOO_LONG", f"{field} must be at most {limit} characters"))
        return None
    return stripped


def texts(
    errors: list[FieldError], field: str, values: tuple[str, ...], *, limit: int, most: int
) -> tuple[str, ...]:
    """Distinct non-blank texts in their first order (a repeated one is dropped, not refused:
    a list of competitors or tags is a set that clients send as an array)."""
    if len(values) > most:
        errors.append(FieldError(field, "TOO_MANY", f"{field} holds at most {most} entries"))
        return ()
    kept: dict[str, None] = {}
    for index, value in enumerate(values):
        one = text(errors, f"{field}[{index}]", value, limit=limit, required=True)
        if one is not None:
            kept.setdefault(one, None)
    return tuple(kept)


def parse_date(raw: date | str, *, field: str) -> date:
    """A calendar date from a `date` or an ISO 8601 `YYYY-MM-DD` string.

    A datetime is refused rather than cut to its date: which date a moment falls on depends on
    a time zone the caller did not state. February 30th, `2026/03/01`, `20260301` and
    `2026-W10-1` are refused as INVALID_DATE; years outside 1970–2199 as OUT_OF_RANGE."""
    value = _as_date(raw)
    if value is None:
        raise SalesInputError.single(
            field, "INVALID_DATE", f"{field} must be a calendar date written YYYY-MM-DD"
        )
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise SalesInputError.single(
            field, "OUT_OF_RANGE", f"{field} must be between {EARLIEST_DATE} and {LATEST_DATE}"
        )
    return value


def _as_date(raw: object) -> date | None:
    if isinstance(raw, datetime):
        return None
    if isinstance(raw, date):
        return raw
    if not isinstance(raw, str) or not _ISO_DATE.fullmatch(raw.strip()):
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None
