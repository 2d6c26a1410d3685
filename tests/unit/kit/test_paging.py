"""One cursor format and one page-size rule for every list."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crm_kit.errors import BadUserInput
from crm_kit.paging import (
    MAX_PAGE_SIZE,
    Keyset,
    decode_cursor,
    decode_position,
    encode_cursor,
    encode_position,
    page_size,
)
from crm_kit.paging import Keyset as Position
from crm_kit.policy import PolicyOptions


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


# Moved from the notification service's paging tests when its cursors became the kit's.
def test_cursor_round_trips() -> None:
    position = Position(datetime(2026, 5, 1, 12, 0, 0, 250000, tzinfo=UTC), "ntf_abc:def")
    assert decode_cursor(encode_cursor(position)) == position


@pytest.mark.parametrize("cursor", ["", "garbage!", "bm90LWEtY3Vyc29y", "OnJhdw"])
def test_foreign_cursors_are_bad_user_input(cursor: str) -> None:
    with pytest.raises(BadUserInput) as caught:
        decode_cursor(cursor)
    assert caught.value.extensions["fieldErrors"][0]["code"] == "INVALID_CURSOR"


@pytest.mark.parametrize("first", [-1, MAX_PAGE_SIZE + 1])
def test_page_size_is_bounded(first: int) -> None:
    with pytest.raises(BadUserInput) as caught:
        page_size(first)
    assert caught.value.extensions["fieldErrors"][0]["field"] == "first"


def test_page_size_accepts_the_bounds() -> None:
    assert (page_size(0), page_size(MAX_PAGE_SIZE)) == (0, MAX_PAGE_SIZE)


# Moved from the interaction service's domain tests when its cursors became the kit's.
def test_cursor_round_trips_and_is_opaque() -> None:
    keyset = Keyset(datetime(2026, 3, 1, 8, 30, 0, 123000, tzinfo=UTC), "abc123")
    cursor = encode_cursor(keyset)
    assert "abc123" not in cursor
    assert decode_cursor(cursor) == keyset


@pytest.mark.parametrize("garbage", ["", "not-a-cursor", "aTE6MTIz", "!!!!"])
def test_garbage_cursor_is_bad_user_input(garbage: str) -> None:
    with pytest.raises(BadUserInput) as raised:
        decode_cursor(garbage)
    assert raised.value.field_errors[0].code == "INVALID_CURSOR"


# Moved from the policy tests when the page-size rule moved to the paging module.
def test_page_size_is_bounded_by_the_setting() -> None:
    assert page_size(None, 20) == 20
    assert page_size(100, 20) == 100
    assert page_size(0, 20) == 0
    for bad in (101, -1, 10**9):
        with pytest.raises(BadUserInput) as caught:
            page_size(bad, 20)
        assert caught.value.field_errors[0].field == "first"
    assert page_size(150, 20, PolicyOptions(max_page_size=200)) == 150


def test_a_cursor_is_refused_under_another_sort_order() -> None:
    keyset = Keyset(datetime(2026, 12, 7, 8, 0, tzinfo=UTC), "c-9")
    cursor = encode_cursor(keyset, order="CREATED_DESC")
    assert decode_cursor(cursor, order="CREATED_DESC") == keyset
    for other in ("UPDATED_DESC", ""):
        with pytest.raises(BadUserInput) as caught:
            decode_cursor(cursor, order=other)
        assert caught.value.field_errors[0].code == "INVALID_CURSOR"


def test_a_position_cursor_round_trips_its_sort_values() -> None:
    cursor = encode_position([0.55, None, "a:b", 7], "pairs")
    assert "=" not in cursor and ":" not in cursor
    assert decode_position(cursor, (float, object, str, int), "pairs") == [0.55, None, "a:b", 7]
    assert decode_position(encode_position([1, "x"], "pairs"), (float, str), "pairs") == [1, "x"]


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "nonsense",
        encode_cursor(Keyset(datetime.now(UTC), "x")),
        encode_position([1, "x"], "other"),
        encode_position(["1", "x"], "pairs"),
        encode_position([True, "x"], "pairs"),
        encode_position([1], "pairs"),
    ],
)
def test_a_position_of_another_list_or_shape_is_bad_input(bad: str) -> None:
    with pytest.raises(BadUserInput) as caught:
        decode_position(bad, (float, str), "pairs")
    [error] = caught.value.field_errors
    assert (error.field, error.code) == ("after", "INVALID_CURSOR")
