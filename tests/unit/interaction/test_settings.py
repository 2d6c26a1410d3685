"""SLA calendar and scheduler settings from environment variables."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from crm_interaction.settings import ConfigError, from_env
from crm_interaction.tickets.sla import Priority, SlaPolicy


def test_defaults_are_shanghai_office_hours() -> None:
    config = from_env({})
    calendar = config.sla.calendar
    assert (calendar.time_zone, calendar.opens, calendar.closes) == (
        "Asia/Shanghai",
        time(9),
        time(18),
    )
    assert calendar.workdays == frozenset(range(5))
    assert config.sla.policies[Priority.URGENT] == SlaPolicy(30, 240)
    assert config.scheduler_poll_seconds == 1.0


def test_a_configured_calendar_and_targets() -> None:
    config = from_env(
        {
            "SLA_TIME_ZONE": "Europe/Berlin",
            "SLA_BUSINESS_HOURS": "08:30-17:00",
            "SLA_WORKDAYS": "1,2,3,4,5,6",
            "SLA_HOLIDAYS": "2026-12-25, 2026-12-26",
            "SLA_TARGETS": "urgent=15/120",
            "SCHEDULER_POLL_SECONDS": "0.5",
        }
    )
    calendar = config.sla.calendar
    assert calendar.workdays == frozenset(range(6))
    assert date(2026, 12, 25) in calendar.holidays
    assert config.sla.policies[Priority.URGENT] == SlaPolicy(15, 120)
    assert config.sla.policies[Priority.LOW] == from_env({}).sla.policies[Priority.LOW]
    # Saturday (a workday here) 08:00 Berlin = 07:00 UTC: work starts at 08:30, +60 min
    start = datetime(2026, 11, 28, 7, 0, tzinfo=UTC)
    assert calendar.add(start, 60) == datetime(2026, 11, 28, 8, 30, tzinfo=UTC)
    assert config.scheduler_poll_seconds == 0.5


@pytest.mark.parametrize(
    "env",
    [
        {"SLA_TIME_ZONE": "Nowhere/City"},
        {"SLA_BUSINESS_HOURS": "18:00-09:00"},
        {"SLA_BUSINESS_HOURS": "nine to five"},
        {"SLA_WORKDAYS": "0,8"},
        {"SLA_HOLIDAYS": "25.12.2026"},
        {"SLA_TARGETS": "SOON=1/2"},
    ],
)
def test_bad_settings_fail_loudly(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        from_env(env)
