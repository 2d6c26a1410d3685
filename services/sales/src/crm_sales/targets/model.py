"""Sales targets and their attainment: who a target is for, what it asks, how a team's target
rolls up from its members, what was won against it, the gap and the pace. Pure, no I/O
(the periods themselves: `periods`).

- A target is for one member of the sales staff (PERSON) or one team (TEAM), for one period
  (a month, a fiscal quarter or a fiscal year), on an amount in the base currency and
  optionally on a number of won deals. One subject has at most one target per period: setting
  another for the same subject and period is refused (`TargetExists`, naming `period`); a
  month and its quarter are different periods and each may have one.
- The sales staff are the people this service knows from their tokens (its staff directory)
  holding the SALES or MANAGER role; a team is known when one of them belongs to it.
- A team's target is its own when one was set (EXPLICIT), else the sum of its members'
  targets of that period (ROLLED_UP); a deal-count goal rolls up from the members who set one.
- Attainment counts the deals won in the period (their close time in the period) at the base
  amount they were booked at; win rate is won / (won + lost) among the deals closed in it.
- Pace compares the share of the target won with the share of the period gone by: a quarter
  half over with 40 % won is BEHIND, with 60 % won AHEAD.
- Who may see and set targets: `may_read_person`, `may_read_team`, `may_set`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from crm_kit import policy
from crm_kit.auth import Principal, Role
from crm_kit.errors import Conflict, FieldError
from crm_kit.policy import Scope
from crm_sales.money.model import Money, from_minor, money, parse_amount
from crm_sales.targets.periods import Period, PeriodKind, SalesCalendar
from crm_sales.validation import SalesInputError, collect, raise_if_any, text

SELLING_ROLES = frozenset({str(Role.SALES), str(Role.MANAGER)})
ID_MAX_CHARS = 100
TEAM_MAX_CHARS = 100
MAX_WON_DEALS = 100_000
PERCENT = Decimal("0.01")  # percentages are reported to two decimals
DAYS = Decimal("0.1")  # sales cycles to a tenth of a day
MS_PER_DAY = 86_400_000


class TargetError(SalesInputError):
    """A target, subject or period the rules refuse."""


class TargetExists(Conflict):
    """The subject already has a target for that period: change that one instead."""

    def __init__(self, existing: Target) -> None:
        super().__init__(
            f"{existing.subject.kind} {existing.subject.id} already has a target for "
            f"{existing.period.label}; change it with its expectedVersion",
            conflicting_id=existing.id,
            message_key="TARGET_EXISTS",
            currentVersion=existing.version,
            field="period",
        )


class SubjectKind(StrEnum):
    PERSON = "PERSON"
    TEAM = "TEAM"


class TargetSource(StrEnum):
    EXPLICIT = "EXPLICIT"  # the subject's own target
    ROLLED_UP = "ROLLED_UP"  # a team without one: the sum of its members'
    NONE = "NONE"


class PaceStatus(StrEnum):
    NOT_STARTED = "NOT_STARTED"
    BEHIND = "BEHIND"
    AHEAD = "AHEAD"
    MET = "MET"


@dataclass(frozen=True, slots=True)
class Subject:
    kind: SubjectKind
    id: str  # a staff id or a team name


@dataclass(frozen=True, slots=True)
class StaffRecord:
    """A member of staff as this service saw them in their token."""

    id: str
    name: str
    team: str
    roles: frozenset[str]

    @property
    def sells(self) -> bool:
        return bool(self.roles & SELLING_ROLES)


@dataclass(frozen=True, slots=True)
class Goal:
    """What a target asks: an amount in the base currency and, optionally, won deals."""

    amount: Money
    won_deals: int | None = None


@dataclass(frozen=True, slots=True)
class Target:
    id: str
    subject: Subject
    period: Period
    goal: Goal
    version: int
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True, slots=True)
class SubjectInput:
    """A subject as a caller names it: a staff id or a team, one of the two."""

    staff_id: str | None = None
    team: str | None = None


@dataclass(frozen=True, slots=True)
class PeriodInput:
    kind: PeriodKind
    year: int
    number: int | None = None


def read_subject(errors: list[FieldError], given: SubjectInput, field: str) -> Subject | None:
    """The subject named (`<field>.staffId` or `<field>.team`), or None with its errors."""
    before = len(errors)
    staff_id = text(errors, f"{field}.staffId", given.staff_id, limit=ID_MAX_CHARS, required=False)
    team = text(errors, f"{field}.team", given.team, limit=TEAM_MAX_CHARS, required=False)
    if staff_id and team:
        errors.append(FieldError(f"{field}.team", "NOT_APPLICABLE", "give staffId or team"))
    elif not (staff_id or team) and len(errors) == before:
        errors.append(FieldError(field, "REQUIRED", f"{field} needs a staffId or a team"))
    if len(errors) > before:
        return None
    if staff_id:
        return Subject(SubjectKind.PERSON, staff_id)
    return Subject(SubjectKind.TEAM, team or "")


def read_period(
    errors: list[FieldError], given: PeriodInput, calendar: SalesCalendar, field: str
) -> Period | None:
    return collect(
        errors, lambda: calendar.period(given.kind, given.year, given.number, field=field)
    )


def subject_and_period(
    subject: SubjectInput, period: PeriodInput, calendar: SalesCalendar
) -> tuple[Subject, Period]:
    """Both checked, every problem reported at once (`subject…`, `period…`)."""
    errors: list[FieldError] = []
    found = read_subject(errors, subject, "subject")
    slice_ = read_period(errors, period, calendar, "period")
    raise_if_any(errors, TargetError)
    assert found is not None and slice_ is not None
    return found, slice_


def read_goal(amount: object, won_deals: int | None, base: str) -> Goal:
    """An amount above 0 in the base currency (the money rules: a decimal string, at most the
    currency's decimals) and a deal count of 1 to 100 000 when given."""
    errors: list[FieldError] = []
    value = collect(errors, lambda: parse_amount(amount, base))
    if value is not None and value.amount <= 0:
        errors.append(FieldError("amount", "OUT_OF_RANGE", "amount must be above 0"))
    if won_deals is not None and not 1 <= won_deals <= MAX_WON_DEALS:
        errors.append(
            FieldError("wonDeals", "OUT_OF_RANGE", f"wonDeals must be 1 to {MAX_WON_DEALS}")
        )
    raise_if_any(errors, TargetError, "The target is invalid")
    assert value is not None
    return Goal(value, won_deals)


def unknown_subject(subject: Subject, at: str | None = None) -> TargetError:
    """The refusal of a subject the staff directory does not know: `subject.staffId`
    UNKNOWN_STAFF, `subject.team` UNKNOWN_TEAM (or the field `at` when the caller named the
    subject elsewhere, e.g. `team`)."""
    if subject.kind is SubjectKind.PERSON:
        error = FieldError(
            at or "subject.staffId",
            "UNKNOWN_STAFF",
            f"{subject.id} is not a member of the sales staff this service knows",
        )
    else:
        error = FieldError(
            at or "subject.team",
            "UNKNOWN_TEAM",
            f"no member of the sales staff is in team {subject.id}",
        )
    return TargetError([error], error.message)


def roll_up(own: Target | None, members: Sequence[Target]) -> tuple[Goal | None, TargetSource]:
    """A team's goal: its own target, else the sum of its members' (None: neither)."""
    if own is not None:
        return own.goal, TargetSource.EXPLICIT
    if not members:
        return None, TargetSource.NONE
    amount = members[0].goal.amount
    for target in members[1:]:
        amount = amount.plus(target.goal.amount)
    counts = [t.goal.won_deals for t in members if t.goal.won_deals is not None]
    return Goal(amount, sum(counts) if counts else None), TargetSource.ROLLED_UP


@dataclass(frozen=True, slots=True)
class Tally:
    """The deals closed in a period: how many were won and lost, the won ones' booked base
    amounts (minor units), how many won ones have none (no amount, or no rate when booked)
    and their summed age at winning (milliseconds from creation)."""

    won: int = 0
    lost: int = 0
    won_minor: int = 0
    unbooked: int = 0
    cycle_ms: int = 0

    def plus(self, other: Tally) -> Tally:
        return Tally(
            self.won + other.won,
            self.lost + other.lost,
            self.won_minor + other.won_minor,
            self.unbooked + other.unbooked,
            self.cycle_ms + other.cycle_ms,
        )


def percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """`part` of `whole` in percent, two decimals (None when `whole` is 0)."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(PERCENT, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True, slots=True)
class Pace:
    elapsed_percent: Decimal  # of the period gone by
    expected: Money  # the target × that share: what being on pace means by now
    status: PaceStatus
    projected: Money | None  # the won amount at this rate by the period's end


def pace(goal: Goal, won: Money, period: Period, now: datetime) -> Pace:
    gone, total = period.elapsed(now)
    expected = goal.amount.times(Decimal(gone) / Decimal(total))
    projected = won.times(Decimal(total) / Decimal(gone)) if gone else None
    if won.amount >= goal.amount.amount:
        status = PaceStatus.MET
    elif not gone:
        status = PaceStatus.NOT_STARTED
    else:
        status = PaceStatus.AHEAD if won.amount >= expected.amount else PaceStatus.BEHIND
    elapsed = percent(gone, total)
    assert elapsed is not None  # a period is never empty
    return Pace(elapsed, expected, status, projected)


@dataclass(frozen=True, slots=True)
class Attainment:
    """A subject's figures for a period, as of `as_of`."""

    subject: Subject
    period: Period
    goal: Goal | None
    source: TargetSource
    target: Target | None  # the subject's own target, when set
    tally: Tally
    base: str
    as_of: datetime

    @property
    def won(self) -> Money:
        return from_minor(self.tally.won_minor, self.base)

    @property
    def attainment_percent(self) -> Decimal | None:
        return percent(self.won.amount, self.goal.amount.amount) if self.goal else None

    @property
    def deals_percent(self) -> Decimal | None:
        deals = self.goal.won_deals if self.goal else None
        return percent(self.tally.won, deals) if deals else None

    @property
    def gap(self) -> Money | None:
        """What is still to win (0 once met)."""
        if self.goal is None:
            return None
        return money(max(self.goal.amount.amount - self.won.amount, Decimal(0)), self.base)

    @property
    def deals_gap(self) -> int | None:
        deals = self.goal.won_deals if self.goal else None
        return max(deals - self.tally.won, 0) if deals else None

    @property
    def win_rate(self) -> Decimal | None:
        return percent(self.tally.won, self.tally.won + self.tally.lost)

    @property
    def average_cycle_days(self) -> Decimal | None:
        if not self.tally.won:
            return None
        days = Decimal(self.tally.cycle_ms) / Decimal(self.tally.won * MS_PER_DAY)
        return days.quantize(DAYS, rounding=ROUND_HALF_EVEN)

    @property
    def pace(self) -> Pace | None:
        return pace(self.goal, self.won, self.period, self.as_of) if self.goal else None


@dataclass(frozen=True, slots=True)
class Standing:
    """One member's line on a team's leaderboard."""

    staff_id: str
    goal: Goal | None
    won: Money
    won_deals: int
    rank: int = 0

    @property
    def attainment_percent(self) -> Decimal | None:
        return percent(self.won.amount, self.goal.amount.amount) if self.goal else None


def ranked(standings: Sequence[Standing]) -> list[Standing]:
    """Highest attainment first, members without a target after those with one, then by won
    amount; equal attainment and amount share a rank (1, 1, 3), ties listed by staff id."""

    def score(s: Standing) -> tuple[bool, Decimal, Decimal]:
        share = s.attainment_percent
        return share is None, -(share or Decimal(0)), -s.won.amount

    ordered = sorted(standings, key=lambda s: (score(s), s.staff_id))
    out: list[Standing] = []
    for position, standing in enumerate(ordered, start=1):
        same = out and score(out[-1]) == score(standing)
        rank = out[-1].rank if same else position
        out.append(replace(standing, rank=rank))
    return out


def may_read_person(principal: Principal, scope: Scope, person: StaffRecord) -> bool:
    """A person's targets and figures: with the caller's opportunity read scope on that
    person's deals (SALES their own, MANAGER their team's, ADMIN and ANALYST everyone's)."""
    return policy.in_scope(principal, scope, person.id, person.team)


def may_read_team(principal: Principal, scope: Scope, team: str) -> bool:
    """A team's figures and leaderboard: its own members (SALES and MANAGER) and whoever reads
    every deal (ADMIN, ANALYST)."""
    return scope is Scope.ALL or (scope is not Scope.NONE and principal.team == team)


def may_set(principal: Principal, team: str) -> bool:
    """Setting or clearing a target of a team or of one of its members: ADMIN any, MANAGER
    their own team's (their own included); nobody else."""
    if principal.has_role(Role.ADMIN):
        return True
    return principal.has_role(Role.MANAGER) and bool(team) and principal.team == team


@dataclass(frozen=True, slots=True)
class Leaderboard:
    """A team's figures for a period and its members' standings."""

    team: Attainment
    standings: list[Standing]
