"""The waterfall of the open pipeline between two instants: why its total moved, bar by bar,
with the deals behind each bar. Pure, no I/O (the pipeline's model, split out for size).

Each total is the sum, in the base currency, of the deals a `Selection` holds at its instant,
each deal valued at the rates in effect on that instant's (UTC) date and rounded to the base
currency's minor unit. Every deal in either set moves the total by exactly its end value
minus its start value (a missing side counts 0), and that difference goes to the bars:

- only at the end: OPENED (created after the start, or reopened), PULLED_IN (its expected
  close date came into the window), ASSIGNED_IN (its owner or team came into the filter or
  the caller's reach) — the first that applies, in this order; the bar gets its end value.
- only at the start: WON, LOST (lost, or merged into another deal), PUSHED_OUT (its expected
  close date left the window: moved past its end, before its start, or cleared),
  ASSIGNED_OUT — the first that applies; the bar gets minus its start value.
- in both: AMOUNT_UP / AMOUNT_DOWN get the end amount valued at the start's rates minus the
  start value (a change of currency is a change of amount, each currency at its start rate);
  CURRENCY gets the end amount's value at the end's rates minus its value at the start's
  rates — rate changes apart from deal changes. When the end amount has no rate at one of the
  instants there is no rate change to separate: all of the difference is amount. A deal whose
  values and rate did not change is in no bar (it moves nothing).

So the bars always sum exactly to `end.amount − start.amount`, and a deal is in one bar, or —
in both sets, with its amount and its currency's rate both changed — in one amount bar and
the CURRENCY bar.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from crm_sales.money.model import Money, RateTable, money
from crm_sales.opportunities.values import Status
from crm_sales.point_in_time.model import DealState, Selection
from crm_sales.shared.clock import day_of


class BarKind(StrEnum):
    OPENED = "OPENED"
    PULLED_IN = "PULLED_IN"
    ASSIGNED_IN = "ASSIGNED_IN"
    AMOUNT_UP = "AMOUNT_UP"
    AMOUNT_DOWN = "AMOUNT_DOWN"
    CURRENCY = "CURRENCY"
    PUSHED_OUT = "PUSHED_OUT"
    ASSIGNED_OUT = "ASSIGNED_OUT"
    WON = "WON"
    LOST = "LOST"


@dataclass(frozen=True, slots=True)
class Movement:
    """One deal's part of a bar: what it adds to the total (negative: takes away)."""

    opportunity_id: str
    amount: Money


@dataclass(frozen=True, slots=True)
class Bar:
    """A bar: its signed amount and its deals, the largest part first (then by id)."""

    kind: BarKind
    amount: Money
    movements: tuple[Movement, ...]

    @property
    def count(self) -> int:
        return len(self.movements)

    def page(
        self, first: int, after: tuple[Decimal, str] | None = None
    ) -> tuple[list[Movement], bool]:
        """`first` movements after the one of size `after[0]` and id `after[1]` (a bar is
        replayed again for each request, in the same order: its keys are its positions),
        and whether more follow."""
        rest = list(self.movements)
        if after is not None:
            size, last = after
            rest = [m for m in rest if (-abs(m.amount.amount), m.opportunity_id) > (-size, last)]
        return rest[:first], len(rest) > first


@dataclass(frozen=True, slots=True)
class Total:
    """The open deals a selection holds at an instant: how many, their sum in the base
    currency, and how many of them are counted but not summed (no amount, or no rate)."""

    count: int
    amount: Money
    unpriced: int


@dataclass(frozen=True, slots=True)
class Waterfall:
    start: Total
    end: Total
    bars: tuple[Bar, ...]  # one per BarKind, in its order, empty ones included

    @property
    def change(self) -> Money:
        return money(self.end.amount.amount - self.start.amount.amount, self.end.amount.currency)


