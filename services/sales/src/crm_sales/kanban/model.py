"""The kanban board of a pipeline: the order of cards within a stage, and each column's count
and sums. Pure, no I/O.

Order is an integer rank per card, ascending, ties broken by id so that two readers always see
the same order. New ranks leave gaps of `RANK_GAP` (2^32); a card dropped between two
neighbours takes the midpoint of their ranks, so a move writes one card. Only when two
neighbours have no integer left between them — after some thirty drops into one spot —
is a window around the drop renumbered evenly, widened one card at a time until its cards fit
with `MIN_STEP` (2^16) between them: a few neighbours, and never the whole column. Integers
rather than fractions or strings: MongoDB sorts and indexes 64-bit integers natively, and they
stay exact. Ranks are a storage detail — the API takes a position or a neighbour, not a rank
(a 64-bit integer does not survive a JavaScript number).

Sums are in the base currency: `card_of` takes each amount at the rate of its date
(`opportunities.model.base_amount`); a card without one is counted but not summed. The
weighted sum is Σ amount × probability / 100, rounded half-even once for the column, not per
card, so it does not drift with the number of cards.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from crm_sales.money.model import BASE_CURRENCY, CURRENCIES, Money, RateTable, money
from crm_sales.opportunities.model import base_amount, effective_probability
from crm_sales.opportunities.values import Opportunity
from crm_sales.pipelines.model import Pipeline

RANK_GAP = 1 << 32
MIN_STEP = 1 << 16  # room for 16 more drops into one spot after a renumber
# Two billion drops at the top (or bottom) of one column before this bound: then, once, the
# whole column is renumbered around zero, so ranks always fit a signed 64-bit integer.
RANK_LIMIT = 1 << 62


@dataclass(frozen=True, slots=True)
class Card:
    id: str
    rank: int


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a moved card goes: its rank, and the other cards whose rank changes with it."""

    rank: int
    renumbered: Mapping[str, int] = field(default_factory=dict)


def ordered(cards: Iterable[Card]) -> list[Card]:
    return sorted(cards, key=lambda card: (card.rank, card.id))


