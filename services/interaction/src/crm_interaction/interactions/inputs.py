"""GraphQL inputs of communication records: logging one, editing one, and the participants and
attachment metadata both take."""

from __future__ import annotations

from datetime import datetime

import strawberry

from crm_interaction.interactions import details as record_details
from crm_interaction.interactions import model
from crm_kit.idempotency_keys import KEY_MAX_CHARS


@strawberry.input(description="Someone who took part in a contact.")
class ParticipantInput:
    kind: record_details.ParticipantKind = strawberry.field(
        description="A staff member or one of the customer's contact persons."
    )
    id: str | None = strawberry.field(
        default=None,
        description="The staff id (required for STAFF), or the contact person's id in the "
        "customer service; at most 100 characters.",
    )
    name: str | None = strawberry.field(
        default=None,
        description="The contact person's name as written down, at most 100 characters; a "
        "CONTACT needs an id or a name.",
    )

    def to_domain(self) -> record_details.Participant:
        return record_details.Participant(self.kind, self.id, self.name)


@strawberry.input(description="A file attached to a contact: metadata only.")
class AttachmentInput:
    name: str = strawberry.field(description="The file name, 1–255 characters.")
    content_type: str = strawberry.field(
        description="MIME type, e.g. application/pdf (`type/subtype`, else INVALID)"
    )
    size_bytes: int = strawberry.field(
        description="Size in bytes: 0–104 857 600 (100 MiB), else OUT_OF_RANGE."
    )
    url: str | None = strawberry.field(
        default=None, description="http(s) URL of the file, at most 2 000 characters"
    )
    storage_key: str | None = strawberry.field(
        default=None,
        description="Key in the file store (either url or storageKey is required): at most "
        "500 characters of letters, digits and `/_.=-`, starting with a letter or digit, "
        "without `..`",
    )

    def to_domain(self) -> record_details.Attachment:
        return record_details.Attachment(
            self.name, self.content_type, self.size_bytes, self.url, self.storage_key
        )


def participants_in(
    values: list[ParticipantInput] | None,
) -> tuple[record_details.Participant, ...]:
    return tuple(p.to_domain() for p in values or ())


def attachments_in(values: list[AttachmentInput] | None) -> tuple[record_details.Attachment, ...]:
    return tuple(a.to_domain() for a in values or ())


@strawberry.input(description="A contact with a customer, to record.")
class LogInteractionInput:
    customer_id: strawberry.ID = strawberry.field(
        description="The customer contacted; a merged customer's id files the record under the "
        "customer it was merged into."
    )
    channel: model.Channel = strawberry.field(description="How the contact took place.")
    direction: model.Direction = strawberry.field(description="Who initiated it.")
    content: str = strawberry.field(
        description=f"What was said or done: 1–{model.CONTENT_MAX_CHARS} characters."
    )
    subject: str | None = strawberry.field(
        default=None,
        description=f"A short subject, at most {model.SUBJECT_MAX_CHARS} characters.",
    )
    occurred_at: datetime | None = strawberry.field(
        default=None,
        description="When it happened (UTC); defaults to now; at most 5 minutes ahead.",
    )
    duration_seconds: int | None = strawberry.field(
        default=None,
        description=f"How long it lasted, in seconds: 0–{model.DURATION_MAX_SECONDS} (7 days).",
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Retrying with the same key returns the first interaction, creates nothing "
        f"(1–{KEY_MAX_CHARS} characters, per caller; reused for a different request: CONFLICT).",
    )
    participants: list[ParticipantInput] | None = strawberry.field(
        default=None,
        description=f"Who took part, at most {record_details.MAX_PARTICIPANTS}; repeats are "
        "dropped.",
    )
    outcome: record_details.Outcome | None = strawberry.field(
        default=None, description="How the contact ended."
    )
    next_step: str | None = strawberry.field(
        default=None,
        description=f"The agreed next step, at most {record_details.NEXT_STEP_MAX_CHARS} "
        "characters.",
    )
    tags: list[str] | None = strawberry.field(
        default=None,
        description=f"At most {record_details.MAX_TAGS} tags of 1–{record_details.TAG_MAX_CHARS} "
        "characters; repeats are dropped.",
    )
    attachments: list[AttachmentInput] | None = strawberry.field(
        default=None,
        description="Metadata only; the files live in the file store (at most "
        f"{record_details.MAX_ATTACHMENTS}).",
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


@strawberry.input(
    description="What to change on an interaction; omitted fields stay as they are, and the "
    "limits of LogInteractionInput apply."
)
class UpdateInteractionInput:
    channel: model.Channel | None = strawberry.field(default=None, description="A new channel.")
    direction: model.Direction | None = strawberry.field(
        default=None, description="A new direction."
    )
    subject: str | None = strawberry.field(default=None, description='A new subject; "" clears it.')
    content: str | None = strawberry.field(default=None, description="New content.")
    occurred_at: datetime | None = strawberry.field(
        default=None, description="A new time of the contact (at most 5 minutes ahead)."
    )
    duration_seconds: int | None = strawberry.field(
        default=None, description="A new duration in seconds."
    )
    participants: list[ParticipantInput] | None = strawberry.field(
        default=None, description="Replaces the participants when given"
    )
    outcome: record_details.Outcome | None = strawberry.field(
        default=None, description="A new outcome (an outcome cannot be cleared)."
    )
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
