"""GraphQL types of communication records: the interaction, its details (participants,
outcome, next step, tags, attachment metadata), its revisions, and the inputs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import strawberry

from crm_interaction.graphql.context import Info
from crm_interaction.graphql.customer_ref import CustomerEntity, customer_ref
from crm_interaction.interactions import details as record_details
from crm_interaction.interactions import model
from crm_interaction.interactions.details import RecordDetails
from crm_kit.graphql import PageInfo
from crm_kit.personal import Disclosed
from crm_kit.personal_types import PersonName

strawberry.enum(model.Channel, description="How the contact took place")
strawberry.enum(model.Direction, description="Who initiated the contact")
strawberry.enum(record_details.Outcome, description="How a contact ended")
strawberry.enum(record_details.ParticipantKind, description="Staff member or customer contact")


@strawberry.type(name="Participant", description="Someone who took part in a contact")
class ParticipantType:
    kind: record_details.ParticipantKind
    id: str | None = strawberry.field(
        description="Staff id, or the contact person's id in the customer service"
    )
    name: PersonName | None = strawberry.field(
        description="The contact person's name as written down (a staff member's in clear)"
    )


@strawberry.type(name="Attachment", description="Metadata of a file attached to a contact")
class AttachmentType:
    name: str
    content_type: str
    size_bytes: int
    url: str | None
    storage_key: str | None


@strawberry.input
class ParticipantInput:
    kind: record_details.ParticipantKind
    id: str | None = None
    name: str | None = None

    def to_domain(self) -> record_details.Participant:
        return record_details.Participant(self.kind, self.id, self.name)


@strawberry.input
class AttachmentInput:
    name: str
    content_type: str = strawberry.field(description="MIME type, e.g. application/pdf")
    size_bytes: int
    url: str | None = strawberry.field(default=None, description="http(s) URL of the file")
    storage_key: str | None = strawberry.field(
        default=None, description="Key in the file store (either url or storageKey is required)"
    )

    def to_domain(self) -> record_details.Attachment:
        return record_details.Attachment(
            self.name, self.content_type, self.size_bytes, self.url, self.storage_key
        )


def participants_of(details: RecordDetails) -> list[ParticipantType]:
    return [
        ParticipantType(kind=p.kind, id=p.id, name=_participant_name(p))
        for p in details.participants
    ]


def _participant_name(p: record_details.Participant) -> Any:
    """A colleague's name is not customer personal data; a contact person's is."""
    if p.name is None:
        return None
    if p.kind is record_details.ParticipantKind.STAFF:
        return Disclosed(p.name)
    return p.name


def attachments_of(details: RecordDetails) -> list[AttachmentType]:
    return [
        AttachmentType(
            name=a.name,
            content_type=a.content_type,
            size_bytes=a.size_bytes,
            url=a.url,
            storage_key=a.storage_key,
        )
        for a in details.attachments
    ]


def participants_in(
    values: list[ParticipantInput] | None,
) -> tuple[record_details.Participant, ...]:
    return tuple(p.to_domain() for p in values or ())


def attachments_in(values: list[AttachmentInput] | None) -> tuple[record_details.Attachment, ...]:
    return tuple(a.to_domain() for a in values or ())


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

    @classmethod
    def from_domain(cls, r: model.Revision) -> InteractionRevision:
        return cls(
            version=r.version,
            action=r.action,
            actor_id=r.actor_id,
            at=r.at,
            subject=r.subject,
            content=r.content,
            occurred_at=r.occurred_at,
            outcome=r.details.outcome,
            next_step=r.details.next_step,
            tags=list(r.details.tags),
            participants=participants_of(r.details),
            attachments=attachments_of(r.details),
        )


@strawberry.type(name="Interaction", description="One contact with a customer")
class InteractionType:
    id: strawberry.ID
    customer_id: strawberry.ID
    channel: model.Channel
    direction: model.Direction
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
        revisions = await info.context.deps.interaction_queries.history(str(self.id))
        return [InteractionRevision.from_domain(r) for r in revisions]

    @strawberry.field(description="The customer contacted (resolved by the customer subgraph)")
    def customer(self) -> CustomerEntity:
        return customer_ref(str(self.customer_id))

    @classmethod
    def from_domain(cls, interaction: model.Interaction) -> InteractionType:
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
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="All interactions of the customer, not only this page")
    async def total_count(self) -> int:
        return await self.count()


@strawberry.input
class LogInteractionInput:
    customer_id: strawberry.ID
    channel: model.Channel
    direction: model.Direction
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

    def to_command(self) -> model.LogInteraction:
        return model.LogInteraction(
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
    channel: model.Channel | None = None
    direction: model.Direction | None = None
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

    def to_changes(self) -> model.InteractionChanges:
        return model.InteractionChanges(
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