@dataclass(frozen=True, slots=True)
class _Valuation:
    rates: RateTable
    start: date
    end: date

    def worth(self, amount: Money | None, day: date) -> Decimal | None:
        """The amount in the base currency on `day`, rounded as the deal shows it."""
        if amount is None:
            return None
        converted = self.rates.try_convert(amount, day)
        return converted.amount.amount if converted is not None else None


type Part = tuple[BarKind, Decimal]


def _leaving(end: DealState | None, selection: Selection) -> BarKind:
    if end is None or end.status in (Status.LOST, Status.MERGED):
        return BarKind.LOST  # a deal never disappears; lost stands for it if one did
    if end.status is Status.WON:
        return BarKind.WON
    return BarKind.ASSIGNED_OUT if selection.in_window(end) else BarKind.PUSHED_OUT


def _entering(start: DealState | None, selection: Selection) -> BarKind:
    if start is None or start.status is not Status.OPEN:
        return BarKind.OPENED
    return BarKind.ASSIGNED_IN if selection.in_window(start) else BarKind.PULLED_IN


def _kept(start: DealState, end: DealState, valuation: _Valuation) -> list[Part]:
    before = valuation.worth(start.amount, valuation.start) or Decimal(0)
    then = valuation.worth(end.amount, valuation.start)
    now = valuation.worth(end.amount, valuation.end)
    if then is None or now is None:
        amount, currency = (now or Decimal(0)) - before, Decimal(0)
    else:
        amount, currency = then - before, now - then
    parts: list[Part] = []
    if amount:
        parts.append((BarKind.AMOUNT_UP if amount > 0 else BarKind.AMOUNT_DOWN, amount))
    if currency:
        parts.append((BarKind.CURRENCY, currency))
    return parts


def _parts(
    start: DealState | None, end: DealState | None, selection: Selection, valuation: _Valuation
) -> list[Part]:
    was, is_ = selection.holds(start), selection.holds(end)
    if was and is_:
        assert start is not None and end is not None
        return _kept(start, end, valuation)
    if was:
        assert start is not None
        lost = valuation.worth(start.amount, valuation.start) or Decimal(0)
        return [(_leaving(end, selection), -lost)]
    if is_:
        assert end is not None
        gained = valuation.worth(end.amount, valuation.end) or Decimal(0)
        return [(_entering(start, selection), gained)]
    return []


def _total(states: Iterable[DealState], valuation: _Valuation, day: date) -> Total:
    count = unpriced = 0
    summed = Decimal(0)
    for state in states:
        count += 1
        worth = valuation.worth(state.amount, day)
        if worth is None:
            unpriced += 1
        else:
            summed += worth
    return Total(count, money(summed, valuation.rates.base), unpriced)


def _bar(kind: BarKind, movements: list[Movement], base: str) -> Bar:
    ordered = sorted(movements, key=lambda m: (-abs(m.amount.amount), m.opportunity_id))
    summed = sum((m.amount.amount for m in movements), Decimal(0))
    return Bar(kind, money(summed, base), tuple(ordered))


def waterfall(
    pairs: Iterable[tuple[DealState | None, DealState | None]],
    *,
    start: datetime,
    end: datetime,
    rates: RateTable,
    selection: Selection,
) -> Waterfall:
    """The bars between the deals' states at `start` and at `end` (each pair one deal; None:
    it did not exist then)."""
    valuation = _Valuation(rates, day_of(start), day_of(end))
    found: dict[BarKind, list[Movement]] = {kind: [] for kind in BarKind}
    before: list[DealState] = []
    after: list[DealState] = []
    for first, last in pairs:
        if first is not None and selection.holds(first):
            before.append(first)
        if last is not None and selection.holds(last):
            after.append(last)
        deal = last or first
        for kind, amount in _parts(first, last, selection, valuation):
            assert deal is not None
            found[kind].append(Movement(deal.id, money(amount, rates.base)))
    return Waterfall(
        start=_total(before, valuation, valuation.start),
        end=_total(after, valuation, valuation.end),
        bars=tuple(_bar(kind, found[kind], rates.base) for kind in BarKind),
    )
