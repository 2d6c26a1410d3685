"""GraphQL types of communication records: the interaction, its details (participants,
outcome, next step, tags, attachment metadata) and its revisions (the inputs: `inputs`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import strawberry

from crm_interaction.graphql.context import Info
from crm_interaction.graphql.customer_ref import CustomerEntity, customer_ref
from crm_interaction.graphql.staff_ref import StaffMember, staff_ref
from crm_interaction.interactions import details as record_details
from crm_interaction.interactions import model
from crm_interaction.interactions.details import Outcome, ParticipantKind, RecordDetails
from crm_interaction.interactions.model import Channel, Direction, RevisionAction
from crm_interaction.viewer.abilities import interaction_can_update
from crm_kit.graphql import PageInfo, described_enum
from crm_kit.personal import Disclosed
from crm_kit.personal_types import PersonName

described_enum(
    Channel,
    "How the contact took place",
    {
        Channel.PHONE: "A phone call.",
        Channel.EMAIL: "An e-mail.",
        Channel.MEETING: "A meeting.",
        Channel.VISIT: "A visit (staff at the customer's, or the customer at ours).",
        Channel.WECHAT: "A WeChat message or call.",
        Channel.SMS: "A text message.",
        Channel.CHAT: "An online chat.",
        Channel.OTHER: "Any other way.",
    },
)
described_enum(
    Direction,
    "Who initiated the contact",
    {
        Direction.INBOUND: "The customer contacted us.",
        Direction.OUTBOUND: "We contacted the customer.",
    },
)
described_enum(
    Outcome,
    "How a contact ended",
    {
        Outcome.SUCCESSFUL: "It achieved its purpose.",
        Outcome.FOLLOW_UP_NEEDED: "Something remains to be done (see `nextStep`).",
        Outcome.NO_ANSWER: "The customer could not be reached.",
        Outcome.NOT_INTERESTED: "The customer was not interested.",
        Outcome.COMPLAINT: "The customer complained.",
        Outcome.OTHER: "Any other result.",
    },
)
described_enum(
    ParticipantKind,
    "Staff member or customer contact",
    {
        ParticipantKind.STAFF: "A staff member, named by staff id.",
        ParticipantKind.CONTACT: "One of the customer's contact persons, named by their "
        "contact id and/or their name.",
    },
)


@strawberry.type(name="Participant", description="Someone who took part in a contact")
class ParticipantType:
    kind: record_details.ParticipantKind = strawberry.field(
        description="Staff member or contact person."
    )
    id: str | None = strawberry.field(
        description="Staff id, or the contact person's id in the customer service"
    )
    name: PersonName | None = strawberry.field(
        description="The contact person's name as written down (a staff member's in clear)"
    )


@strawberry.type(name="Attachment", description="Metadata of a file attached to a contact")
class AttachmentType:
    name: str = strawberry.field(description="The file name.")
    content_type: str = strawberry.field(description="MIME type, lower case (`application/pdf`).")
    size_bytes: int = strawberry.field(description="Size in bytes (at most 100 MiB).")
    url: str | None = strawberry.field(
        description="Where the file is (http or https URL); null when it has a storage key only."
    )
    storage_key: str | None = strawberry.field(
        description="The file's key in the file store (null when it has a url only)."
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


described_enum(
    RevisionAction,
    "What ended an interaction's revision.",
    {
        RevisionAction.EDITED: "An edit replaced this state.",
        RevisionAction.DELETED: "The interaction was deleted in this state.",
    },
    name="InteractionRevisionAction",
)


@strawberry.type(description="An interaction as it was before an edit or its deletion")
class InteractionRevision:
    version: int = strawberry.field(description="The interaction's version in this state.")
    action: RevisionAction = strawberry.field(description="What ended this state.")
    actor_id: strawberry.ID = strawberry.field(
        description="Staff id of who edited or deleted it (see `actor`)."
    )
    at: datetime = strawberry.field(description="When it was edited or deleted.")
    subject: str | None = strawberry.field(description="The subject in this state.")
    content: str = strawberry.field(description="The content in this state.")
    occurred_at: datetime = strawberry.field(description="The contact's time in this state.")
    outcome: record_details.Outcome | None = strawberry.field(
        description="The outcome in this state."
    )
    next_step: str | None = strawberry.field(description="The next step in this state.")
    tags: list[str] = strawberry.field(description="The tags in this state.")
    participants: list[ParticipantType] = strawberry.field(
        description="The participants in this state."
    )
    attachments: list[AttachmentType] = strawberry.field(
        description="The attachments in this state."
    )

    @classmethod
    def from_domain(cls, r: model.Revision) -> InteractionRevision:
        return cls(
            version=r.version,
            action=RevisionAction(r.action),
            actor_id=strawberry.ID(r.actor_id),
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

    @strawberry.field(
        description="The staff member who edited or deleted it (`actorId` resolved by the customer "
        "subgraph); null when the id is not in the staff directory."
    )
    def actor(self) -> StaffMember | None:
        return staff_ref(self.actor_id)


@strawberry.type(name="Interaction", description="One contact with a customer")
class InteractionType:
    id: strawberry.ID = strawberry.field(description="The interaction's id.")
    customer_id: strawberry.ID = strawberry.field(description="The id of the customer contacted.")
    channel: model.Channel = strawberry.field(description="How the contact took place.")
    direction: model.Direction = strawberry.field(description="Who initiated it.")
    subject: str | None = strawberry.field(
        description=f"A short subject (at most {model.SUBJECT_MAX_CHARS} characters)."
    )
    content: str = strawberry.field(
        description=f"What was said or done (at most {model.CONTENT_MAX_CHARS} characters)."
    )
    occurred_at: datetime = strawberry.field(
        description="When the contact took place (UTC); the list order."
    )
    duration_seconds: int | None = strawberry.field(
        description="How long it lasted, in seconds; null when not recorded."
    )
    logged_by: strawberry.ID = strawberry.field(
        description="Staff id of who logged it (its author; see `author`)."
    )
    created_at: datetime = strawberry.field(description="When it was logged (UTC).")
    version: int = strawberry.field(
        description="1 when logged, +1 per edit: the `expectedVersion` of the next change."
    )
    updated_at: datetime | None = strawberry.field(
        description="When it was last edited; null if never."
    )
    participants: list[ParticipantType] = strawberry.field(
        description=f"Who took part (at most {record_details.MAX_PARTICIPANTS})."
    )
    outcome: record_details.Outcome | None = strawberry.field(
        description="How the contact ended; null when not recorded."
    )
    next_step: str | None = strawberry.field(description="The agreed next step; null when none.")
    tags: list[str] = strawberry.field(
        description=f"Free-text tags (at most {record_details.MAX_TAGS}, no repeats)."
    )
    attachments: list[AttachmentType] = strawberry.field(
        description=f"Files attached (metadata; at most {record_details.MAX_ATTACHMENTS})."
    )
    viewer_can_update: bool = interaction_can_update()
    record: strawberry.Private[model.Interaction | None] = None  # for the viewerCan… check

    @strawberry.field(description="Earlier states, oldest first (kept on every edit/delete)")
    async def history(self, info: Info) -> list[InteractionRevision]:
        _ = info.context.principal
        revisions = await info.context.deps.interaction_queries.history(str(self.id))
        return [InteractionRevision.from_domain(r) for r in revisions]

    @strawberry.field(description="The customer contacted (resolved by the customer subgraph)")
    def customer(self) -> CustomerEntity:
        return customer_ref(str(self.customer_id))

    @strawberry.field(
        description="The staff member who logged it, its author (`loggedBy` resolved by the "
        "customer subgraph); null when the id is not in the staff directory."
    )
    def author(self) -> StaffMember | None:
        return staff_ref(self.logged_by)

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
            logged_by=strawberry.ID(interaction.logged_by),
            created_at=interaction.created_at,
            version=interaction.version,
            updated_at=interaction.updated_at,
            participants=participants_of(interaction.details),
            outcome=interaction.details.outcome,
            next_step=interaction.details.next_step,
            tags=list(interaction.details.tags),
            attachments=attachments_of(interaction.details),
            record=interaction,
        )


@strawberry.type(description="An interaction and its cursor.")
class InteractionEdge:
    cursor: str = strawberry.field(description="Its position, for `after`.")
    node: InteractionType = strawberry.field(description="The interaction.")


@strawberry.type(description="A customer's interactions, newest first")
class InteractionConnection:
    edges: list[InteractionEdge] = strawberry.field(
        description="This page's interactions, newest `occurredAt` first."
    )
    page_info: PageInfo = strawberry.field(description="Where to continue.")
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="All interactions of the customer, not only this page")
    async def total_count(self) -> int:
        return await self.count()
