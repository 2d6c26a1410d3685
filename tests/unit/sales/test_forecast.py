"""Sales forecasts, pure: cumulative categories and the weighted pipeline, who may submit or
adjust (and the typed refusal of someone who does not manage the person), the standing
forecast, bias and absolute percentage error with known numbers (actual 0 included),
calibration bands, the periods submissions and accuracy are for, and the open groups the read
side builds from the board's groups."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from crm_kit.auth import Principal, Role
from crm_kit.errors import Forbidden
from crm_sales.forecast import model
from crm_sales.forecast.model import (
    Accuracy,
    ClosedAt,
    ForecastError,
    OpenGroup,
    Submission,
    SubmissionKind,
)
from crm_sales.forecast.queries import open_group
from crm_sales.money.model import ExchangeRate, Money, RateTable, money
from crm_sales.opportunities.queries import Group
from crm_sales.opportunities.values import Status
from crm_sales.pipelines.model import ForecastCategory, PipelineDraft, StageDraft, StageKind, define
from crm_sales.targets.model import Subject, SubjectKind
from crm_sales.targets.periods import Period, PeriodKind, SalesCalendar

CALENDAR = SalesCalendar()  # January, Asia/Shanghai
Q2 = Period(PeriodKind.QUARTER, 2026, 2, CALENDAR)  # 2026-03-31T16:00Z … 2026-06-30T16:00Z
LI = Subject(SubjectKind.PERSON, "li.lei")
EAST = Subject(SubjectKind.TEAM, "east")


def cny(amount: str) -> Money:
    return money(Decimal(amount), "CNY")


def principal(sub: str, *roles: Role, team: str = "east") -> Principal:
    return Principal(sub, sub, frozenset(roles), team)


def group(category: ForecastCategory, amount: str, probability: int, count: int = 1) -> OpenGroup:
    value = Decimal(amount)
    return OpenGroup(category, count, 0, value, value * probability)


def test_categories_are_cumulative_and_the_pipeline_is_weighted_by_probability() -> None:
    found = model.figures(
        cny("500.00"),
        2,
        [
            group(ForecastCategory.COMMIT, "1000.00", 90),
            group(ForecastCategory.BEST_CASE, "2000.00", 60),
            group(ForecastCategory.PIPELINE, "3000.00", 10, count=2),
            group(ForecastCategory.OMITTED, "9999.00", 50),  # left out of every figure
            OpenGroup(ForecastCategory.PIPELINE, 1, 1, Decimal(0), Decimal(0)),  # no amount
        ],
    )
    assert (found.closed_won, found.won_deals) == (cny("500.00"), 2)
    assert found.commit == cny("1000.00")
    assert found.best_case == cny("3000.00")  # commit + best case
    assert found.pipeline == cny("6000.00")  # every open deal but the omitted
    # 1000 × 0.9 + 2000 × 0.6 + 3000 × 0.1 = 900 + 1200 + 300
    assert found.weighted_pipeline == cny("2400.00")
    assert (found.open_deals, found.unpriced) == (5, 1)


def test_the_weighted_pipeline_is_rounded_once_not_per_deal() -> None:
    thirds = [group(ForecastCategory.PIPELINE, "0.01", 50) for _ in range(3)]
    assert model.figures(cny("0"), 0, thirds).weighted_pipeline == cny("0.02")  # 0.015 → 0.02


def test_open_groups_take_their_stage_category_probability_and_todays_rate() -> None:
    pipeline = define(
        PipelineDraft(
            "流程",
            "Flow",
            (
                StageDraft("lead", "线索", "Lead", StageKind.OPEN, 20),
                StageDraft(
                    "nego", "谈判", "Negotiation", StageKind.OPEN, 80, ForecastCategory.COMMIT
                ),
                StageDraft("won", "赢单", "Won", StageKind.WON, 100),
                StageDraft("lost", "输单", "Lost", StageKind.LOST, 0),
            ),
        ),
        id="p1",
    )
    rates = RateTable([ExchangeRate("USD", Decimal("7.10"), date(2026, 1, 1))], base="CNY")
    usd = Group("", "p1", "nego", "USD", None, Status.OPEN, 2, 2, 100_000, 0, 0)  # 1000.00 USD
    found = open_group(usd, pipeline, rates, date(2026, 5, 1))
    assert found.category is ForecastCategory.COMMIT  # the stage's own, not the default
    assert (found.amount, found.weighted) == (Decimal("7100.0000"), Decimal("568000.0000"))
    overridden = Group("", "p1", "lead", "CNY", 50, Status.OPEN, 1, 1, 20_000, 0, 0)
    lead = open_group(overridden, pipeline, rates, date(2026, 5, 1))
    assert lead.category is ForecastCategory.PIPELINE
    assert lead.weighted == Decimal("200.00") * 50  # the override, not the stage's 20


def test_a_person_submits_their_own_number_and_a_manager_adjusts_their_teams() -> None:
    rep, manager = principal("li.lei", Role.SALES), principal("wang.fang", Role.MANAGER)
    assert model.submission_kind(rep, LI, "east") is SubmissionKind.SUBMITTED
    assert model.submission_kind(manager, LI, "east") is SubmissionKind.ADJUSTED
    assert model.submission_kind(manager, EAST, "east") is SubmissionKind.ADJUSTED
    admin = principal("alice", Role.ADMIN, team="hq")
    assert model.submission_kind(admin, EAST, "east") is SubmissionKind.ADJUSTED


@pytest.mark.parametrize(
    ("caller", "subject", "field"),
    [
        (principal("zhou.jie", Role.MANAGER, team="west"), LI, "subject.staffId"),
        (principal("zhou.jie", Role.MANAGER, team="west"), EAST, "subject.team"),
        (principal("han.mei", Role.SALES), LI, "subject.staffId"),  # a colleague
        (principal("han.mei", Role.SALES), EAST, "subject.team"),
        (principal("zhao.min", Role.ANALYST, team="east"), LI, "subject.staffId"),
    ],
)
def test_an_adjustment_by_someone_who_does_not_manage_the_subject_is_forbidden(
    caller: Principal, subject: Subject, field: str
) -> None:
    with pytest.raises(Forbidden) as refused:
        model.submission_kind(caller, subject, "east")
    assert refused.value.extensions["field"] == field
    assert refused.value.message_key == "FORECAST_NOT_MANAGER"


def test_an_adjustment_needs_a_note_and_amounts_follow_the_money_rules() -> None:
    model.require_note(SubmissionKind.SUBMITTED, None)
    with pytest.raises(ForecastError) as missing:
        model.require_note(SubmissionKind.ADJUSTED, None)
    assert missing.value.field_errors[0].field == "note"
    assert model.read_submission("0", " 保守 ", "CNY") == (cny("0.00"), "保守")
    with pytest.raises(ForecastError) as bad:
        model.read_submission(12.5, "x" * 1001, "CNY")
    assert {(e.field, e.code) for e in bad.value.field_errors} == {
        ("amount", "FLOAT_NOT_ALLOWED"),
        ("note", "TOO_LONG"),
    }


def test_submissions_are_for_open_periods_and_accuracy_for_closed_ones() -> None:
    model.require_open(Q2, Q2.ends_at - timedelta(microseconds=1))
    with pytest.raises(ForecastError) as late:
        model.require_open(Q2, Q2.ends_at)
    assert late.value.field_errors[0].code == "PERIOD_CLOSED"
    with pytest.raises(ForecastError) as early:
        model.require_closed(Q2, Q2.ends_at - timedelta(microseconds=1))
    assert (early.value.field_errors[0].field, early.value.field_errors[0].code) == (
        "period",
        "PERIOD_NOT_CLOSED",
    )
    model.require_closed(Q2, Q2.ends_at)


def submission(subject: Subject, amount: str, at: datetime, id: str = "s") -> Submission:
    return Submission(id, subject, Q2, cny(amount), None, SubmissionKind.SUBMITTED, "x", at)


def test_the_forecast_measured_is_the_latest_one_made_before_the_period_started() -> None:
    start = Q2.starts_at
    early = submission(LI, "100.00", start - timedelta(days=10), "a")
    last = submission(LI, "120.00", start - timedelta(seconds=1), "b")
    during = submission(LI, "999.00", start + timedelta(days=1), "c")
    assert model.standing_at([during, early, last], start) == last
    assert model.standing_at([during], start) is None
    assert model.latest([early, during, last]) == [during, last, early]


def test_bias_and_absolute_percentage_error_with_known_numbers() -> None:
    at = Q2.starts_at - timedelta(days=1)
    lines = model.accuracy(
        [EAST, LI, Subject(SubjectKind.PERSON, "han.mei"), Subject(SubjectKind.PERSON, "nobody")],
        [
            submission(EAST, "250000.00", at),
            submission(LI, "100000.00", at),
            submission(Subject(SubjectKind.PERSON, "han.mei"), "30000.00", at),
        ],
        {EAST: cny("200000.00"), LI: cny("80000.00")},
        Q2,
        "CNY",
    )
    east, li, han, nobody = lines
    assert (east.error, east.bias_percent, east.absolute_percentage_error) == (
        cny("50000.00"),
        Decimal("25.00"),
        Decimal("25.00"),
    )
    # (100000 − 80000) / 80000 = 25 %; an under-forecast is a negative bias, a positive error
    assert li.bias_percent == Decimal("25.00")
    under = Accuracy(LI, submission(LI, "60000.00", at), cny("80000.00"))
    assert (under.bias_percent, under.absolute_percentage_error) == (
        Decimal("-25.00"),
        Decimal("25.00"),
    )
    # nothing won: the error in money only
    assert (han.actual, han.error, han.bias_percent, han.absolute_percentage_error) == (
        cny("0.00"),
        cny("30000.00"),
        None,
        None,
    )
    assert (nobody.forecast, nobody.error, nobody.bias_percent) == (None, None, None)


def test_calibration_puts_each_closing_probability_in_its_band() -> None:
    bands = model.calibration(
        [
            ClosedAt(0, 4, 0),
            ClosedAt(10, 2, 1),
            ClosedAt(19, 2, 0),
            ClosedAt(60, 3, 2),
            ClosedAt(90, 1, 1),
            ClosedAt(100, 1, 1),  # the last band holds 100
        ]
    )
    assert [(b.low, b.high) for b in bands][:2] == [(0, 10), (10, 20)]
    assert len(bands) == 10 and (bands[-1].low, bands[-1].high) == (90, 100)
    assert (bands[0].deals, bands[0].won_percent, bands[0].mean_probability) == (
        4,
        Decimal("0.00"),
        Decimal("0.00"),
    )
    # 10, 10, 19, 19: mean 14.5; 1 of 4 won
    assert (bands[1].won_percent, bands[1].mean_probability) == (Decimal("25.00"), Decimal("14.50"))
    assert (bands[6].won_percent, bands[6].mean_probability) == (Decimal("66.67"), Decimal("60.00"))
    assert (bands[9].deals, bands[9].won_percent, bands[9].mean_probability) == (
        2,
        Decimal("100.00"),
        Decimal("95.00"),
    )
    assert (bands[3].deals, bands[3].won_percent, bands[3].mean_probability) == (0, None, None)


def test_a_calibration_range_is_local_days_and_bounded() -> None:
    starts, ends = model.calibration_range(date(2026, 4, 1), date(2026, 6, 30), CALENDAR)
    assert (starts, ends) == (Q2.starts_at, Q2.ends_at)
    assert starts == datetime(2026, 3, 31, 16, tzinfo=UTC)
    for first, last in ((date(2026, 5, 2), date(2026, 5, 1)), (date(2020, 1, 1), date(2026, 1, 1))):
        with pytest.raises(ForecastError) as refused:
            model.calibration_range(first, last, CALENDAR)
        assert refused.value.field_errors[0].field == "filter.to"
