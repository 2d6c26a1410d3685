"""The periods sales targets are set for: calendar months, fiscal quarters and fiscal years in
the organisation's time zone. Pure, no I/O.

A fiscal year is named by the calendar year it starts in: with the fiscal year starting in
April (`SALES_FISCAL_YEAR_START_MONTH=4`), FY2026 runs from 1 April 2026 to 31 March 2027 and
its third quarter (FY2026-Q3) is October to December 2026. With the default start in January,
FY2026 is the calendar year 2026. Months are calendar months whatever the fiscal year
(`2026-07`).

Periods are fixed calendar slices, so two periods of one kind either are the same period or do
not overlap at all; a month and the quarter around it are different kinds and never compete.
A period starts at midnight of its first day in the organisation's time zone and ends (not
included) at midnight of the day after its last day, so a deal won at 23:30 Beijing time on
30 June (15:30 UTC) counts in June, and one won at 00:30 on 1 July (16:30 UTC on 30 June) in
July: the organisation's day decides, not UTC's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo

from crm_kit.errors import FieldError
from crm_sales.validation import SalesInputError, raise_if_any

DEFAULT_TIME_ZONE = "Asia/Shanghai"
EARLIEST_YEAR = 2000
LATEST_YEAR = 2199
MONTHS_IN = {"MONTH": 1, "QUARTER": 3, "YEAR": 12}  # months per period of each kind


class PeriodError(SalesInputError):
    """A period the calendar cannot name."""


class PeriodKind(StrEnum):
    MONTH = "MONTH"
    QUARTER = "QUARTER"
    YEAR = "YEAR"

    @property
    def months(self) -> int:
        return MONTHS_IN[self.value]


@dataclass(frozen=True, slots=True)
class SalesCalendar:
    """The organisation's calendar: where its fiscal year starts and its time zone."""

    fiscal_year_start_month: int = 1
    time_zone: str = DEFAULT_TIME_ZONE

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.time_zone)

    def fiscal_year_of(self, day: date) -> int:
        """The fiscal year a local calendar day belongs to."""
        return day.year if day.month >= self.fiscal_year_start_month else day.year - 1

    def period_at(self, kind: PeriodKind, at: datetime) -> Period:
        """The period of `kind` that the instant `at` falls in."""
        day = at.astimezone(self.zone).date()
        if kind is PeriodKind.MONTH:
            return Period(kind, day.year, day.month, self)
        year = self.fiscal_year_of(day)
        if kind is PeriodKind.YEAR:
            return Period(kind, year, 0, self)
        months_in = (day.month - self.fiscal_year_start_month) % 12
        return Period(kind, year, months_in // 3 + 1, self)

    def period(self, kind: PeriodKind, year: int, number: int | None, field: str) -> Period:
        """The period a caller named: `year` is the calendar year of a MONTH and the fiscal
        year of a QUARTER or YEAR; `number` the month (1–12) or quarter (1–4), none for a
        YEAR. Every problem is reported at once, under `<field>.year` / `<field>.number`."""
        errors: list[FieldError] = []
        if not EARLIEST_YEAR <= year <= LATEST_YEAR:
            errors.append(
                FieldError(
                    f"{field}.year",
                    "OUT_OF_RANGE",
                    f"{field}.year must be {EARLIEST_YEAR} to {LATEST_YEAR}",
                )
            )
        checked = _number(errors, kind, number, f"{field}.number")
        raise_if_any(errors, PeriodError, "The period is invalid")
        return Period(kind, year, checked, self)


def _number(errors: list[FieldError], kind: PeriodKind, number: int | None, field: str) -> int:
    if kind is PeriodKind.YEAR:
        if number is not None:
            errors.append(FieldError(field, "NOT_APPLICABLE", f"a YEAR has no {field}"))
        return 0
    if number is None:
        errors.append(FieldError(field, "REQUIRED", f"{field} is required for a {kind}"))
        return 0
    most = 12 // kind.months
    if not 1 <= number <= most:
        errors.append(FieldError(field, "OUT_OF_RANGE", f"{field} of a {kind} is 1 to {most}"))
    return number


def add_months(day: date, months: int) -> date:
    """The first of the month `months` after the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True, slots=True)
class Period:
    """One month, fiscal quarter or fiscal year. `number` is the month (1–12) of a MONTH, the
    quarter (1–4) of a QUARTER and 0 for a YEAR; `year` the calendar year of a MONTH and the
    fiscal year of the others."""

    kind: PeriodKind
    year: int
    number: int
    calendar: SalesCalendar

    @property
    def first_day(self) -> date:
        if self.kind is PeriodKind.MONTH:
            return date(self.year, self.number, 1)
        fiscal_start = date(self.year, self.calendar.fiscal_year_start_month, 1)
        if self.kind is PeriodKind.YEAR:
            return fiscal_start
        return add_months(fiscal_start, 3 * (self.number - 1))

    @property
    def end_day(self) -> date:
        """The first day after the period (not included)."""
        return add_months(self.first_day, self.kind.months)

    @property
    def starts_at(self) -> datetime:
        """Local midnight of the first day, in UTC (what deals' close times compare with)."""
        return _midnight(self.first_day, self.calendar.zone)

    @property
    def ends_at(self) -> datetime:
        """Local midnight after the last day, in UTC; not part of the period."""
        return _midnight(self.end_day, self.calendar.zone)

    @property
    def label(self) -> str:
        """`2026-07`, `FY2026-Q3` or `FY2026`."""
        if self.kind is PeriodKind.MONTH:
            return f"{self.year:04d}-{self.number:02d}"
        if self.kind is PeriodKind.QUARTER:
            return f"FY{self.year:04d}-Q{self.number}"
        return f"FY{self.year:04d}"

    def elapsed(self, now: datetime) -> tuple[int, int]:
        """(microseconds of the period gone by at `now`, microseconds in the period): the
        calendar share as exact integers, 0 before the start and all of it after the end."""
        total = _micros(self.ends_at - self.starts_at)
        gone = _micros(now.astimezone(UTC) - self.starts_at)
        return min(max(gone, 0), total), total


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)  # the settings checked the name at start


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _micros(delta: timedelta) -> int:
    """Whole microseconds: an exact integer, so shares of a period are exact decimals."""
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
