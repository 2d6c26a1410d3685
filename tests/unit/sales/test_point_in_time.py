"""The pipeline at a past instant and the waterfall between two instants, replayed from the
recorded history: a deal's state between its changes, the open pipeline per stage, the bars
of a waterfall (hand-computed), and over random histories that the replay gives back every
state captured live and that the bars always sum to the difference of the totals."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from crm_sales.assignment.model import reassign
from crm_sales.money.model import ExchangeRate, Money, RateTable
from crm_sales.opportunities import model as deals
from crm_sales.opportunities.values import Changes, Status
from crm_sales.pipelines.model import PipelineDraft, StageKind, revise
from crm_sales.point_in_time.model import (
    DealState,
    DefinedVersion,
    PipelineAt,
    PointInTimeError,
    Selection,
    check_instant,
    check_span,
    pipeline_at,
    pipeline_view,
    state_at,
)
from crm_sales.point_in_time.waterfall import BarKind, Waterfall, waterfall
from tests.unit.sales.point_in_time_support import RATES, Journal, simulate
from tests.unit.sales.samples import ALICE, NOW, opened, pipeline, stages

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
AT = PipelineAt(pipeline(), {s.id: s.kind for s in pipeline().stages})


def cny(text: str) -> Money:
    return Money(Decimal(text), "CNY")


def usd(text: str) -> Money:
    return Money(Decimal(text), "USD")


def test_a_deal_between_its_changes_is_what_it_was() -> None:
    """Opened in lead (1000, close 2026-06-30), then: amount 1200 and probability 30; moved
    to qualified (the override goes: 25); handed to bob in west; lost."""
    p, journal = pipeline(), Journal()
    first = opened(Changes(amount="1000.00", expected_close_date="2026-06-30"))
    journal.record(first.opportunity, first.stage_change)
    done = deals.update(
        first.opportunity,
        Changes(amount="1200.00", probability=30),
        pipeline=p,
        actor=ALICE,
        now=NOW + DAY,
    )
    journal.record(done.opportunity, None, done.field_changes)
    moved = deals.move(
        done.opportunity, "qualified", pipeline=p, changes=Changes(), actor=ALICE, now=NOW + 2 * DAY
    )
    journal.record(moved.opportunity, moved.stage_change, moved.field_changes)
    handed = reassign(
        moved.opportunity, owner_id="bob", team="west", actor=ALICE, now=NOW + 3 * DAY
    )
    journal.record(handed.opportunity, None, handed.field_changes)
    lost = deals.move(
        handed.opportunity,
        "lost",
        pipeline=p,
        changes=Changes(reason="PRICE", note="too dear"),
        actor=ALICE,
        now=NOW + 4 * DAY,
    )
    journal.record(lost.opportunity, lost.stage_change, lost.field_changes)
    now, later = lost.opportunity, journal.later("opp-1")

    def at(instant: datetime) -> DealState | None:
        return state_at(now, later, at=instant, pipeline=AT)

    base = DealState(
        "opp-1", "lead", Status.OPEN, ALICE, "east", cny("1000.00"), 10, date(2026, 6, 30)
    )
    assert at(NOW - HOUR) is None  # not created yet
    assert at(NOW) == at(NOW + HOUR) == base  # a change at the instant is part of it
    assert at(NOW + DAY + HOUR) == replace(base, amount=cny("1200.00"), probability=30)
    qualified = replace(base, stage_id="qualified", amount=cny("1200.00"), probability=25)
    assert at(NOW + 2 * DAY) == qualified
    assert at(NOW + 3 * DAY + HOUR) == replace(qualified, owner_id="bob", team="west")
    assert at(NOW + 5 * DAY) == replace(
        qualified, stage_id="lost", status=Status.LOST, owner_id="bob", team="west", probability=0
    )


def test_a_reopened_deal_was_closed_until_its_reopening() -> None:
    p, journal = pipeline(), Journal()
    first = opened(Changes(amount="10.00"), stage_id="qualified")
    journal.record(first.opportunity, first.stage_change)
    won = deals.move(
        first.opportunity,
        "won",
        pipeline=p,
        changes=Changes(
            reason="PRICE", expected_close_date="2026-04-01", contacts=(("L", "DECISION_MAKER"),)
        ),
        actor=ALICE,
        now=NOW + DAY,
    )
    journal.record(won.opportunity, won.stage_change, won.field_changes)
    back = deals.reopen(
        won.opportunity,
        "lead",
        pipeline=p,
        reason="x",
        changes=Changes(),
        actor=ALICE,
        now=NOW + 2 * DAY,
    )
    journal.record(back.opportunity, back.stage_change, back.field_changes)
    then = state_at(back.opportunity, journal.later("opp-1"), at=NOW + DAY + HOUR, pipeline=AT)
    assert then is not None
    assert (then.stage_id, then.status, then.probability) == ("won", Status.WON, 100)
    before = state_at(back.opportunity, journal.later("opp-1"), at=NOW + HOUR, pipeline=AT)
    assert before is not None and (before.stage_id, before.probability) == ("qualified", 25)
    assert before.expected_close_date is None


def test_the_version_in_effect_at_an_instant_and_every_stage_kind() -> None:
    first = pipeline()
    second = revise(first, _draft_without_negotiation())
    versions = [DefinedVersion(second, NOW + DAY), DefinedVersion(first, NOW)]
    assert pipeline_at(versions, NOW - DAY).pipeline.version == 1  # before any: the first
    assert pipeline_at(versions, NOW + HOUR).pipeline.version == 1
    at_second = pipeline_at(versions, NOW + DAY)
    assert at_second.pipeline.version == 2
    assert at_second.kinds["negotiation"] is StageKind.OPEN  # removed since, still known


def _draft_without_negotiation() -> PipelineDraft:
    kept = tuple(s for s in stages() if s.id != "negotiation")
    return PipelineDraft("标准销售流程", "Standard", kept)


def _state(
    id: str, stage: str, amount: Money | None, probability: int, **more: object
) -> DealState:
    values: dict[str, object] = {
        "id": id,
        "stage_id": stage,
        "status": Status.OPEN,
        "owner_id": "li",
        "team": "east",
        "amount": amount,
        "probability": probability,
        "expected_close_date": date(2026, 4, 10),
    }
    return DealState(**(values | more))  # type: ignore[arg-type]


def test_the_open_pipeline_per_stage_is_counted_and_summed_as_the_board() -> None:
    rates = RateTable([ExchangeRate("USD", Decimal("7.1"), date(2026, 3, 1))])
    states = [
        _state("a", "lead", cny("1000.00"), 10),
        _state("b", "lead", usd("100.00"), 50),  # 710.00
        _state("c", "lead", None, 10),  # counted, not summed
        *(_state(f"q{i}", "qualified", cny("0.01"), 50) for i in range(3)),
        _state("e", "proposal", Money(Decimal("5.00"), "EUR"), 50),  # no EUR rate
        _state("w", "won", cny("9.00"), 100, status=Status.WON),  # closed: not open pipeline
        _state("m", "proposal", cny("9.00"), 0, status=Status.MERGED),
        _state("x", "removed", cny("9.00"), 50),  # a stage the version lacks: left out
        _state("o", "lead", cny("9.00"), 50, owner_id="han", team="west"),  # out of reach
        None,  # not created yet
    ]
    reach = Selection(reach=lambda owner, team: owner == "li")
    view = pipeline_view(states, at=NOW, pipeline=pipeline(), rates=rates, selection=reach)
    columns = {c.stage.id: c.totals for c in view.columns}
    assert list(columns) == ["lead", "qualified", "proposal", "negotiation"]
    lead = columns["lead"]
    assert (lead.count, lead.unpriced, lead.amount.text, lead.weighted.text) == (
        3,
        1,
        "1710.00",
        "455.00",  # 1000 × 10 % + 710 × 50 %
    )
    qualified = columns["qualified"]  # 3 × 0.005 rounded once: 0.015 → 0.02 (half-even)
    assert (qualified.count, qualified.amount.text, qualified.weighted.text) == (3, "0.03", "0.02")
    assert (columns["proposal"].count, columns["proposal"].unpriced) == (1, 1)
    assert columns["negotiation"].count == 0
    totals = view.totals
    assert (totals.count, totals.unpriced, totals.amount.text) == (7, 2, "1710.03")
    assert totals.weighted.text == "455.02"  # 455.015 rounded once, half-even
    window = Selection(close_from=date(2026, 5, 1))
    assert (
        pipeline_view(
            states, at=NOW, pipeline=pipeline(), rates=rates, selection=window
        ).totals.count
        == 0
    )


# --- the waterfall ------------------------------------------------------------------------------

T1, T2 = (
    datetime(2026, 3, 2, 9, 0, tzinfo=NOW.tzinfo),
    datetime(2026, 3, 9, 9, 0, tzinfo=NOW.tzinfo),
)
WATERFALL_RATES = RateTable(
    [
        ExchangeRate("USD", Decimal("7.00"), date(2026, 3, 1)),
        ExchangeRate("USD", Decimal("7.20"), date(2026, 3, 5)),
        ExchangeRate("EUR", Decimal("8.00"), date(2026, 3, 5)),
    ]
)
APRIL = Selection(team="east", close_from=date(2026, 4, 1), close_to=date(2026, 4, 30))


def _pairs() -> list[tuple[DealState | None, DealState | None]]:
    def s(id: str, amount: Money | None, **more: object) -> DealState:
        return _state(id, "lead", amount, 10, **more)

    eur = Money(Decimal("10.00"), "EUR")
    return [
        (s("a", cny("1000.00")), s("a", cny("1500.00"))),  # amount up 500
        (s("b", usd("100.00")), s("b", usd("100.00"))),  # currency 100 × 0.20
        (s("c", usd("100.00")), s("c", usd("150.00"))),  # up 50 × 7; currency 150 × 0.20
        (None, s("d", cny("300.00"))),  # opened
        (s("e", cny("400.00")), s("e", cny("400.00"), status=Status.WON)),
        (s("f", usd("50.00")), s("f", usd("50.00"), status=Status.LOST)),
        (s("g", cny("80.00")), s("g", cny("80.00"), expected_close_date=date(2026, 5, 5))),
        (s("h", cny("60.00"), expected_close_date=date(2026, 3, 20)), s("h", cny("60.00"))),
        (s("i", cny("90.00")), s("i", cny("90.00"), team="west")),  # assigned out
        (s("j", cny("200.00")), s("j", cny("100.00"))),  # amount down
        (s("k", cny("70.00")), s("k", cny("70.00"), status=Status.MERGED)),  # lost
        (s("l", cny("40.00"), status=Status.LOST), s("l", cny("40.00"))),  # reopened
        (s("m", cny("100.00")), s("m", usd("20.00"))),  # 140 − 100 up; 20 × 0.20 currency
        (s("n", eur), s("n", eur)),  # no EUR rate at the start: all of it is amount
        (s("o", cny("500.00")), s("o", cny("500.00"))),  # unchanged: no bar
        (s("p", cny("1.00"), team="west"), s("p", cny("2.00"), team="west")),  # never counted
        (s("q", cny("25.00"), team="west"), s("q", cny("25.00"))),  # assigned in
    ]


def _bars(found: Waterfall) -> dict[BarKind, tuple[str, int, list[str]]]:
    return {
        bar.kind: (bar.amount.text, bar.count, [m.opportunity_id for m in bar.movements])
        for bar in found.bars
    }


def test_the_waterfall_bars_hand_computed() -> None:
    found = waterfall(_pairs(), start=T1, end=T2, rates=WATERFALL_RATES, selection=APRIL)
    assert (found.start.count, found.start.amount.text, found.start.unpriced) == (12, "4190.00", 1)
    assert (found.end.count, found.end.amount.text, found.end.unpriced) == (11, "4549.00", 0)
    assert _bars(found) == {
        BarKind.OPENED: ("340.00", 2, ["d", "l"]),
        BarKind.PULLED_IN: ("60.00", 1, ["h"]),
        BarKind.ASSIGNED_IN: ("25.00", 1, ["q"]),
        BarKind.AMOUNT_UP: ("970.00", 4, ["a", "c", "n", "m"]),
        BarKind.AMOUNT_DOWN: ("-100.00", 1, ["j"]),
        BarKind.CURRENCY: ("54.00", 3, ["c", "b", "m"]),
        BarKind.PUSHED_OUT: ("-80.00", 1, ["g"]),
        BarKind.ASSIGNED_OUT: ("-90.00", 1, ["i"]),
        BarKind.WON: ("-400.00", 1, ["e"]),
        BarKind.LOST: ("-420.00", 2, ["f", "k"]),
    }
    assert found.change.text == "359.00"
    assert sum(bar.amount.amount for bar in found.bars) == Decimal("359.00")
    assert [bar.kind for bar in found.bars] == list(BarKind)


def test_a_bar_pages_its_deals_largest_first() -> None:
    found = waterfall(_pairs(), start=T1, end=T2, rates=WATERFALL_RATES, selection=APRIL)
    up = next(bar for bar in found.bars if bar.kind is BarKind.AMOUNT_UP)
    first, more = up.page(2)
    assert [m.opportunity_id for m in first] == ["a", "c"] and more
    last = first[-1]
    rest, more = up.page(5, (abs(last.amount.amount), last.opportunity_id))
    assert [m.opportunity_id for m in rest] == ["n", "m"] and not more


def test_instants_in_the_future_or_out_of_order_are_refused() -> None:
    with pytest.raises(PointInTimeError) as future:
        check_instant(NOW + HOUR, NOW, field="asOf")
    assert future.value.codes == {"asOf": "OUT_OF_RANGE"}
    check_instant(NOW, NOW, field="asOf")  # now itself is a past instant
    for start, end in ((NOW, NOW), (NOW, NOW - HOUR), (NOW - HOUR, NOW + HOUR)):
        with pytest.raises(PointInTimeError) as refused:
            check_span(start, end, NOW)
        assert refused.value.codes == {"to": "OUT_OF_RANGE"}
    check_span(NOW - HOUR, NOW, NOW)


# --- random histories ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(30))
def test_the_replay_of_a_random_history_gives_every_state_captured_live(seed: int) -> None:
    journal = simulate(seed)
    for instant, live in journal.captured:
        for deal_id, deal in journal.deals.items():
            replayed = state_at(deal, journal.later(deal_id), at=instant, pipeline=journal.at)
            assert replayed == live.get(deal_id), (instant, deal_id)


def _selection(rng: random.Random) -> Selection:
    start = NOW.date() + timedelta(days=rng.randint(0, 60))
    return Selection(
        owner_id=rng.choice((None, None, "li")),
        team=rng.choice((None, None, "east")),
        close_from=rng.choice((None, start)),
        close_to=rng.choice((None, start + timedelta(days=rng.randint(0, 60)))),
        reach=rng.choice((lambda owner, team: True, lambda owner, team: owner != "wang")),
    )


@pytest.mark.parametrize("seed", range(30))
def test_waterfall_bars_always_sum_to_the_difference_of_the_totals(seed: int) -> None:
    journal, rng = simulate(seed), random.Random(seed)
    instants = [instant for instant, _ in journal.captured]
    for start, end in rng.sample(list(itertools.combinations(instants, 2)), 15):
        selection = _selection(rng)
        pairs = [
            (
                state_at(deal, journal.later(i), at=start, pipeline=journal.at),
                state_at(deal, journal.later(i), at=end, pipeline=journal.at),
            )
            for i, deal in journal.deals.items()
        ]
        found = waterfall(pairs, start=start, end=end, rates=RATES, selection=selection)
        bars = sum((bar.amount.amount for bar in found.bars), Decimal(0))
        assert bars == found.end.amount.amount - found.start.amount.amount
        assert found.start.count == sum(selection.holds(a) for a, _ in pairs)
        assert found.end.count == sum(selection.holds(b) for _, b in pairs)
        counted = {m.opportunity_id for bar in found.bars for m in bar.movements}
        changed = {
            (a or b).id  # type: ignore[union-attr]
            for a, b in pairs
            if selection.holds(a) != selection.holds(b)
        }
        assert changed <= counted  # every deal entering or leaving is in a bar