def place(column: Sequence[Card], card_id: str, index: int) -> Placement:
    """Put the card at position `index` (0 = top) of the column's other cards — the same call
    for a card from another column, a new card and a card moved within its column."""
    others = [card for card in ordered(column) if card.id != card_id]
    index = max(0, min(index, len(others)))
    before = others[index - 1].rank if index > 0 else None
    after = others[index].rank if index < len(others) else None
    if before is None and after is None:
        return Placement(0)
    if before is None:
        assert after is not None
        return _within_limit(others, index, card_id, after - RANK_GAP)
    if after is None:
        return _within_limit(others, index, card_id, before + RANK_GAP)
    if after - before >= 2:
        return Placement((before + after) // 2)
    return _respace(others, index, card_id)


def append(column: Sequence[Card], card_id: str) -> Placement:
    """At the bottom of the column."""
    return place(column, card_id, len(column))


def _within_limit(others: list[Card], index: int, card_id: str, rank: int) -> Placement:
    if -RANK_LIMIT <= rank <= RANK_LIMIT:
        return Placement(rank)
    ids = [card.id for card in others]
    ids.insert(index, card_id)
    start = -(len(ids) // 2) * RANK_GAP
    new = {key: start + i * RANK_GAP for i, key in enumerate(ids)}
    old = {card.id: card.rank for card in others}
    return Placement(new[card_id], {k: r for k, r in new.items() if k != card_id and old[k] != r})


def _respace(others: list[Card], index: int, card_id: str) -> Placement:
    """Renumber the smallest window around the drop that leaves `MIN_STEP` between ranks."""
    low, high = index - 1, index + 1  # the window is others[low:high] plus the dropped card
    while True:
        window = [card.id for card in others[low:index]] + [card_id]
        window += [card.id for card in others[index:high]]
        ranks = _spread(
            len(window),
            others[low - 1].rank if low > 0 else None,
            others[high].rank if high < len(others) else None,
        )
        if ranks is not None:
            break
        low, high = max(low - 1, 0), min(high + 1, len(others))
    new = dict(zip(window, ranks, strict=True))
    old = {card.id: card.rank for card in others}
    moved = {key: rank for key, rank in new.items() if key != card_id and old[key] != rank}
    return Placement(new[card_id], moved)


def _spread(count: int, left: int | None, right: int | None) -> list[int] | None:
    """`count` ranks strictly between the bounds (None: open), or None when they do not fit
    `MIN_STEP` apart. An open side always fits: ranks then step by `RANK_GAP`."""
    if left is None and right is None:
        return [i * RANK_GAP for i in range(count)]
    if left is None:
        assert right is not None
        return [right - (count - i) * RANK_GAP for i in range(count)]
    if right is None:
        return [left + (i + 1) * RANK_GAP for i in range(count)]
    step = (right - left) // (count + 1)
    return [left + (i + 1) * step for i in range(count)] if step >= MIN_STEP else None


@dataclass(frozen=True, slots=True)
class BoardCard:
    """What the board needs of an opportunity: its stage, probability in effect and amount
    in the base currency (None: no amount, or no rate in effect on its day)."""

    stage_id: str
    probability: int
    amount: Money | None


@dataclass(frozen=True, slots=True)
class Totals:
    count: int
    amount: Money
    weighted: Money
    unpriced: int  # cards counted but not summed: no amount in the base currency


@dataclass(frozen=True, slots=True)
class Column:
    stage_id: str
    totals: Totals


def card_of(
    opportunity: Opportunity, pipeline: Pipeline, rates: RateTable, today: date
) -> BoardCard:
    """An opportunity as the board counts it: its odds in effect and its amount in the base
    currency at the rate of its date."""
    converted = base_amount(opportunity, rates, today)
    return BoardCard(
        opportunity.stage_id,
        effective_probability(opportunity, pipeline),
        converted.amount if converted is not None else None,
    )


def totals(cards: Iterable[BoardCard], *, base: str = BASE_CURRENCY) -> Totals:
    """Count, sum and probability-weighted sum of the cards (also a customer's open pipeline)."""
    count = unpriced = 0
    raw = weighted = Decimal(0)
    for card in cards:
        count += 1
        if card.amount is None:
            unpriced += 1
            continue
        if card.amount.currency != base:
            raise ValueError(f"a {card.amount.currency} amount on a {base} board")
        raw += card.amount.amount
        weighted += card.amount.amount * card.probability
    return Totals(count, money(raw, base), money(weighted / 100, base), unpriced)


def columns(
    pipeline: Pipeline, cards: Iterable[BoardCard], *, base: str = BASE_CURRENCY
) -> tuple[Column, ...]:
    """One column per stage in board order, empty ones included."""
    by_stage: dict[str, list[BoardCard]] = {stage.id: [] for stage in pipeline.stages}
    for card in cards:
        if card.stage_id not in by_stage:
            raise ValueError(f"stage {card.stage_id} is not in pipeline {pipeline.id}")
        by_stage[card.stage_id].append(card)
    return tuple(
        Column(stage_id, totals(stage_cards, base=base))
        for stage_id, stage_cards in by_stage.items()
    )


# --- sums over groups of deals ----------------------------------------------------------------
#
# Lists of thousands of deals are summed in groups (one stage, status and currency each, from
# the board's summaries or an aggregate); a group's amount is converted once and the column is
# rounded once, so the figures are the cards' figures without reading the cards.


@dataclass(frozen=True, slots=True)
class DealGroup:
    """Deals of one stage counted together: how many, how many have no amount in the base
    currency, the unrounded sum in the base currency of those that have, and Σ amount ×
    probability over them (percent points, unrounded). The weighted part is a sum rather than
    one probability because a summary's group mixes deals at the stage's default with
    overridden ones."""

    stage_id: str
    count: int
    unpriced: int
    amount: Decimal
    weighted: Decimal

    @classmethod
    def at(
        cls, stage_id: str, count: int, unpriced: int, amount: Decimal, probability: int
    ) -> DealGroup:
        """Deals that share one probability."""
        return cls(stage_id, count, unpriced, amount, amount * probability)


def in_base(minor: int, code: str, rates: RateTable, day: date) -> Decimal | None:
    """A sum of minor units of `code` in the base currency at the rate of `day`, unrounded;
    None when no rate is in effect."""
    amount = Decimal(minor).scaleb(-CURRENCIES[code].minor_units)
    if code == rates.base:
        return amount
    rate = rates.rate_on(code, day)
    return amount * rate.rate if rate is not None else None


def group_totals(groups: Iterable[DealGroup], *, base: str = BASE_CURRENCY) -> Totals:
    """Count, sum and probability-weighted sum of the groups, each rounded once."""
    count = unpriced = 0
    raw = weighted = Decimal(0)
    for group in groups:
        count += group.count
        unpriced += group.unpriced
        raw += group.amount
        weighted += group.weighted
    return Totals(count, money(raw, base), money(weighted / 100, base), unpriced)


def group_columns(
    pipeline: Pipeline, groups: Iterable[DealGroup], *, base: str = BASE_CURRENCY
) -> tuple[Column, ...]:
    """One column per stage in board order, empty ones included; groups of a stage the
    pipeline no longer has (closed deals of a removed stage) are left out."""
    by_stage: dict[str, list[DealGroup]] = {stage.id: [] for stage in pipeline.stages}
    for group in groups:
        if group.stage_id in by_stage:
            by_stage[group.stage_id].append(group)
    return tuple(
        Column(stage_id, group_totals(found, base=base)) for stage_id, found in by_stage.items()
    )
