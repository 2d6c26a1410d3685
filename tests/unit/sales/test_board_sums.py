"""Sums over groups of deals: what the board and a customer's open pipeline show without
reading the cards."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from crm_sales.kanban.model import DealGroup, group_columns, group_totals, in_base
from crm_sales.money.model import ExchangeRate, RateTable
from tests.unit.sales.samples import pipeline

RATES = RateTable(
    [
        ExchangeRate("USD", Decimal("7.1"), date(2026, 1, 1)),
        ExchangeRate("USD", Decimal("7.3"), date(2026, 3, 1)),
    ]
)


def test_a_sum_of_minor_units_converts_at_the_rate_of_its_day() -> None:
    assert in_base(12345, "CNY", RATES, date(2026, 2, 1)) == Decimal("123.45")
    assert in_base(1000, "USD", RATES, date(2026, 2, 1)) == Decimal("71.000")
    assert in_base(1000, "USD", RATES, date(2026, 3, 1)) == Decimal("73.000")
    assert in_base(1000, "USD", RATES, date(2025, 12, 31)) is None  # no rate yet
    assert in_base(5, "JPY", RATES, date(2026, 3, 1)) is None


def test_group_totals_round_once_for_the_whole_column() -> None:
    groups = [
        DealGroup("lead", 3, 0, Decimal("0.005"), 10),
        DealGroup("lead", 2, 1, Decimal("0.005"), 10),
    ]
    totals = group_totals(groups, base="CNY")
    assert (totals.count, totals.unpriced) == (5, 1)
    assert (totals.amount.text, totals.weighted.text) == ("0.01", "0.00")


def test_columns_follow_the_board_and_skip_removed_stages() -> None:
    groups = [
        DealGroup("proposal", 1, 0, Decimal("100"), 50),
        DealGroup("gone", 4, 0, Decimal("1000"), 0),
    ]
    columns = group_columns(pipeline(), groups, base="CNY")
    assert [c.stage_id for c in columns] == [
        "lead",
        "qualified",
        "proposal",
        "negotiation",
        "won",
        "lost",
    ]
    proposal = columns[2].totals
    assert (proposal.count, proposal.amount.text, proposal.weighted.text) == (1, "100.00", "50.00")
    assert columns[0].totals.count == 0
