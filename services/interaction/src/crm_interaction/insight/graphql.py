"""GraphQL of per-customer insight: `Customer.insight` (contact statistics, RFM, churn risk),
batched per `_entities` call."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.dataloader import DataLoader

from crm_interaction.graphql.context import Info
from crm_interaction.graphql.loaders import per_customer
from crm_interaction.insight import model as insight
from crm_interaction.insight.rfm import MIN_BASE
from crm_interaction.interactions.model import Channel
from crm_kit.graphql import Money


@strawberry.type(description="Interactions on one channel lately.")
class ChannelCount:
    channel: Channel = strawberry.field(description="The channel.")
    last_30_days: int = strawberry.field(description="Interactions in the last 30 days.")
    last_90_days: int = strawberry.field(
        description="Interactions in the last 90 days (those of the last 30 included)."
    )


@strawberry.type(
    description="RFM scores: each the customer's quintile among the customers with a counted "
    f"purchase in the last 365 days (5 = the best fifth; fixed bands below {MIN_BASE} such "
    "customers). Monetary is compared in the customer's main currency."
)
class Rfm:
    recency: int = strawberry.field(description="1–5, 5 = bought recently")
    frequency: int = strawberry.field(description="1–5, purchases in the last 365 days")
    monetary: int = strawberry.field(description="1–5, spend in the last 365 days")
    segment: str = strawberry.field(
        description="From the scores: PROSPECT (no counted purchase), CHAMPION, LOYAL, NEW, "
        "PROMISING, AT_RISK or HIBERNATING."
    )


@strawberry.type(description="One reason behind the churn score.")
class ChurnFactor:
    name: str = strawberry.field(
        description="DAYS_SINCE_CONTACT, DAYS_SINCE_PURCHASE, COMPLAINTS (tickets in 90 days), "
        "LOW_RATINGS (1–2 in 180 days) or DECLINING_SPEND."
    )
    value: float = strawberry.field(
        description="What was measured: days (-1: never), a count, or the spend decline of "
        "the last 90 days against the 90 before (0–1)."
    )
    weight: float = strawberry.field(description="The most points the factor can add.")
    contribution: float = strawberry.field(description="Points of the 0–100 score")
    explanation: str = strawberry.field(description="The value in words (English).")


@strawberry.type(description="How likely the customer is to leave, and why.")
class ChurnRisk:
    score: int = strawberry.field(description="0 (safe) – 100 (likely to churn)")
    factors: list[ChurnFactor] = strawberry.field(
        description="The factors, largest contribution first; the score is their sum."
    )


@strawberry.type(name="CustomerInsight", description="Derived statistics about a customer")
class CustomerInsightType:
    last_contact_at: datetime | None = strawberry.field(
        description="When the latest interaction took place; null when none."
    )
    channel_counts: list[ChannelCount] = strawberry.field(
        description="The channels of the last 90 days' interactions, by name."
    )
    open_tickets: int = strawberry.field(
        description="Tickets open now (NEW, ASSIGNED, IN_PROGRESS, WAITING_CUSTOMER)."
    )
    average_satisfaction: float | None = strawberry.field(
        description="Mean ticket rating, 1–5 (two decimals); null when none was rated."
    )
    rating_count: int = strawberry.field(description="How many of its tickets were rated.")
    total_spend: list[Money] = strawberry.field(
        description="All-time spend per currency (PAID, SHIPPED, COMPLETED), largest first."
    )
    rfm: Rfm = strawberry.field(description="Recency, frequency and monetary scores.")
    churn_risk: ChurnRisk = strawberry.field(description="The churn risk and its factors.")

    @classmethod
    def from_domain(cls, i: insight.Insight) -> CustomerInsightType:
        return cls(
            last_contact_at=i.last_contact_at,
            channel_counts=[
                ChannelCount(channel=Channel(ch), last_30_days=c30, last_90_days=c90)
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
