"""GraphQL of service analytics: `serviceAnalytics(period, team)`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from crm_interaction import access
from crm_interaction.analytics import model as analytics
from crm_interaction.graphql.context import Info
from crm_interaction.graphql.staff_ref import StaffMember, staff_ref
from crm_interaction.shared.clock import to_storage_time
from crm_kit.graphql import CountBucket
from crm_kit.listing import DateTimeRangeInput

MAX_DAYS = analytics.MAX_RANGE.days


@strawberry.type(description="Minutes from a ticket's creation to an event (wall-clock time).")
class DurationStats:
    count: int = strawberry.field(description="Tickets measured (those the event happened to).")
    median_minutes: float | None = strawberry.field(
        description="The median (approximate, two decimals); null when none was measured."
    )
    p90_minutes: float | None = strawberry.field(
        description="The 90th percentile (approximate, two decimals); null when none was measured."
    )


@strawberry.type(description="The ratings given in one week (of the period's tickets).")
class SatisfactionWeek:
    week_start: datetime = strawberry.field(description="The week's Monday, 00:00 UTC.")
    average: float = strawberry.field(description="The mean rating, 1–5 (two decimals).")
    count: int = strawberry.field(description="How many ratings.")


@strawberry.type(description="One agent's tickets.")
class AgentLoadType:
    agent_id: strawberry.ID = strawberry.field(description="The agent's staff id (see `agent`).")
    open_tickets: int = strawberry.field(description="Open now")
    resolved: int = strawberry.field(description="Resolved among the period's tickets")

    @strawberry.field(
        description="The agent (`agentId` resolved by the customer subgraph); null when the id "
        "is not in the staff directory."
    )
    def agent(self) -> StaffMember | None:
        return staff_ref(self.agent_id)


@strawberry.type(description="Tickets opened in the period (wall-clock minutes)")
class ServiceAnalyticsType:
    total: int = strawberry.field(description="Tickets opened in the period.")
    by_type: list[CountBucket] = strawberry.field(description="Per ticket type.")
    by_priority: list[CountBucket] = strawberry.field(description="Per priority.")
    by_team: list[CountBucket] = strawberry.field(description="Per team.")
    first_response: DurationStats = strawberry.field(
        description="Time to the first response, of the tickets answered."
    )
    resolution: DurationStats = strawberry.field(
        description="Time to resolution, of the tickets RESOLVED or CLOSED after resolving."
    )
    sla_evaluated: int = strawberry.field(description="Resolved or breached tickets")
    sla_met: int = strawberry.field(
        description="Of those, the tickets RESOLVED or CLOSED with no target missed."
    )
    sla_compliance: float | None = strawberry.field(description="slaMet / slaEvaluated")
    satisfaction_trend: list[SatisfactionWeek] = strawberry.field(
        description="Ratings of the period's tickets per week, oldest first."
    )
    agents: list[AgentLoadType] = strawberry.field(
        description="Every agent with open tickets now or resolutions in the period, by id."
    )

    @classmethod
    def from_domain(cls, a: analytics.ServiceAnalytics) -> ServiceAnalyticsType:
        def counts(values: dict[str, int]) -> list[CountBucket]:
            return [CountBucket(key=k or None, count=v) for k, v in sorted(values.items())]

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
                AgentLoadType(
                    agent_id=strawberry.ID(g.agent_id), open_tickets=g.open, resolved=g.resolved
                )
                for g in a.agents
            ],
        )


@strawberry.type
class AnalyticsQuery:
    @strawberry.field(
        description="Ticket volume, response times, SLA compliance, load of the tickets opened "
        "in a period. Roles ADMIN and ANALYST (any team), MANAGER (their own team only). "
        "Errors: BAD_USER_INPUT (`period.from` REQUIRED; `period.to` REQUIRED, OUT_OF_RANGE, "
        "RANGE_TOO_LONG), FORBIDDEN."
    )
    async def service_analytics(
        self,
        info: Info,
        period: Annotated[
            DateTimeRangeInput,
            strawberry.argument(
                description="Tickets opened at or after `period.from` and before `period.to`. "
                "Both ends are required (`period.from` / `period.to` REQUIRED); `to` after "
                f"`from` (`period.to` OUT_OF_RANGE), at most {MAX_DAYS} days later "
                "(`period.to` RANGE_TOO_LONG)."
            ),
        ],
        team: Annotated[
            str | None,
            strawberry.argument(
                description="Only this team's tickets. A MANAGER gets their own team's, and "
                "FORBIDDEN for another team."
            ),
        ] = None,
    ) -> ServiceAnalyticsType:
        start, end = analytics.check_period(info.context.principal, period.from_, period.to)
        team = access.analytics_team(info.context.principal, team)
        computed = await info.context.deps.analytics.service_analytics(
            to_storage_time(start), to_storage_time(end), team
        )
        return ServiceAnalyticsType.from_domain(computed)
