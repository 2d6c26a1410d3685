"""The interaction service's own settings from environment variables (read by `__main__`, passed
to create_app; the settings every service has come from `crm_kit.settings`).

| variable | default | meaning |
|---|---|---|
| `SLA_TIME_ZONE` | `Asia/Shanghai` | time zone of the business-hours calendar |
| `SLA_BUSINESS_HOURS` | `09:00-18:00` | working hours of a working day |
| `SLA_WORKDAYS` | `1,2,3,4,5` | ISO weekdays that are working days (1 = Monday) |
| `SLA_HOLIDAYS` | empty | extra days off, `YYYY-MM-DD,…` |
| `SLA_EXTRA_WORKDAYS` | empty | weekend days that are worked (调休), `YYYY-MM-DD,…` |
| `SLA_TARGETS` | built in | `PRIORITY=firstResponseMin/resolutionMin,…`, e.g. `URGENT=30/240` |
| `SCHEDULER_POLL_SECONDS` | `1` | how often each replica looks for due SLA checks and reminders |
| `SCHEDULER_LEASE_SECONDS` | `60` | how long a claimed job is reserved for its replica |
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time

from crm_interaction.tickets.calendar import DEFAULT_TIME_ZONE, BusinessCalendar
from crm_interaction.tickets.sla import DEFAULT_POLICIES, Priority, SlaPolicy, SlaRules


class ConfigError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class InteractionSettings:
    sla: SlaRules
    scheduler_poll_seconds: float = 1.0
    scheduler_lease_seconds: float = 60.0


def _days(raw: str, name: str) -> frozenset[date]:
    try:
        return frozenset(date.fromisoformat(d.strip()) for d in raw.split(",") if d.strip())
    except ValueError as exc:
        raise ConfigError(f"{name} must be YYYY-MM-DD dates separated by commas") from exc


def _hours(raw: str) -> tuple[time, time]:
    try:
        opens, closes = (time.fromisoformat(part.strip()) for part in raw.split("-"))
    except ValueError as exc:
        raise ConfigError("SLA_BUSINESS_HOURS must look like 09:00-18:00") from exc
    return opens, closes


def _targets(raw: str) -> dict[Priority, SlaPolicy]:
    policies = dict(DEFAULT_POLICIES)
    for item in filter(None, (p.strip() for p in raw.split(","))):
        try:
            name, _, minutes = item.partition("=")
            first, _, resolution = minutes.partition("/")
            policies[Priority(name.strip().upper())] = SlaPolicy(int(first), int(resolution))
        except ValueError as exc:
            raise ConfigError(f"SLA_TARGETS entry {item!r} must be PRIORITY=min/min") from exc
    return policies


def from_env(env: Mapping[str, str]) -> InteractionSettings:
    opens, closes = _hours(env.get("SLA_BUSINESS_HOURS", "09:00-18:00"))
    try:
        workdays = frozenset(
            int(d) - 1 for d in env.get("SLA_WORKDAYS", "1,2,3,4,5").split(",") if d.strip()
        )
    except ValueError as exc:
        raise ConfigError("SLA_WORKDAYS must be ISO weekday numbers 1-7") from exc
    if not workdays or not workdays <= set(range(7)):
        raise ConfigError("SLA_WORKDAYS must be ISO weekday numbers 1-7")
    try:
        calendar = BusinessCalendar(
            time_zone=env.get("SLA_TIME_ZONE", DEFAULT_TIME_ZONE),
            opens=opens,
            closes=closes,
            workdays=workdays,
            holidays=_days(env.get("SLA_HOLIDAYS", ""), "SLA_HOLIDAYS"),
            extra_workdays=_days(env.get("SLA_EXTRA_WORKDAYS", ""), "SLA_EXTRA_WORKDAYS"),
        )
    except (ValueError, KeyError) as exc:  # unknown zone or closes <= opens
        raise ConfigError(f"invalid SLA calendar: {exc}") from exc
    return InteractionSettings(
        sla=SlaRules(calendar, _targets(env.get("SLA_TARGETS", ""))),
        scheduler_poll_seconds=float(env.get("SCHEDULER_POLL_SECONDS", "1")),
        scheduler_lease_seconds=float(env.get("SCHEDULER_LEASE_SECONDS", "60")),
    )
