"""The arguments every list of every subgraph shares, so a client learns them once: the sort
direction of an `orderBy` and a time range (`DateTimeRangeInput`, the one way a filter or a
report takes "between two instants").

A list a UI sorts takes `orderBy: <Thing>OrderInput = {field: …, direction: …}` with its own
`<Thing>OrderField` enum and this `OrderDirection`; a list takes its conditions as one
`filter: <Thing>FilterInput`. Identical definitions in every subgraph are what federation
composes, hence one place for them.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from crm_kit.errors import BadUserInput, FieldError


@strawberry.enum(description="The direction of a sort.")
class OrderDirection(Enum):
    ASC = strawberry.enum_value("ASC", description="Smallest, oldest or A first.")
    DESC = strawberry.enum_value("DESC", description="Largest, newest or Z first.")


@strawberry.input(
    description="A time range, half open: at or after `from`, before `to` (RFC 3339 date-times; "
    "without an offset read as UTC). Either end may be left out for an open range; `from` "
    "after `to` is BAD_USER_INPUT (`<field>.to` OUT_OF_RANGE)."
)
class DateTimeRangeInput:
    from_: datetime | None = strawberry.field(
        default=None, name="from", description="The range's start, included; none when omitted."
    )
    to: datetime | None = strawberry.field(
        default=None, description="The range's end, excluded; none when omitted."
    )


def checked_range(value: DateTimeRangeInput | None, field: str) -> DateTimeRangeInput | None:
    """`value` when its ends are in order; BAD_USER_INPUT naming `<field>.to` otherwise."""
    if value is not None and value.from_ and value.to and value.from_ > value.to:
        raise BadUserInput(
            [FieldError(f"{field}.to", "OUT_OF_RANGE", f"{field}.to is before {field}.from")],
            f"{field}.to is before {field}.from",
        )
    return value


def range_condition(
    value: DateTimeRangeInput | None, field: str, encode: Any = None
) -> dict[str, Any] | None:
    """A MongoDB condition (`{"$gte": from, "$lt": to}`) for a checked range, or None when the
    range bounds nothing. `encode` turns a bound into the stored form (e.g. an ISO string)."""
    checked = checked_range(value, field)
    if checked is None:
        return None
    bounds = {
        op: (encode(at) if encode else at)
        for op, at in (("$gte", checked.from_), ("$lt", checked.to))
        if at is not None
    }
    return bounds or None
