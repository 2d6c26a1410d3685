"""The stall watch's rules: which stages are watched, the window a pass reads, what a stay is
and when its stall still holds, and the `opportunity.stalled.v1` payload."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from crm_sales import settings
from crm_sales.events import opportunity_stalled, snapshots
from crm_sales.opportunities.values import Status
from crm_sales.settings import ConfigError
from crm_sales.stalls.model import (
    OVERLAP,
    Stay,
    Window,
    stall_of,
    still_stalled,
    watched,
    window,
)
from tests.unit.sales.samples import NOW, opportunity, pipeline

DAY = timedelta(days=1)


def test_the_open_stages_with_a_threshold_are_watched() -> None:
    found = [(w.key, w.stage.stall_days) for w in watched([pipeline()])]
    assert found == [("pl-standard:lead", 14), ("pl-standard:proposal", 10)]


def test_the_first_pass_reads_every_stalled_stay_and_later_ones_only_what_is_new() -> None:
    lead = next(iter(watched([pipeline()])))
    assert window(lead, None, NOW) == Window(None, NOW - 14 * DAY)
    covered = NOW - 14 * DAY
    later = NOW + timedelta(minutes=5)
    assert window(lead, covered, later) == Window(covered - OVERLAP, later - 14 * DAY)
    assert window(lead, covered, NOW) is None  # nothing can have stalled since


def test_a_raised_threshold_reads_nothing_until_it_passes_what_was_covered() -> None:
    lead = next(iter(watched([pipeline()])))
    covered = NOW - 7 * DAY  # covered while the threshold was 7 days
    assert window(lead, covered, NOW) is None
    assert window(lead, covered, NOW + 8 * DAY) == Window(covered - OVERLAP, NOW - 6 * DAY)


def test_each_stay_has_a_key_of_its_own() -> None:
    first = Stay("opp-1", "lead", NOW)
    assert first.key == "opp-1:lead:2026-03-02T09:00:00.000Z"
    assert Stay("opp-1", "lead", NOW).key == first.key
    assert Stay("opp-1", "lead", NOW + DAY).key != first.key  # back in the stage: another stay
    assert Stay("opp-1", "qualified", NOW).key != first.key


def test_a_stall_holds_only_while_the_deal_is_open_and_in_the_same_stay() -> None:
    deal = opportunity()  # in lead since NOW
    lead = pipeline().stage("lead")
    stay = Stay(deal.id, "lead", NOW)
    assert still_stalled(deal, stay, lead, NOW + 14 * DAY)
    assert not still_stalled(deal, stay, lead, NOW + 14 * DAY - timedelta(seconds=1))
    moved = replace(deal, stage_id="qualified", stage_entered_at=NOW + DAY)
    assert not still_stalled(moved, stay, lead, NOW + 30 * DAY)
    again = replace(deal, stage_entered_at=NOW + 2 * DAY)  # moved away and back
    assert not still_stalled(again, stay, lead, NOW + 30 * DAY)
    lost = replace(deal, status=Status.LOST)
    assert not still_stalled(lost, stay, lead, NOW + 30 * DAY)


def test_the_event_names_the_stage_the_stay_and_when_it_stalled() -> None:
    deal = opportunity()
    lead = next(iter(watched([pipeline()])))
    stall = stall_of(Stay(deal.id, "lead", NOW), lead, NOW + 15 * DAY)
    snapshot = snapshots.opportunity(deal, 10, None)
    data = opportunity_stalled.payload(snapshot, stall)
    assert opportunity_stalled.TYPE == "opportunity.stalled.v1"
    assert data == {
        "opportunity": snapshot,
        "customerId": "cust-1",
        "stage": {"id": "lead", "nameZh": "线索", "nameEn": "Lead", "stallDays": 14},
        "stageEnteredAt": "2026-03-02T09:00:00.000Z",
        "stalledAt": "2026-03-16T09:00:00.000Z",
        "detectedAt": "2026-03-17T09:00:00.000Z",
    }
    assert data["opportunity"]["ownerId"] == "staff-alice"


def test_the_check_interval_is_a_setting() -> None:
    assert settings.from_env({}).stall_check_seconds == 300
    assert settings.from_env({"SALES_STALL_CHECK_SECONDS": "60"}).stall_check_seconds == 60
    for bad in ("soon", "0", "nan", "100000"):
        with pytest.raises(ConfigError):
            settings.from_env({"SALES_STALL_CHECK_SECONDS": bad})
