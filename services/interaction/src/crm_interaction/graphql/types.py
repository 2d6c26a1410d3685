"""GraphQL object, input and enum types of the interaction subgraph."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from crm_interaction import domain
from crm_interaction.graphql.context import Info
from crm_kit.graphql import PageInfo

if TYPE_CHECKING:
    from crm_interaction.graphql.entities import Customer

strawberry.enum(domain.Channel, description="How the contact took place")
strawberry.enum(domain.Direction, description="Who initiated the contact")


@strawberry.type(description="An interaction as it was before an edit or its deletion")
class InteractionRevision:
    version: int
    action: str = strawberry.field(description="EDITED or DELETED")
    actor_id: str
    at: datetime
    subject: str | None
    content: str
    occurred_at: datetime


@strawberry.type(name="Interaction", description="One contact with a customer")
class InteractionType:
    id: strawberry.ID
    customer_id: strawberry.ID
    channel: domain.Channel
    direction: domain.Direction
    subject: str | None
    content: str
    occurred_at: datetime
    duration_seconds: int | None
    logged_by: str
    created_at: datetime
    version: int
    updated_at: datetime | None

    @strawberry.field(description="Earlier states, oldest first (kept on every edit/delete)")
    async def history(self, info: Info) -> list[InteractionRevision]:
        _ = info.context.principal
        docs = await info.context.deps.interactions.history(str(self.id))
        return [
            InteractionRevision(
                version=int(d["version"]),
                action=str(d["action"]),
                actor_id=str(d["actorId"]),
                at=d["at"],
                subject=d["before"].get("subject"),
                content=str(d["before"].get("content", "")),
                occurred_at=d["before"]["occurredAt"],
            )
            for d in docs
        ]

    @strawberry.field(description="The customer contacted (resolved by the customer subgraph)")
    def customer(
        self,
    ) -> Annotated[Customer, strawberry.lazy("crm_interaction.graphql.entities")]:
        from crm_interaction.graphql.entities import Customer

        return Customer(id=self.customer_id)

    @classmethod
    def from_domain(cls, interaction: domain.Interaction) -> InteractionType:
        return cls(
            id=strawberry.ID(interaction.id),
            customer_id=strawberry.ID(interaction.customer_id),
            channel=interaction.channel,
            direction=interaction.direction,
            subject=interaction.subject,
            content=interaction.content,
            occurred_at=interaction.occurred_at,
            duration_seconds=interaction.duration_seconds,
            logged_by=interaction.logged_by,
            created_at=interaction.created_at,
            version=interaction.version,
            updated_at=interaction.updated_at,
        )


@strawberry.type
class InteractionEdge:
    cursor: str
    node: InteractionType


@strawberry.type(description="A customer's interactions, newest first")
class InteractionConnection:
    edges: list[InteractionEdge]
    page_info: PageInfo
    customer_id: strawberry.Private[str]

    @strawberry.field(description="All interactions of the customer, not only this page")
    async def total_count(self, info: Info) -> int:
        return await info.context.deps.views.count(self.customer_id)


@strawberry.input
class LogInteractionInput:
    customer_id: strawberry.ID
    channel: domain.Channel
    direction: domain.Direction
    content: str
    subject: str | None = None
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When it happened (UTC); defaults to now"
    )
    duration_seconds: int | None = None
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Retrying with the same key returns the first interaction, creates nothing",
    )

    def to_command(self) -> domain.LogInteraction:
        return domain.LogInteraction(
            customer_id=str(self.customer_id),
            channel=self.channel,
            direction=self.direction,
            content=self.content,
            subject=self.subject,
            occurred_at=self.occurred_at,
            duration_seconds=self.duration_seconds,
            idempotency_key=self.idempotency_key,
        )


@strawberry.input
class UpdateInteractionInput:
    channel: domain.Channel | None = None
    direction: domain.Direction | None = None
    subject: str | None = None
    content: str | None = None
    occurred_at: datetime | None = None
    duration_seconds: int | None = None

    def to_changes(self) -> domain.InteractionChanges:
        return domain.InteractionChanges(
            channel=self.channel,
            direction=self.direction,
            subject=self.subject,
            content=self.content,
            occurred_at=self.occurred_at,
            duration_seconds=self.duration_seconds,
        )
