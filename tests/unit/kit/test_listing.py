"""The shared list arguments: a time range bounds a MongoDB query half open, and one with its
ends reversed is refused naming the field."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crm_kit.errors import BadUserInput
from crm_kit.listing import DateTimeRangeInput, range_condition

MAY = datetime(2026, 5, 1, tzinfo=UTC)
JUNE = datetime(2026, 6, 1, tzinfo=UTC)


def test_a_range_is_at_or_after_from_and_before_to() -> None:
    assert range_condition(DateTimeRangeInput(from_=MAY, to=JUNE), "created") == {
        "$gte": MAY,
        "$lt": JUNE,
    }
    assert range_condition(DateTimeRangeInput(to=JUNE), "created", encode=datetime.isoformat) == {
        "$lt": JUNE.isoformat()
    }


def test_an_open_or_absent_range_bounds_nothing() -> None:
    assert range_condition(None, "created") is None
    assert range_condition(DateTimeRangeInput(), "created") is None


def test_a_reversed_range_is_refused_naming_its_end() -> None:
    with pytest.raises(BadUserInput) as raised:
        range_condition(DateTimeRangeInput(from_=JUNE, to=MAY), "filter.created")
    assert [e.field for e in raised.value.field_errors] == ["filter.created.to"]
    assert raised.value.field_errors[0].code == "OUT_OF_RANGE"
