"""GraphQL of service analytics: `serviceAnalytics(from, to, team)`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from crm_interaction import access
from crm_interaction.analytics import model as analytics
from crm_interaction.graphql.context import Info
from crm_interaction.shared.clock import to_storage_time


@strawberry.type
class CountBy:
    key: str
    count: int


@strawberry.type
class DurationStats:
    count: int
    median_minutes: float | None
    p90_minutes: float | None


@strawberry.type
class SatisfactionWeek:
    week_start: datetime
    average: float
    count: int


@strawberry.type
class AgentLoadType:
    agent_id: str
    open_tickets: int = strawberry.field(description="Open now")
    resolved: int = strawberry.field(description="Resolved among the period's tickets")


@strawberry.type(description="Tickets opened in the period (wall-clock minutes)")
class ServiceAnalyticsType:
    total: int
    by_type: list[CountBy]
    by_priority: list[CountBy]
    by_team: list[CountBy]
    first_response: DurationStats
    resolution: DurationStats
    sla_evaluated: int = strawberry.field(description="Resolved or breached tickets")
    sla_met: int
    sla_compliance: float | None = strawberry.field(description="slaMet / slaEvaluated")
    satisfaction_trend: list[SatisfactionWeek]
    agents: list[AgentLoadType]

    @classmethod
    def from_domain(cls, a: analytics.ServiceAnalytics) -> ServiceAnalyticsType:
        def counts(values: dict[str, int]) -> list[CountBy]:
            return [CountBy(key=k, count=v) for k, v in sorted(values.items())]

        def stats(d: analytics.Distribution) -> DurationStats:
            return DurationStats(
                count=d.count, median_minutes=d.median_minutes, p90_minutes=d.p90_minutes
            )

        return cls(
            total=a.total,
            by_type=counts(a.by_type),
            by_priority=counts(a.by_priority),
            by_team=counts(a.by_team),
            first_response=stats(a.first_response),
            resolution=stats(a.resolution),
            sla_evaluated=a.sla_evaluated,
            sla_met=a.sla_met,
            sla_compliance=a.sla_compliance,
            satisfaction_trend=[
                SatisfactionWeek(week_start=w.week_start, average=w.average, count=w.count)
                for w in a.satisfaction
            ],
            agents=[
                AgentLoadType(agent_id=g.agent_id, open_tickets=g.open, resolved=g.resolved)
                for g in a.agents
            ],
        )


@strawberry.type
class AnalyticsQuery:
    @strawberry.field(description="Ticket volume, response times, SLA compliance, load")
    async def service_analytics(
        self,
        info: Info,
        start: Annotated[datetime, strawberry.argument(name="from")],
        end: Annotated[datetime, strawberry.argument(name="to")],
        team: str | None = None,
    ) -> ServiceAnalyticsType:
        analytics.check_range(info.context.principal, start, end)
        team = access.analytics_team(info.context.principal, team)
        computed = await info.context.deps.analytics.service_analytics(
            to_storage_time(start), to_storage_time(end), team
        )
        return ServiceAnalyticsType.from_domain(computed)
