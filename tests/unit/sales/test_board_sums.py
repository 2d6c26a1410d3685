"""Sums over groups of deals: what the board and a customer's open pipeline show without
reading the cards, and the board's summaries' share of each write."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from crm_sales.kanban.model import DealGroup, group_columns, group_totals, in_base
from crm_sales.kanban.queries import summary_group
from crm_sales.kanban.summaries import Summary, changes, share
from crm_sales.money.model import ExchangeRate, RateTable
from crm_sales.opportunities.values import Status
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
        DealGroup.at("lead", 3, 0, Decimal("0.005"), 10),
        DealGroup.at("lead", 2, 1, Decimal("0.005"), 10),
    ]
    totals = group_totals(groups, base="CNY")
    assert (totals.count, totals.unpriced) == (5, 1)
    assert (totals.amount.text, totals.weighted.text) == ("0.01", "0.00")


def test_columns_follow_the_board_and_skip_removed_stages() -> None:
    groups = [
        DealGroup.at("proposal", 1, 0, Decimal("100"), 50),
        DealGroup.at("gone", 4, 0, Decimal("1000"), 0),
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


def _doc(**fields: object) -> dict[str, object]:
    """An opportunity document as far as the board's summaries read it."""
    base: dict[str, object] = {
        "pipelineId": "p",
        "stageId": "lead",
        "status": "OPEN",
        "currency": "USD",
        "ownerId": "li",
        "team": "east",
        "amount": "10.00",
        "amountMinor": 1000,
        "bookedMinor": None,
        "probabilityOverride": None,
    }
    return base | fields


def test_a_write_moves_its_figures_from_one_summary_to_the_other() -> None:
    before = _doc()
    after = _doc(stageId="proposal", probabilityOverride={"value": 30})
    moved = changes(before, after)
    assert moved[share(before)[0]] == {
        "count": -1,
        "priced": -1,
        "minor": -1000,
        "defaultMinor": -1000,
        "overrideWeight": 0,
        "booked": 0,
        "bookedMinor": 0,
    }
    assert moved[share(after)[0]]["overrideWeight"] == 30_000
    assert changes(before, _doc(name="renamed")) == {}  # nothing the summaries hold
    closed = share(_doc(status="WON", bookedMinor=7100, probabilityOverride={"value": 30}))[1]
    assert (closed["defaultMinor"], closed["overrideWeight"], closed["bookedMinor"]) == (0, 0, 7100)


def test_a_summary_weights_defaults_by_the_stage_as_it_is_now() -> None:
    summary = Summary("proposal", Status.OPEN, "USD", 3, 2, 3000, 1000, 2000 * 30, 0, 0)
    group = summary_group(summary, pipeline(), RATES, date(2026, 2, 1))
    assert (group.count, group.unpriced, group.amount) == (3, 1, Decimal("213.000"))
    assert group.weighted == Decimal("71.000") * 50 + Decimal("142.000") * 30
    unrated = summary_group(summary, pipeline(), RATES, date(2025, 12, 1))
    assert (unrated.unpriced, unrated.amount, unrated.weighted) == (3, 0, 0)
    won = Summary("won", Status.WON, "USD", 2, 2, 3000, 0, 0, 1, 50000)
    assert summary_group(won, pipeline(), RATES, date(2026, 2, 1)) == DealGroup.at(
        "won", 2, 1, Decimal("500.00"), 100
    )
