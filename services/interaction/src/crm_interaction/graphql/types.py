"""GraphQL object, input and enum types of the interaction subgraph."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from crm_interaction.graphql import loaders
from crm_interaction.graphql.context import Info
from crm_interaction.graphql.record_types import (
    AttachmentInput,
    AttachmentType,
    ParticipantInput,
    ParticipantType,
    attachments_in,
    attachments_of,
    participants_in,
    participants_of,
)
from crm_interaction.interactions import details as record_details
from crm_interaction.interactions import model as domain
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
    outcome: record_details.Outcome | None
    next_step: str | None
    tags: list[str]
    participants: list[ParticipantType]
    attachments: list[AttachmentType]


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
    participants: list[ParticipantType]
    outcome: record_details.Outcome | None
    next_step: str | None
    tags: list[str]
    attachments: list[AttachmentType]

    @strawberry.field(description="Earlier states, oldest first (kept on every edit/delete)")
    async def history(self, info: Info) -> list[InteractionRevision]:
        _ = info.context.principal
        docs = await info.context.deps.interactions.history(str(self.id))
        revisions = []
        for d in docs:
            details = record_details.from_doc(d["before"])
            revisions.append(
                InteractionRevision(
                    version=int(d["version"]),
                    action=str(d["action"]),
                    actor_id=str(d["actorId"]),
                    at=d["at"],
                    subject=d["before"].get("subject"),
                    content=str(d["before"].get("content", "")),
                    occurred_at=d["before"]["occurredAt"],
                    outcome=details.outcome,
                    next_step=details.next_step,
                    tags=list(details.tags),
                    participants=participants_of(details),
                    attachments=attachments_of(details),
                )
            )
        return revisions

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
            participants=participants_of(interaction.details),
            outcome=interaction.details.outcome,
            next_step=interaction.details.next_step,
            tags=list(interaction.details.tags),
            attachments=attachments_of(interaction.details),
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
        return await loaders.interaction_counts(info).load((self.customer_id, None))


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
    participants: list[ParticipantInput] | None = None
    outcome: record_details.Outcome | None = None
    next_step: str | None = None
    tags: list[str] | None = None
    attachments: list[AttachmentInput] | None = strawberry.field(
        default=None, description="Metadata only; the files live in the file store"
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
            details=record_details.RecordDetails(
                participants=participants_in(self.participants),
                outcome=self.outcome,
                next_step=self.next_step,
                tags=tuple(self.tags or ()),
                attachments=attachments_in(self.attachments),
            ),
        )


@strawberry.input
class UpdateInteractionInput:
    channel: domain.Channel | None = None
    direction: domain.Direction | None = None
    subject: str | None = None
    content: str | None = None
    occurred_at: datetime | None = None
    duration_seconds: int | None = None
    participants: list[ParticipantInput] | None = strawberry.field(
        default=None, description="Replaces the participants when given"
    )
    outcome: record_details.Outcome | None = None
    next_step: str | None = strawberry.field(default=None, description='"" clears it')
    tags: list[str] | None = strawberry.field(default=None, description="Replaces the tags")
    attachments: list[AttachmentInput] | None = strawberry.field(
        default=None, description="Replaces the attachments when given"
    )

    def to_changes(self) -> domain.InteractionChanges:
        return domain.InteractionChanges(
            channel=self.channel,
            direction=self.direction,
            subject=self.subject,
            content=self.content,
            occurred_at=self.occurred_at,
            duration_seconds=self.duration_seconds,
            participants=participants_in(self.participants)
            if self.participants is not None
            else None,
            outcome=self.outcome,
            next_step=self.next_step,
            tags=tuple(self.tags) if self.tags is not None else None,
            attachments=attachments_in(self.attachments) if self.attachments is not None else None,
        )
