"""GraphQL types for a communication record's details: participants, outcome, next step,
tags and attachment metadata."""

from __future__ import annotations

from typing import Any

import strawberry

from crm_interaction.interactions import details as record_details
from crm_interaction.interactions.details import RecordDetails
from crm_kit.personal import Disclosed
from crm_kit.personal_types import PersonName

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
