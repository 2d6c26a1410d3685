"""Sales targets, pure and with the use case over in-memory adapters: period arithmetic (a
fiscal year starting in April, local midnight in the organisation's zone), the settings,
roll-up, attainment figures, pace, the leaderboard order, who may set and read, and the
refusal of a second target for the same subject and period."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

import pytest

from crm_kit.auth import Principal, Role
from crm_kit.errors import Conflict, Forbidden
from crm_kit.policy import Scope
from crm_kit.uow import Transaction
from crm_sales import settings
from crm_sales.money.model import Money, money
from crm_sales.settings import ConfigError, SalesSettings
from crm_sales.shared.writes import Writes
from crm_sales.targets import model
from crm_sales.targets.model import (
    Attainment,
    Goal,
    PaceStatus,
    PeriodInput,
    StaffRecord,
    Standing,
    Subject,
    SubjectInput,
    SubjectKind,
    Tally,
    Target,
    TargetError,
    TargetSource,
)
from crm_sales.targets.periods import Period, PeriodError, PeriodKind, SalesCalendar
from crm_sales.targets.service import TargetChange, TargetService

CALENDAR = SalesCalendar()  # January, Asia/Shanghai
APRIL = SalesCalendar(fiscal_year_start_month=4)
MAY_1 = datetime(2026, 5, 1, tzinfo=UTC)


def cny(amount: str) -> Money:
    return money(Decimal(amount), "CNY")


def principal(sub: str, *roles: Role, team: str = "east") -> Principal:
    return Principal(sub, sub, frozenset(roles), team)


# --- periods ---------------------------------------------------------------------------------


def test_a_fiscal_year_starting_in_april_is_named_by_the_year_it_starts_in() -> None:
    year = APRIL.period(PeriodKind.YEAR, 2026, None, "period")
    assert (year.label, year.first_day, year.end_day) == (
        "FY2026",
        date(2026, 4, 1),
        date(2027, 4, 1),
    )
    quarters = [APRIL.period(PeriodKind.QUARTER, 2026, q, "period") for q in (1, 2, 3, 4)]
    assert [(q.label, q.first_day, q.end_day) for q in quarters] == [
        ("FY2026-Q1", date(2026, 4, 1), date(2026, 7, 1)),
        ("FY2026-Q2", date(2026, 7, 1), date(2026, 10, 1)),
        ("FY2026-Q3", date(2026, 10, 1), date(2027, 1, 1)),
        ("FY2026-Q4", date(2027, 1, 1), date(2027, 4, 1)),
    ]


def test_the_period_of_an_instant_follows_the_local_day_and_the_fiscal_year() -> None:
    # 16:30 UTC on 31 March is 00:30 on 1 April in Shanghai: the new fiscal year already.
    late = datetime(2026, 3, 31, 16, 30, tzinfo=UTC)
    assert APRIL.period_at(PeriodKind.QUARTER, late).label == "FY2026-Q1"
    assert APRIL.period_at(PeriodKind.MONTH, late).label == "2026-04"
    early = datetime(2026, 3, 31, 15, 30, tzinfo=UTC)  # 23:30 on 31 March locally
    assert APRIL.period_at(PeriodKind.QUARTER, early).label == "FY2025-Q4"
    assert APRIL.period_at(PeriodKind.YEAR, early).label == "FY2025"
    assert CALENDAR.period_at(PeriodKind.QUARTER, late).label == "FY2026-Q2"
    assert CALENDAR.period_at(PeriodKind.QUARTER, early).label == "FY2026-Q1"


def test_a_period_runs_from_local_midnight_to_local_midnight() -> None:
    july = CALENDAR.period(PeriodKind.MONTH, 2026, 7, "period")
    assert july.label == "2026-07"
    assert july.starts_at == datetime(2026, 6, 30, 16, 0, tzinfo=UTC)
    assert july.ends_at == datetime(2026, 7, 31, 16, 0, tzinfo=UTC)
    december = CALENDAR.period(PeriodKind.MONTH, 2026, 12, "period")
    assert december.end_day == date(2027, 1, 1)
    berlin = SalesCalendar(time_zone="Europe/Berlin").period(PeriodKind.MONTH, 2026, 3, "p")
    # Summer time starts on 29 March: the month is an hour short of 31 days.
    assert berlin.ends_at - berlin.starts_at == timedelta(days=31, hours=-1)


def test_a_period_the_calendar_cannot_name_is_refused_field_by_field() -> None:
    with pytest.raises(PeriodError) as month:
        CALENDAR.period(PeriodKind.MONTH, 1999, 13, "period")
    assert month.value.codes == {"period.year": "OUT_OF_RANGE", "period.number": "OUT_OF_RANGE"}
    with pytest.raises(PeriodError) as quarter:
        CALENDAR.period(PeriodKind.QUARTER, 2026, None, "period")
    assert quarter.value.codes == {"period.number": "REQUIRED"}
    with pytest.raises(PeriodError) as year:
        CALENDAR.period(PeriodKind.YEAR, 2026, 1, "period")
    assert year.value.codes == {"period.number": "NOT_APPLICABLE"}
    with pytest.raises(PeriodError):
        CALENDAR.period(PeriodKind.QUARTER, 2026, 5, "period")


def test_the_fiscal_year_start_and_time_zone_are_settings() -> None:
    assert settings.from_env({}).calendar == SalesCalendar(1, "Asia/Shanghai")
    chosen = settings.from_env(
        {"SALES_FISCAL_YEAR_START_MONTH": " 4 ", "SALES_TIME_ZONE": "Europe/Berlin"}
    )
    assert chosen.calendar == SalesCalendar(4, "Europe/Berlin")
    for bad in ({"SALES_FISCAL_YEAR_START_MONTH": "13"}, {"SALES_FISCAL_YEAR_START_MONTH": "x"}):
        with pytest.raises(ConfigError):
            settings.from_env(bad)
    with pytest.raises(ConfigError):
        SalesSettings(time_zone="Mars/Olympus")


# --- input -----------------------------------------------------------------------------------


def test_a_subject_is_a_staff_id_or_a_team_and_every_problem_is_named() -> None:
    period = PeriodInput(PeriodKind.QUARTER, 2026, 3)
    subject, named = model.subject_and_period(SubjectInput(team=" east "), period, CALENDAR)
    assert (subject, named.label) == (Subject(SubjectKind.TEAM, "east"), "FY2026-Q3")
    with pytest.raises(TargetError) as both:
        model.subject_and_period(
            SubjectInput("li.lei", "east"), PeriodInput(PeriodKind.YEAR, 2026, 2), CALENDAR
        )
    assert both.value.codes == {"subject.team": "NOT_APPLICABLE", "period.number": "NOT_APPLICABLE"}
    with pytest.raises(TargetError) as neither:
        model.subject_and_period(SubjectInput(), period, CALENDAR)
    assert neither.value.codes == {"subject": "REQUIRED"}


def test_a_goal_is_a_positive_base_amount_never_a_float() -> None:
    assert model.read_goal("500000.00", 12, "CNY") == Goal(cny("500000.00"), 12)
    with pytest.raises(TargetError) as zero:
        model.read_goal("0", 0, "CNY")
    assert zero.value.codes == {"amount": "OUT_OF_RANGE", "wonDeals": "OUT_OF_RANGE"}
    with pytest.raises(TargetError) as floating:
        model.read_goal(1.5, None, "CNY")
    assert floating.value.codes == {"amount": "FLOAT_NOT_ALLOWED"}
    with pytest.raises(TargetError) as fen:
        model.read_goal("1.001", None, "CNY")
    assert fen.value.codes == {"amount": "PRECISION"}


# --- roll-up, attainment, pace, leaderboard --------------------------------------------------


def target(subject: Subject, period: Period, amount: str, deals: int | None = None) -> Target:
    return Target(f"t-{subject.id}", subject, period, Goal(cny(amount), deals), 1, MAY_1, "boss")


Q2 = CALENDAR.period(PeriodKind.QUARTER, 2026, 2, "period")  # April to June 2026
LI, HAN = Subject(SubjectKind.PERSON, "li.lei"), Subject(SubjectKind.PERSON, "han.mei")
EAST = Subject(SubjectKind.TEAM, "east")


def test_a_team_rolls_up_its_members_targets_unless_it_has_its_own() -> None:
    members = [target(LI, Q2, "300000.00", 4), target(HAN, Q2, "200000.50")]
    assert model.roll_up(None, members) == (Goal(cny("500000.50"), 4), TargetSource.ROLLED_UP)
    own = target(EAST, Q2, "800000.00")
    assert model.roll_up(own, members) == (own.goal, TargetSource.EXPLICIT)
    assert model.roll_up(None, []) == (None, TargetSource.NONE)


def figures(goal: Goal | None, tally: Tally, now: datetime) -> Attainment:
    source = TargetSource.EXPLICIT if goal else TargetSource.NONE
    return Attainment(LI, Q2, goal, source, None, tally, "CNY", now)


def test_attainment_gap_win_rate_and_cycle_from_the_deals_closed_in_the_period() -> None:
    tally = Tally(won=3, lost=1, won_minor=12_000_000, unbooked=1, cycle_ms=3 * 86_400_000 * 10)
    found = figures(Goal(cny("300000.00"), 4), tally, MAY_1)
    assert found.won == cny("120000.00")
    assert found.attainment_percent == Decimal("40.00")
    assert found.gap == cny("180000.00")
    assert (found.deals_percent, found.deals_gap) == (Decimal("75.00"), 1)
    assert found.win_rate == Decimal("75.00")
    assert found.average_cycle_days == Decimal("10.0")
    exceeded = figures(Goal(cny("100000.00")), tally, MAY_1)
    assert (exceeded.attainment_percent, exceeded.gap) == (Decimal("120.00"), cny("0.00"))
    none = figures(None, Tally(), MAY_1)
    assert (none.attainment_percent, none.gap, none.pace, none.win_rate) == (None,) * 4
    assert none.average_cycle_days is None


def test_pace_compares_the_share_won_with_the_share_of_the_period_gone_by() -> None:
    goal = Goal(cny("910000.00"))  # Q2 has 91 days: 10 000 a day
    half = Q2.starts_at + timedelta(days=45, hours=12)
    behind = figures(goal, Tally(won=1, won_minor=40_000_000), half).pace
    assert behind is not None
    assert (behind.status, behind.elapsed_percent, behind.expected) == (
        PaceStatus.BEHIND,
        Decimal("50.00"),
        cny("455000.00"),
    )
    assert behind.projected == cny("800000.00")
    ahead = figures(goal, Tally(won=1, won_minor=50_000_000), half).pace
    assert ahead is not None and ahead.status is PaceStatus.AHEAD
    met = figures(goal, Tally(won=2, won_minor=91_000_000), half).pace
    assert met is not None and met.status is PaceStatus.MET
    early = figures(goal, Tally(), Q2.starts_at - timedelta(days=3)).pace
    assert early is not None
    assert (early.status, f"{early.elapsed_percent:f}", early.projected) == (
        PaceStatus.NOT_STARTED,
        "0.00",
        None,
    )
    over = figures(goal, Tally(), Q2.ends_at + timedelta(days=3)).pace
    assert over is not None and (over.status, over.elapsed_percent) == (
        PaceStatus.BEHIND,
        Decimal("100.00"),
    )


def test_the_leaderboard_ranks_attainment_then_amount_and_shares_ranks() -> None:
    def standing(who: str, target_amount: str | None, won: str) -> Standing:
        goal = Goal(cny(target_amount)) if target_amount else None
        return Standing(who, goal, cny(won), 1)

    board = model.ranked(
        [
            standing("d.no.target", None, "900.00"),
            standing("c.half", "1000.00", "500.00"),
            standing("b.half", "1000.00", "500.00"),
            standing("a.full", "100.00", "100.00"),
            standing("e.no.target", None, "0.00"),
        ]
    )
    assert [(s.rank, s.staff_id) for s in board] == [
        (1, "a.full"),
        (2, "b.half"),
        (2, "c.half"),
        (4, "d.no.target"),
        (5, "e.no.target"),
    ]


# --- access ----------------------------------------------------------------------------------


def test_who_may_set_and_read_targets() -> None:
    east_rep = StaffRecord("li.lei", "Li", "east", frozenset({"SALES"}))
    admin, analyst = principal("root", Role.ADMIN), principal("ana", Role.ANALYST, team="hq")
    manager, west = principal("wang", Role.MANAGER), principal("zhou", Role.MANAGER, team="west")
    rep, peer = principal("li.lei", Role.SALES), principal("han.mei", Role.SALES)
    assert [model.may_set(p, "east") for p in (admin, manager, west, rep, analyst)] == [
        True,
        True,
        False,
        False,
        False,
    ]
    assert model.may_read_person(rep, Scope.OWN, east_rep)
    assert not model.may_read_person(peer, Scope.OWN, east_rep)
    assert model.may_read_person(manager, Scope.TEAM, east_rep)
    assert not model.may_read_person(west, Scope.TEAM, east_rep)
    assert model.may_read_person(analyst, Scope.ALL, east_rep)
    assert model.may_read_team(peer, Scope.OWN, "east")
    assert not model.may_read_team(west, Scope.TEAM, "east")
    assert not model.may_read_team(principal("sam", Role.SERVICE), Scope.NONE, "east")


# --- the use case: a second target for the same subject and period ---------------------------


@dataclass
class Targets:
    """The targets repository in memory (keyed like the unique index)."""

    saved: dict[tuple[str, str, str, datetime], Target] = field(default_factory=dict)

    @staticmethod
    def key(subject: Subject, period: Period) -> tuple[str, str, str, datetime]:
        return subject.kind, subject.id, period.kind, period.starts_at

    async def find(self, subject: Subject, period: Period, session: Any = None) -> Target | None:
        return self.saved.get(self.key(subject, period))

    async def add(self, target: Target, session: Any) -> None:
        self.saved[self.key(target.subject, target.period)] = target

    async def replace(self, target: Target, previous_version: int, session: Any) -> None:
        self.saved[self.key(target.subject, target.period)] = target


class Roster:
    people = {"li.lei": StaffRecord("li.lei", "Li", "east", frozenset({"SALES"}))}

    async def get(self, staff_id: str, now: datetime | None = None) -> StaffRecord | None:
        return self.people.get(staff_id)

    async def members(self, team: str, now: datetime) -> list[StaffRecord]:
        return [p for p in self.people.values() if p.team == team]


class Uow:
    async def run[T](self, work: Callable[[Transaction], Awaitable[T]]) -> T:
        return await work(Transaction(session=cast(Any, None), source="test"))


def service(repository: Targets) -> TargetService:
    writes = Writes(cast(Any, Uow()), lambda: MAY_1, cast(Any, None))
    return TargetService(
        writes, cast(Any, repository), cast(Any, Roster()), calendar=CALENDAR, base_currency="CNY"
    )


def test_a_second_target_for_the_same_subject_and_period_is_refused_naming_period() -> None:
    repository = Targets()
    targets = service(repository)
    manager = principal("wang", Role.MANAGER)
    q2 = PeriodInput(PeriodKind.QUARTER, 2026, 2)
    change = TargetChange(SubjectInput(staff_id="li.lei"), q2, "300000.00")
    first = asyncio.run(targets.set(manager, change))
    with pytest.raises(Conflict) as again:
        asyncio.run(targets.set(manager, change))
    assert again.value.extensions == {
        "code": "CONFLICT",
        "conflictingId": first.id,
        "currentVersion": 1,
        "field": "period",
    }
    # A month of that quarter is another kind of period: no overlap.
    month = TargetChange(change.subject, PeriodInput(PeriodKind.MONTH, 2026, 5), "100000.00")
    assert asyncio.run(targets.set(manager, month)).period.label == "2026-05"
    changed = asyncio.run(targets.set(manager, change, expected_version=1))
    assert (changed.id, changed.version) == (first.id, 2)
    with pytest.raises(Conflict) as stale:
        asyncio.run(targets.set(manager, change, expected_version=1))
    assert stale.value.extensions["currentVersion"] == 2


def test_unknown_people_and_teams_and_other_teams_are_refused() -> None:
    targets = service(Targets())
    q2 = PeriodInput(PeriodKind.QUARTER, 2026, 2)
    admin = principal("root", Role.ADMIN)
    with pytest.raises(TargetError) as nobody:
        asyncio.run(targets.set(admin, TargetChange(SubjectInput("ghost"), q2, "1.00")))
    assert nobody.value.codes == {"subject.staffId": "UNKNOWN_STAFF"}
    with pytest.raises(TargetError) as no_team:
        asyncio.run(targets.set(admin, TargetChange(SubjectInput(team="north"), q2, "1.00")))
    assert no_team.value.codes == {"subject.team": "UNKNOWN_TEAM"}
    west = principal("zhou", Role.MANAGER, team="west")
    with pytest.raises(Forbidden):
        asyncio.run(targets.set(west, TargetChange(SubjectInput("li.lei"), q2, "1.00")))
    rep = principal("li.lei", Role.SALES)
    with pytest.raises(Forbidden):
        asyncio.run(targets.set(rep, TargetChange(SubjectInput("li.lei"), q2, "1.00")))
