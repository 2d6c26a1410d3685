"""GraphQL of service analytics: `serviceAnalytics(from, to, team)`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from crm_interaction import access
from crm_interaction.analytics import model as analytics
from crm_interaction.graphql.context import Info
from crm_interaction.graphql.staff_ref import StaffMember, staff_ref
from crm_interaction.shared.clock import to_storage_time

MAX_DAYS = analytics.MAX_RANGE.days


@strawberry.type(description="How many tickets have one value of a field.")
class CountBy:
    key: str = strawberry.field(description="The value (by team: empty for tickets without).")
    count: int = strawberry.field(description="How many tickets have it.")


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
    by_type: list[CountBy] = strawberry.field(description="Per ticket type.")
    by_priority: list[CountBy] = strawberry.field(description="Per priority.")
    by_team: list[CountBy] = strawberry.field(description="Per team.")
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
                AgentLoadType(
                    agent_id=strawberry.ID(g.agent_id), open_tickets=g.open, resolved=g.resolved
                )
                for g in a.agents
            ],
        )


@strawberry.type
class AnalyticsQuery:
    @strawberry.field(
        description="Ticket volume, response times, SLA compliance, load. Roles ADMIN and "
        "ANALYST (any team), MANAGER (their own team only). Errors: BAD_USER_INPUT (`to` "
        "BEFORE_FROM, RANGE_TOO_LONG), FORBIDDEN."
    )
    async def service_analytics(
        self,
        info: Info,
        start: Annotated[
            datetime,
            strawberry.argument(name="from", description="Tickets opened at or after this."),
        ],
        end: Annotated[
            datetime,
            strawberry.argument(
                name="to",
                description=f"…and before this: after `from`, at most {MAX_DAYS} days later.",
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
        analytics.check_range(info.context.principal, start, end)
        team = access.analytics_team(info.context.principal, team)
        computed = await info.context.deps.analytics.service_analytics(
            to_storage_time(start), to_storage_time(end), team
        )
        return ServiceAnalyticsType.from_domain(computed)
