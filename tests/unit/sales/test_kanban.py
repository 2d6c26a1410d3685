"""The kanban board: a move writes one card (a few when a gap is used up), order is stable,
columns count and sum in the base currency, raw and weighted."""

from __future__ import annotations

import itertools
import random
from datetime import date
from decimal import Decimal

import pytest

from crm_sales.kanban.model import (
    MIN_STEP,
    RANK_GAP,
    RANK_LIMIT,
    BoardCard,
    Card,
    append,
    card_of,
    columns,
    ordered,
    place,
    totals,
)
from crm_sales.money.model import Money, RateTable, exchange_rate
from crm_sales.opportunities.values import Changes
from tests.unit.sales.samples import opportunity, pipeline


def _column(*ranks: int) -> list[Card]:
    return [Card(f"c{i}", rank) for i, rank in enumerate(ranks)]


def _apply(column: list[Card], card_id: str, index: int) -> tuple[list[Card], int]:
    """The column after the move, and how many other cards were rewritten."""
    placement = place(column, card_id, index)
    ranks = {card.id: card.rank for card in column if card.id != card_id}
    ranks.update(placement.renumbered)
    ranks[card_id] = placement.rank
    return ordered(Card(key, rank) for key, rank in ranks.items()), len(placement.renumbered)


def test_order_is_by_rank_then_id() -> None:
    cards = [Card("b", 5), Card("a", 5), Card("c", 1)]
    assert [c.id for c in ordered(cards)] == ["c", "a", "b"]


def test_drops_into_empty_top_bottom_and_between() -> None:
    assert place([], "x", 0).rank == 0
    column = _column(0, RANK_GAP, 2 * RANK_GAP)
    assert place(column, "x", 0).rank == -RANK_GAP
    assert place(column, "x", 3).rank == 3 * RANK_GAP
    assert append(column, "x").rank == 3 * RANK_GAP
    between = place(column, "x", 1)
    assert (between.rank, dict(between.renumbered)) == (RANK_GAP // 2, {})
    assert place(column, "x", 99).rank == 3 * RANK_GAP  # clamped to the bottom


def test_moving_within_a_column_ignores_the_card_itself() -> None:
    column = _column(0, RANK_GAP, 2 * RANK_GAP)
    moved, rewritten = _apply(column, "c0", 2)
    assert [c.id for c in moved] == ["c1", "c2", "c0"] and rewritten == 0


def test_an_exhausted_gap_renumbers_only_a_few_neighbours() -> None:
    column = _column(0, 10, 11, 12, 13, 14 * RANK_GAP, 15 * RANK_GAP)
    moved, rewritten = _apply(column, "x", 2)  # between ranks 10 and 11: no integer left
    assert [c.id for c in moved] == ["c0", "c1", "x", "c2", "c3", "c4", "c5", "c6"]
    assert 0 < rewritten <= 4
    ranks = [c.rank for c in moved]
    assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks)


def test_ties_are_separated_when_dropping_between_them() -> None:
    column = [Card("a", 7), Card("b", 7)]
    moved, _ = _apply(column, "x", 1)
    assert [c.id for c in moved] == ["a", "x", "b"]


def test_many_random_moves_keep_order_and_rarely_touch_other_cards() -> None:
    rng = random.Random(21)
    column = [Card(f"c{i}", i * RANK_GAP) for i in range(40)]
    expected = [c.id for c in column]
    rewritten_in_all = 0
    for _ in range(3_000):
        card = rng.choice(expected)
        index = rng.randrange(len(expected))
        expected.remove(card)
        expected.insert(index, card)
        column, rewritten = _apply(column, card, index)
        rewritten_in_all += rewritten
        assert [c.id for c in column] == expected
    assert rewritten_in_all < 3_000 // 20  # amortised: well under one other card per move
    ranks = [c.rank for c in column]
    assert all(b - a >= 1 for a, b in itertools.pairwise(ranks))


def test_repeated_drops_at_one_spot_renumber_rarely() -> None:
    column = [Card(f"c{i}", i * RANK_GAP) for i in range(10)]
    renumbers = 0
    for n in range(200):
        column, rewritten = _apply(column, f"new{n}", 5)
        renumbers += rewritten > 0
    assert renumbers <= 200 // 16
    assert [c.id for c in column][5] == "new199"
    assert MIN_STEP < RANK_GAP


def test_ranks_stay_within_64_bits_by_renumbering_the_column_once() -> None:
    column = [Card("a", RANK_LIMIT - RANK_GAP // 2), Card("b", RANK_LIMIT - RANK_GAP)]
    moved, rewritten = _apply(column, "x", 2)
    assert [c.id for c in moved] == ["b", "a", "x"] and rewritten == 2
    assert all(abs(c.rank) <= RANK_LIMIT for c in moved)


def _cny(amount: str) -> Money:
    return Money(Decimal(amount), "CNY")


def test_columns_count_and_sum_raw_and_weighted_in_board_order() -> None:
    cards = [
        BoardCard("proposal", 50, _cny("100000.00")),
        BoardCard("proposal", 35, _cny("0.03")),
        BoardCard("proposal", 50, None),  # no amount or no rate: counted, not summed
        BoardCard("won", 100, _cny("8888.88")),
    ]
    board = columns(pipeline(), cards)
    assert [c.stage_id for c in board] == [
        "lead",
        "qualified",
        "proposal",
        "negotiation",
        "won",
        "lost",
    ]
    proposal = board[2].totals
    assert (proposal.count, proposal.unpriced) == (3, 1)
    assert proposal.amount == _cny("100000.03")
    assert proposal.weighted == _cny("50000.01")  # 50000 + 0.0105, rounded once
    assert board[0].totals.count == 0 and board[0].totals.amount == _cny("0")
    assert board[4].totals.weighted == _cny("8888.88")


def test_sums_refuse_a_foreign_currency_or_stage() -> None:
    with pytest.raises(ValueError, match="USD"):
        totals([BoardCard("lead", 10, Money(Decimal("1.00"), "USD"))])
    with pytest.raises(ValueError, match="signed"):
        columns(pipeline(), [BoardCard("signed", 10, None)])


def test_an_opportunity_on_the_board_counts_its_odds_and_base_amount() -> None:
    rates = RateTable([exchange_rate("USD", "7.20", date(2026, 1, 1))])
    opp = opportunity(Changes(amount="100", currency="USD", probability=30))
    assert card_of(opp, pipeline(), rates, date(2026, 3, 2)) == BoardCard(
        "lead", 30, _cny("720.00")
    )
    unpriced = card_of(opp, pipeline(), rates, date(2025, 3, 2))
    assert unpriced == BoardCard("lead", 30, None)
