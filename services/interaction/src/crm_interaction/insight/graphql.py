"""GraphQL of per-customer insight: `Customer.insight` (contact statistics, RFM, churn risk),
batched per `_entities` call."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.dataloader import DataLoader

from crm_interaction.graphql.context import Info
from crm_interaction.graphql.loaders import per_customer
from crm_interaction.insight import model as insight
from crm_interaction.purchases.graphql import Money


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


def _insights(info: Info) -> DataLoader[str, insight.Insight]:
    queries = info.context.deps.insight

    def missing() -> insight.Insight:  # pragma: no cover - every customer gets facts
        raise KeyError("insight")

    return per_customer(info, "insight", queries.for_customers, missing)


async def customer_insight(info: Info, customer_id: str) -> CustomerInsightType:
    """`Customer.insight`."""
    _ = info.context.principal
    return CustomerInsightType.from_domain(await _insights(info).load(customer_id))
