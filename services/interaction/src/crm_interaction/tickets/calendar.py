"""Business-hours calendar: pure arithmetic over working time in a local time zone.

SLA targets count working time only: `add(start, minutes)` is the instant when that much
working time has elapsed after `start`; `elapsed(start, end)` is the working time between two
instants. Weekends, holidays and hours outside the working day do not count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_TIME_ZONE = "Asia/Shanghai"
_MAX_DAYS = 3660  # a target beyond ten years of calendar means a broken calendar


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    time_zone: str = DEFAULT_TIME_ZONE
    opens: time = time(9, 0)
    closes: time = time(18, 0)
    workdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0
    holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)  # 调休 make-up days

    def __post_init__(self) -> None:
        if self.closes <= self.opens:
            raise ValueError("closes must be after opens")
        ZoneInfo(self.time_zone)  # raises for an unknown zone

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def is_workday(self, day: date) -> bool:
        if day in self.holidays:
            return False
        return day in self.extra_workdays or day.weekday() in self.workdays

    def _window(self, day: date) -> tuple[datetime, datetime]:
        zone = self.zone
        return (
            datetime.combine(day, self.opens, zone).astimezone(UTC),
            datetime.combine(day, self.closes, zone).astimezone(UTC),
        )

    def add(self, start: datetime, minutes: float) -> datetime:
        """The instant when `minutes` of working time have passed since `start`."""
        remaining = timedelta(minutes=minutes)
        day = start.astimezone(self.zone).date()
        for _ in range(_MAX_DAYS):
            if self.is_workday(day):
                opens, closes = self._window(day)
                begin = max(start, opens)
                if begin < closes:
                    available = closes - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
            day += timedelta(days=1)
        raise ValueError("the calendar has no working time within ten years")

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Working time between two instants (zero when end <= start)."""
        total = timedelta()
        if end <= start:
            return total
        day = start.astimezone(self.zone).date()
        last = end.astimezone(self.zone).date()
        while day <= last:
            if self.is_workday(day):
                opens, closes = self._window(day)
                begin, finish = max(start, opens), min(end, closes)
                if finish > begin:
                    total += finish - begin
            day += timedelta(days=1)
        return total
