"""Stage history: time in each stage, the current stage's age, stalling, tracked changes."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from crm_sales.history.model import (
    MoveKind,
    StageChange,
    Tracked,
    TrackedField,
    field_changes,
    is_stalled,
    stage_age,
    stalls_at,
    time_in_stages,
)
from crm_sales.money.model import Money
from tests.unit.sales.samples import NOW, pipeline

DAY = timedelta(days=1)


def _entry(to: str, at_day: int, source: str | None = None) -> StageChange:
    return StageChange("o", "p", 1, MoveKind.MOVED, source, to, NOW + at_day * DAY, "a")


def test_time_in_each_stage_adds_every_stay() -> None:
    entries = [
        _entry("qualified", 2, "lead"),
        _entry("lead", 0),  # out of order on purpose: sorted by time
        _entry("proposal", 5, "qualified"),
        _entry("qualified", 6, "proposal"),
    ]
    spent = time_in_stages(entries, until=NOW + 10 * DAY)
    assert spent == {"lead": 2 * DAY, "qualified": 3 * DAY + 4 * DAY, "proposal": DAY}
    assert time_in_stages([], until=NOW) == {}


def test_stage_age_and_stalling_against_the_threshold() -> None:
    lead = pipeline().stage("lead")  # stalls after 14 days
    assert stage_age(NOW, NOW + 3 * DAY) == 3 * DAY
    assert stage_age(NOW, NOW - DAY) == timedelta(0)  # clock skew never gives a negative age
    assert stalls_at(lead, NOW) == NOW + 14 * DAY
    assert not is_stalled(lead, NOW, NOW + 14 * DAY - timedelta(seconds=1))
    assert is_stalled(lead, NOW, NOW + 14 * DAY)
    qualified = pipeline().stage("qualified")  # no threshold
    assert stalls_at(qualified, NOW) is None and not is_stalled(qualified, NOW, NOW + 999 * DAY)
    won = pipeline().stage("won")
    assert not is_stalled(won, NOW, NOW + 999 * DAY)


def test_only_changed_tracked_fields_are_recorded() -> None:
    before = Tracked(Money(Decimal("10.00"), "CNY"), 10, None)
    after = Tracked(Money(Decimal("10.00"), "USD"), 10, date(2026, 6, 1))
    changes = field_changes("o", before, after, at=NOW, actor_id="a")
    assert [(c.field, c.old, c.new) for c in changes] == [
        (TrackedField.AMOUNT, "10.00 CNY", "10.00 USD"),
        (TrackedField.EXPECTED_CLOSE_DATE, None, "2026-06-01"),
    ]
    assert field_changes("o", before, before, at=NOW, actor_id="a") == ()
