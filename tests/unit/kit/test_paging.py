"""One cursor format and one page-size rule for every list."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crm_kit.errors import BadUserInput
from crm_kit.paging import Keyset, decode_cursor, encode_cursor, page_size


def test_a_cursor_round_trips_to_the_millisecond() -> None:
    keyset = Keyset(datetime(2026, 12, 7, 8, 30, 1, 123000, tzinfo=UTC), "c-1:x")
    cursor = encode_cursor(keyset)
    assert "=" not in cursor and ":" not in cursor
    assert decode_cursor(cursor) == keyset


@pytest.mark.parametrize(
    "bad", ["", "nonsense", "azE6MTIz", encode_cursor(Keyset(datetime.now(UTC), "x"))[:-3]]
)
def test_a_malformed_cursor_is_bad_input_naming_the_argument(bad: str) -> None:
    with pytest.raises(BadUserInput) as caught:
        decode_cursor(bad, "before")
    [error] = caught.value.field_errors
    assert (error.field, error.code) == ("before", "INVALID_CURSOR")


def test_the_page_size_is_refused_outside_the_limit_never_cut() -> None:
    assert page_size(None, 20) == 20
    assert page_size(0, 20) == 0
    assert page_size(100, 20) == 100
    for wrong in (-1, 101):
        with pytest.raises(BadUserInput) as caught:
            page_size(wrong, 20)
        assert caught.value.field_errors[0].code == "OUT_OF_RANGE"
