"""Service analytics over a period: volume, response and resolution times, SLA compliance,
satisfaction trend and agents' load. Pure arithmetic over ticket records, no I/O."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from crm_interaction.tickets import Ticket, TicketStatus
from crm_kit.auth import Principal, Role
from crm_kit.errors import BadUserInput

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


def check_range(principal: Principal, start: datetime, end: datetime) -> None:
    principal.require_role(*READER_ROLES)
    if end <= start:
        raise BadUserInput.single("to", "BEFORE_FROM", "to must be after from")
    if end - start > MAX_RANGE:
        raise BadUserInput.single("to", "RANGE_TOO_LONG", "the period may be at most 366 days")


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..1)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 1))  # ceil(n * q), at least 1
    return round(ordered[int(rank) - 1], 2)


def _distribution(minutes: list[float]) -> Distribution:
    return Distribution(len(minutes), percentile(minutes, 0.5), percentile(minutes, 0.9))


def _week(at: datetime) -> datetime:
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def compute(created_in_period: list[Ticket], open_now: dict[str, int]) -> ServiceAnalytics:
    """`created_in_period`: tickets opened in the period; `open_now`: open tickets per agent."""
    first: list[float] = []
    resolution: list[float] = []
    evaluated = met = 0
    ratings: dict[datetime, list[int]] = defaultdict(list)
    resolved_by: Counter[str] = Counter()
    for t in created_in_period:
        if t.first_responded_at is not None:
            first.append((t.first_responded_at - t.created_at).total_seconds() / 60)
        done = t.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
        if done and t.resolved_at is not None:
            resolution.append((t.resolved_at - t.created_at).total_seconds() / 60)
            if t.assignee_id:
                resolved_by[t.assignee_id] += 1
        breached = t.first_response_breached or t.resolution_breached
        if done or breached:
            evaluated += 1
            met += 0 if breached else 1
        if t.rating is not None and t.rated_at is not None:
            ratings[_week(t.rated_at)].append(t.rating)
    agents = sorted(set(open_now) | set(resolved_by))
    return ServiceAnalytics(
        total=len(created_in_period),
        by_type=dict(Counter(str(t.type) for t in created_in_period)),
        by_priority=dict(Counter(str(t.priority) for t in created_in_period)),
        by_team=dict(Counter(t.team or "" for t in created_in_period)),
        first_response=_distribution(first),
        resolution=_distribution(resolution),
        sla_evaluated=evaluated,
        sla_met=met,
        satisfaction=tuple(
            WeekRating(week, round(sum(r) / len(r), 2), len(r))
            for week, r in sorted(ratings.items())
        ),
        agents=tuple(AgentLoad(a, open_now.get(a, 0), resolved_by.get(a, 0)) for a in agents),
    )
