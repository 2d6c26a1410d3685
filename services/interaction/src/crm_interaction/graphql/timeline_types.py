"""GraphQL types for the customer timeline and insight."""

from __future__ import annotations

from datetime import datetime

import strawberry

from crm_interaction.graphql import loaders
from crm_interaction.graphql.context import Info
from crm_interaction.graphql.task_types import Money
from crm_interaction.insight import model as insight
from crm_interaction.timeline import model as timeline
from crm_kit.graphql import PageInfo

strawberry.enum(timeline.TimelineKind, description="What a timeline item is")


@strawberry.type(name="TimelineItem", description="One item of a customer's history")
class TimelineItemType:
    id: strawberry.ID
    kind: timeline.TimelineKind
    ref_id: strawberry.ID = strawberry.field(description="Id of the interaction/ticket/task/...")
    at: datetime
    title: str
    summary: str | None
    status: str | None
    actor_id: str | None

    @classmethod
    def from_domain(cls, e: timeline.TimelineEntry) -> TimelineItemType:
        return cls(
            id=strawberry.ID(e.id),
            kind=e.kind,
            ref_id=strawberry.ID(e.ref_id),
            at=e.at,
            title=e.title,
            summary=e.summary,
            status=e.status,
            actor_id=e.actor_id,
        )


@strawberry.type
class TimelineEdge:
    cursor: str
    node: TimelineItemType


@strawberry.type(description="A customer's history, newest first")
class TimelineConnection:
    edges: list[TimelineEdge]
    page_info: PageInfo
    customer_id: strawberry.Private[str]
    kinds: strawberry.Private[list[timeline.TimelineKind] | None]

    @strawberry.field(description="All items of the customer (of these kinds), not only this page")
    async def total_count(self, info: Info) -> int:
        # Counted only when asked for: on a large feed the count costs more than the page.
        return await loaders.timeline_counts(info).load((self.customer_id, tuple(self.kinds or ())))


@strawberry.type
class ChannelCount:
    channel: str
    last_30_days: int
    last_90_days: int


@strawberry.type
class Rfm:
    recency: int = strawberry.field(description="1–5, 5 = bought recently")
    frequency: int = strawberry.field(description="1–5, purchases in the last 365 days")
    monetary: int = strawberry.field(description="1–5, spend in the last 365 days")
    segment: str


@strawberry.type
class ChurnFactor:
    name: str
    value: float
    weight: float
    contribution: float = strawberry.field(description="Points of the 0–100 score")
    explanation: str


@strawberry.type
class ChurnRisk:
    score: int = strawberry.field(description="0 (safe) – 100 (likely to churn)")
    factors: list[ChurnFactor]


@strawberry.type(name="CustomerInsight", description="Derived statistics about a customer")
class CustomerInsightType:
    last_contact_at: datetime | None
    channel_counts: list[ChannelCount]
    open_tickets: int
    average_satisfaction: float | None
    rating_count: int
    total_spend: list[Money]
    rfm: Rfm
    churn_risk: ChurnRisk

    @classmethod
    def from_domain(cls, i: insight.Insight) -> CustomerInsightType:
        return cls(
            last_contact_at=i.last_contact_at,
            channel_counts=[
                ChannelCount(channel=ch, last_30_days=c30, last_90_days=c90)
                for ch, (c30, c90) in sorted(i.channels.items())
            ],
            open_tickets=i.open_tickets,
            average_satisfaction=i.average_satisfaction,
            rating_count=i.rating_count,
            total_spend=[Money(amount=str(a), currency=c) for c, a in i.total_spend],
            rfm=Rfm(
                recency=i.recency_score,
                frequency=i.frequency_score,
                monetary=i.monetary_score,
                segment=i.segment,
            ),
            churn_risk=ChurnRisk(
                score=i.churn_risk,
                factors=[
                    ChurnFactor(
                        name=f.name,
                        value=f.value,
                        weight=f.weight,
                        contribution=f.contribution,
                        explanation=f.explanation,
                    )
                    for f in i.churn_factors
                ],
            ),
        )
