"""Service analytics over a period: volume, response and resolution times, SLA compliance,
satisfaction trend and agents' load. The figures are computed by the database (see
`analytics_views`); this module holds their shape and who may ask for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from crm_kit.auth import Principal, Role
from crm_kit.errors import BadUserInput, FieldError

MAX_RANGE = timedelta(days=366)
READER_ROLES = (Role.ADMIN, Role.MANAGER, Role.ANALYST)


@dataclass(frozen=True, slots=True)
class Distribution:
    count: int
    median_minutes: float | None
    p90_minutes: float | None


@dataclass(frozen=True, slots=True)
class WeekRating:
    week_start: datetime
    average: float
    count: int


@dataclass(frozen=True, slots=True)
class AgentLoad:
    agent_id: str
    open: int
    resolved: int


@dataclass(frozen=True, slots=True)
class ServiceAnalytics:
    total: int
    by_type: dict[str, int]
    by_priority: dict[str, int]
    by_team: dict[str, int]
    first_response: Distribution
    resolution: Distribution
    sla_evaluated: int
    sla_met: int
    satisfaction: tuple[WeekRating, ...]
    agents: tuple[AgentLoad, ...]

    @property
    def sla_compliance(self) -> float | None:
        return round(self.sla_met / self.sla_evaluated, 4) if self.sla_evaluated else None


def check_period(
    principal: Principal, start: datetime | None, end: datetime | None
) -> tuple[datetime, datetime]:
    """The period `[start, end)` of a reader's request: both ends given (`period.from` /
    `period.to` REQUIRED), `end` after `start` (OUT_OF_RANGE, as any reversed range) and at most
    MAX_RANGE later (RANGE_TOO_LONG)."""
    principal.require_role(*READER_ROLES)
    missing = [
        FieldError(f"period.{name}", "REQUIRED", f"period.{name} is required")
        for name, value in (("from", start), ("to", end))
        if value is None
    ]
    if missing:
        raise BadUserInput(missing)
    assert start is not None and end is not None
    if end <= start:
        raise BadUserInput.single(
            "period.to", "OUT_OF_RANGE", "period.to must be after period.from"
        )
    if end - start > MAX_RANGE:
        raise BadUserInput.single(
            "period.to", "RANGE_TOO_LONG", f"the period may be at most {MAX_RANGE.days} days"
        )
    return start, end
