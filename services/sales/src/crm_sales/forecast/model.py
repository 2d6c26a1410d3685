"""Sales forecasts: the figures of a person or a team for a period, the numbers they and their
managers submit, how accurate those numbers were once the period closed, and how well the
stages' probabilities were calibrated. Pure, no I/O (subjects and periods: `targets`).

- Figures, in the base currency: `closed won` — the deals won in the period (close time in
  it) at the base amount they were booked at; the open deals whose expected close date falls
  in the period (local days, `targets.periods`) by their stage's forecast category, at today's
  rates as the board values open deals. Categories are cumulative: `commit` is the COMMIT
  deals, `best case` COMMIT + BEST_CASE, `pipeline` every open deal of the period except
  OMITTED ones (PIPELINE + BEST_CASE + COMMIT), and `weighted pipeline` the same deals ×
  their probability in effect (override, else the stage's default), rounded once.
- Submissions are append-only: a person submits their own number (SUBMITTED); a MANAGER of
  the team adjusts a member's or the team's number and an ADMIN anyone's (ADJUSTED, with a
  note). The latest submission counts. Who may submit: `submission_kind`.
- Accuracy, once the period is over: each subject's forecast is its latest submission made
  before the period started (what was predicted, not what was watched happening); a subject
  without one has no accuracy. bias = (forecast − actual) / actual and absolute percentage
  error = |forecast − actual| / actual, in percent; with nothing won (actual 0) both are
  undefined (null) and only the error in money is reported.
- Calibration: every deal won or lost in a range is put in the band of the probability in
  effect just before it closed (0–10, 10–20, … 90–100; the last band holds 100) and each band
  compares its share won with its mean probability.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from crm_kit.auth import Principal, Role
from crm_kit.errors import FieldError, Forbidden
from crm_sales.money.model import Money, money, parse_amount
from crm_sales.pipelines.model import ForecastCategory
from crm_sales.targets.model import Subject, SubjectKind, may_set
from crm_sales.targets.periods import Period, SalesCalendar
from crm_sales.validation import SalesInputError, collect, raise_if_any, text

NOTE_MAX_CHARS = 1000
PERCENT = Decimal("0.01")
BAND_WIDTH = 10
BANDS = 10  # 0–10 … 90–100
OPEN_CATEGORIES = frozenset(
    {ForecastCategory.PIPELINE, ForecastCategory.BEST_CASE, ForecastCategory.COMMIT}
)
BEST_CASE = frozenset({ForecastCategory.BEST_CASE, ForecastCategory.COMMIT})
KIND = "SalesForecast"
MAX_RANGE_DAYS = 1096  # a calibration reads at most three years of closed deals


class ForecastError(SalesInputError):
    """A forecast submission or read the rules refuse."""


class SubmissionKind(StrEnum):
    SUBMITTED = "SUBMITTED"  # a person's own number
    ADJUSTED = "ADJUSTED"  # a manager's (or an ADMIN's) number for someone else or a team


# --- figures ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenGroup:
    """Open deals of one forecast category counted together: how many, how many have no
    amount in the base currency, Σ base amount and Σ base amount × probability (percent
    points), both unrounded."""

    category: ForecastCategory
    count: int
    unpriced: int
    amount: Decimal
    weighted: Decimal


@dataclass(frozen=True, slots=True)
class Figures:
    closed_won: Money
    won_deals: int
    commit: Money
    best_case: Money
    pipeline: Money
    weighted_pipeline: Money
    open_deals: int  # in the pipeline figure
    unpriced: int  # of those, without an amount in the base currency


def figures(closed_won: Money, won_deals: int, groups: Iterable[OpenGroup]) -> Figures:
    """The forecast figures from what was won and the open groups (see the module)."""
    base = closed_won.currency
    commit = best = raw = weighted = Decimal(0)
    count = unpriced = 0
    for group in groups:
        if group.category not in OPEN_CATEGORIES:
            continue
        count += group.count
        unpriced += group.unpriced
        raw += group.amount
        weighted += group.weighted
        if group.category in BEST_CASE:
            best += group.amount
        if group.category is ForecastCategory.COMMIT:
            commit += group.amount
    return Figures(
        closed_won=closed_won,
        won_deals=won_deals,
        commit=money(commit, base),
        best_case=money(best, base),
        pipeline=money(raw, base),
        weighted_pipeline=money(weighted / 100, base),
        open_deals=count,
        unpriced=unpriced,
    )


# --- submissions ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Submission:
    id: str
    subject: Subject
    period: Period
    amount: Money
    note: str | None
    kind: SubmissionKind
    submitted_by: str
    submitted_at: datetime


def read_submission(amount: object, note: str | None, base: str) -> tuple[Money, str | None]:
    """An amount of 0 or more in the base currency (the money rules) and an optional note of
    at most `NOTE_MAX_CHARS`; both reported at once."""
    errors: list[FieldError] = []
    value = collect(errors, lambda: parse_amount(amount, base))
    kept = text(errors, "note", note, limit=NOTE_MAX_CHARS, required=False)
    raise_if_any(errors, ForecastError, "The forecast is invalid")
    assert value is not None
    return value, kept


def submission_kind(principal: Principal, subject: Subject, team: str) -> SubmissionKind:
    """A member of the sales staff submits their own number; ADMIN anyone's and a MANAGER
    their team's and its members' numbers as adjustments. FORBIDDEN (naming the subject's
    field) for anyone else: a MANAGER of another team, a SALES member for a colleague."""
    own = subject.kind is SubjectKind.PERSON and subject.id == principal.sub
    if own and principal.has_role(Role.SALES, Role.MANAGER):
        return SubmissionKind.SUBMITTED
    if may_set(principal, team):
        return SubmissionKind.ADJUSTED
    field = "subject.staffId" if subject.kind is SubjectKind.PERSON else "subject.team"
    raise Forbidden(
        f"Not allowed: only the manager of team {team or '(none)'} or an ADMIN adjusts the "
        f"forecast of {subject.kind.lower()} {subject.id}",
        message_key="FORECAST_NOT_MANAGER",
        action="SUBMIT",
        resource=KIND,
        field=field,
    )


def require_note(kind: SubmissionKind, note: str | None) -> None:
    """An adjustment says why (`note` REQUIRED)."""
    if kind is SubmissionKind.ADJUSTED and not note:
        raise ForecastError.single("note", "REQUIRED", "an adjustment needs a note")


def require_open(period: Period, now: datetime) -> None:
    """Submissions are for periods not over yet (`period` PERIOD_CLOSED)."""
    if now >= period.ends_at:
        raise ForecastError.single(
            "period", "PERIOD_CLOSED", f"{period.label} is over: its forecast is final"
        )


def require_closed(period: Period, now: datetime) -> None:
    """Accuracy is for periods that are over (`period` PERIOD_NOT_CLOSED)."""
    if now < period.ends_at:
        raise ForecastError.single(
            "period",
            "PERIOD_NOT_CLOSED",
            f"{period.label} ends at {period.ends_at.isoformat()}: its accuracy is not known yet",
        )


def latest(submissions: Iterable[Submission]) -> list[Submission]:
    """Latest first (then by id, for submissions of one instant)."""
    return sorted(submissions, key=lambda s: (s.submitted_at, s.id), reverse=True)


def standing_at(submissions: Iterable[Submission], at: datetime) -> Submission | None:
    """The latest submission made before `at` (the period's start)."""
    before = [s for s in submissions if s.submitted_at < at]
    return latest(before)[0] if before else None


# --- accuracy ---------------------------------------------------------------------------------


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    """`part` of `whole` in percent, two decimals; None when `whole` is 0."""
    if not whole:
        return None
    return (part * 100 / whole).quantize(PERCENT, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True, slots=True)
class Accuracy:
    """One subject's forecast (None: nothing submitted before the period) against what it won."""

    subject: Subject
    forecast: Submission | None
    actual: Money

    @property
    def error(self) -> Money | None:
        """forecast − actual: positive when the forecast was too high."""
        if self.forecast is None:
            return None
        return money(self.forecast.amount.amount - self.actual.amount, self.actual.currency)

    @property
    def bias_percent(self) -> Decimal | None:
        error = self.error
        return percent(error.amount, self.actual.amount) if error is not None else None

    @property
    def absolute_percentage_error(self) -> Decimal | None:
        error = self.error
        return percent(abs(error.amount), self.actual.amount) if error is not None else None


def accuracy(
    subjects: Sequence[Subject],
    submissions: Iterable[Submission],
    actuals: dict[Subject, Money],
    period: Period,
    base: str,
) -> list[Accuracy]:
    """Per subject in the order given: its standing forecast at the period's start and what
    it won (0 when nothing)."""
    by_subject: dict[Subject, list[Submission]] = {}
    for submission in submissions:
        by_subject.setdefault(submission.subject, []).append(submission)
    return [
        Accuracy(
            subject,
            standing_at(by_subject.get(subject, ()), period.starts_at),
            actuals.get(subject, money(0, base)),
        )
        for subject in subjects
    ]


# --- calibration ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClosedAt:
    """Deals closed with one probability just before closing, and how many of them were won."""

    probability: int
    deals: int
    won: int


@dataclass(frozen=True, slots=True)
class Band:
    low: int  # included
    high: int  # excluded, except 100 in the last band
    deals: int
    won: int
    probability_points: int  # Σ probability over its deals

    @property
    def won_percent(self) -> Decimal | None:
        return percent(Decimal(self.won), Decimal(self.deals))

    @property
    def mean_probability(self) -> Decimal | None:
        if not self.deals:
            return None
        mean = Decimal(self.probability_points) / Decimal(self.deals)
        return mean.quantize(PERCENT, rounding=ROUND_HALF_EVEN)


def band_of(probability: int) -> int:
    """0 for 0–9, 1 for 10–19 … 9 for 90–100."""
    return min(max(probability, 0) // BAND_WIDTH, BANDS - 1)


def calibration(closed: Iterable[ClosedAt]) -> list[Band]:
    """The ten bands, empty ones included, lowest first."""
    deals, won, points = [0] * BANDS, [0] * BANDS, [0] * BANDS
    for row in closed:
        index = band_of(row.probability)
        deals[index] += row.deals
        won[index] += row.won
        points[index] += row.probability * row.deals
    return [
        Band(i * BAND_WIDTH, (i + 1) * BAND_WIDTH, deals[i], won[i], points[i])
        for i in range(BANDS)
    ]


def calibration_range(
    first: date, last: date, calendar: SalesCalendar
) -> tuple[datetime, datetime]:
    """The instants of a range of local days, both included (`filter.to` OUT_OF_RANGE when
    before `filter.from` or more than `MAX_RANGE_DAYS` after it)."""
    days = (last - first).days + 1
    if not 1 <= days <= MAX_RANGE_DAYS:
        raise ForecastError.single(
            "filter.to",
            "OUT_OF_RANGE",
            f"filter.to must be on or after filter.from and within {MAX_RANGE_DAYS} days",
        )
    return _midnight(first, calendar), _midnight(date.fromordinal(last.toordinal() + 1), calendar)


def _midnight(day: date, calendar: SalesCalendar) -> datetime:
    return datetime.combine(day, time(0), tzinfo=calendar.zone).astimezone(UTC)
