"""Communication records: pure data and rules, no I/O.

An `Interaction` is one contact with a customer (a call, an e-mail, a visit, ...): logged by
staff, edited by its author for 7 days (managers any time); the state before each change is
kept as a `Revision`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from crm_interaction.interactions import details as record_details
from crm_interaction.interactions.details import Attachment, Outcome, Participant, RecordDetails
from crm_interaction.shared.clock import to_storage_time
from crm_interaction.timeline.model import TimelineEntry, TimelineKind, entry_id, summary_of
from crm_kit.auth import Principal, Role
from crm_kit.errors import BadUserInput, FieldError, Forbidden
from crm_kit.idempotency_keys import KEY_MAX_CHARS

CONTENT_MAX_CHARS = 10_000
SUBJECT_MAX_CHARS = 200
CUSTOMER_ID_MAX_CHARS = 100
DURATION_MAX_SECONDS = 7 * 24 * 3600
FUTURE_TOLERANCE = timedelta(minutes=5)
IDEMPOTENCY_KEY_MAX_CHARS = KEY_MAX_CHARS  # the kit's guard limit

WRITER_ROLES = (Role.ADMIN, Role.MANAGER, Role.SALES, Role.SERVICE)


class Channel(StrEnum):
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    MEETING = "MEETING"
    VISIT = "VISIT"
    WECHAT = "WECHAT"
    SMS = "SMS"
    CHAT = "CHAT"
    OTHER = "OTHER"


class RevisionAction(StrEnum):
    """What ended a revision: an edit or the deletion."""

    EDITED = "EDITED"
    DELETED = "DELETED"


class Direction(StrEnum):
    INBOUND = "INBOUND"
    OUTBOUND = "OUTBOUND"


@dataclass(frozen=True, slots=True)
class Interaction:
    id: str
    customer_id: str
    channel: Channel
    direction: Direction
    subject: str | None
    content: str
    occurred_at: datetime
    duration_seconds: int | None
    logged_by: str
    created_at: datetime
    version: int = 1
    updated_at: datetime | None = None
    details: RecordDetails = field(default_factory=RecordDetails)


@dataclass(frozen=True, slots=True)
class LogInteraction:
    """The command: what a caller asks to record (unvalidated)."""

    customer_id: str
    channel: Channel
    direction: Direction
    content: str
    subject: str | None = None
    occurred_at: datetime | None = None
    duration_seconds: int | None = None
    idempotency_key: str | None = None
    details: RecordDetails = field(default_factory=RecordDetails)


@dataclass(frozen=True, slots=True)
class Revision:
    """An interaction as it was before an edit or its deletion."""

    version: int
    action: str  # EDITED or DELETED
    actor_id: str
    at: datetime
    subject: str | None
    content: str
    occurred_at: datetime
    details: RecordDetails


def ensure_can_log(principal: Principal) -> None:
    if not principal.has_role(*WRITER_ROLES):
        raise Forbidden(
            "Your role may read interactions but not log them",
            message_key="INTERACTION_READ_ONLY_ROLE",
        )


def _text_errors(command: LogInteraction) -> list[FieldError]:
    errors: list[FieldError] = []
    customer_id = command.customer_id.strip()
    if not customer_id:
        errors.append(FieldError("customerId", "REQUIRED", "customerId is required"))
    elif len(customer_id) > CUSTOMER_ID_MAX_CHARS:
        errors.append(FieldError("customerId", "INVALID", "customerId is not a valid id"))
    if not command.content.strip():
        errors.append(FieldError("content", "REQUIRED", "content is required"))
    elif len(command.content) > CONTENT_MAX_CHARS:
        errors.append(
            FieldError(
                "content", "TOO_LONG", f"content must be at most {CONTENT_MAX_CHARS} characters"
            )
        )
    if command.subject is not None and len(command.subject.strip()) > SUBJECT_MAX_CHARS:
        errors.append(
            FieldError(
                "subject", "TOO_LONG", f"subject must be at most {SUBJECT_MAX_CHARS} characters"
            )
        )
    return errors


def _time_errors(command: LogInteraction, now: datetime) -> list[FieldError]:
    errors: list[FieldError] = []
    if command.occurred_at is not None and to_storage_time(command.occurred_at) > (
        now + FUTURE_TOLERANCE
    ):
        errors.append(
            FieldError("occurredAt", "IN_FUTURE", "occurredAt may be at most 5 minutes ahead")
        )
    if command.duration_seconds is not None and not (
        0 <= command.duration_seconds <= DURATION_MAX_SECONDS
    ):
        errors.append(
            FieldError(
                "durationSeconds",
                "OUT_OF_RANGE",
                f"durationSeconds must be between 0 and {DURATION_MAX_SECONDS}",
            )
        )
    return errors


def _key_errors(idempotency_key: str | None) -> list[FieldError]:
    if idempotency_key is None:
        return []
    if not idempotency_key.strip():
        return [FieldError("idempotencyKey", "REQUIRED", "idempotencyKey is blank")]
    if len(idempotency_key) > IDEMPOTENCY_KEY_MAX_CHARS:
        return [
            FieldError(
                "idempotencyKey",
                "TOO_LONG",
                f"idempotencyKey must be at most {IDEMPOTENCY_KEY_MAX_CHARS} characters",
            )
        ]
    return []


def validate(command: LogInteraction, now: datetime) -> list[FieldError]:
    return [
        *_text_errors(command),
        *_time_errors(command, now),
        *record_details.validate(command.details),
        *_key_errors(command.idempotency_key),
    ]


def new_interaction(
    command: LogInteraction, *, id: str, logged_by: str, now: datetime
) -> Interaction:
    """Validate the command and build the interaction, or raise BAD_USER_INPUT."""
    now = to_storage_time(now)
    errors = validate(command, now)
    if errors:
        raise BadUserInput(errors)
    subject = command.subject.strip() if command.subject is not None else None
    return Interaction(
        id=id,
        customer_id=command.customer_id.strip(),
        channel=command.channel,
        direction=command.direction,
        subject=subject or None,
        content=command.content,
        occurred_at=to_storage_time(command.occurred_at) if command.occurred_at else now,
        duration_seconds=command.duration_seconds,
        logged_by=logged_by,
        created_at=now,
        details=record_details.normalized(command.details),
    )


EDIT_WINDOW = timedelta(days=7)
EDIT_ANY_ROLES = (Role.ADMIN, Role.MANAGER)


@dataclass(frozen=True, slots=True)
class InteractionChanges:
    """What an edit changes (None = unchanged)."""

    channel: Channel | None = None
    direction: Direction | None = None
    subject: str | None = None
    content: str | None = None
    occurred_at: datetime | None = None
    duration_seconds: int | None = None
    participants: tuple[Participant, ...] | None = None
    outcome: Outcome | None = None
    next_step: str | None = None  # "" clears it
    tags: tuple[str, ...] | None = None
    attachments: tuple[Attachment, ...] | None = None

    def details(self, current: RecordDetails) -> RecordDetails:
        return RecordDetails(
            participants=current.participants if self.participants is None else self.participants,
            outcome=self.outcome or current.outcome,
            next_step=current.next_step if self.next_step is None else self.next_step,
            tags=current.tags if self.tags is None else self.tags,
            attachments=current.attachments if self.attachments is None else self.attachments,
        )


def ensure_can_change(interaction: Interaction, principal: Principal, now: datetime) -> None:
    """The author may edit or delete for 7 days after logging; managers and admins any time."""
    if principal.has_role(*EDIT_ANY_ROLES):
        return
    ensure_can_log(principal)
    if principal.sub != interaction.logged_by:
        raise Forbidden(
            "Only the author, a manager or an admin may change this interaction",
            message_key="INTERACTION_NOT_AUTHOR",
        )
    if now - interaction.created_at > EDIT_WINDOW:
        raise Forbidden(
            "Interactions can be changed by their author for 7 days only",
            message_key="INTERACTION_EDIT_WINDOW",
        )


def edit(interaction: Interaction, changes: InteractionChanges, now: datetime) -> Interaction:
    now = to_storage_time(now)
    command = LogInteraction(
        customer_id=interaction.customer_id,
        channel=changes.channel or interaction.channel,
        direction=changes.direction or interaction.direction,
        content=changes.content if changes.content is not None else interaction.content,
        subject=changes.subject if changes.subject is not None else interaction.subject,
        occurred_at=changes.occurred_at or interaction.occurred_at,
        duration_seconds=changes.duration_seconds
        if changes.duration_seconds is not None
        else interaction.duration_seconds,
        details=changes.details(interaction.details),
    )
    errors = validate(command, now)
    if errors:
        raise BadUserInput(errors)
    subject = command.subject.strip() if command.subject is not None else None
    return replace(
        interaction,
        channel=command.channel,
        direction=command.direction,
        subject=subject or None,
        content=command.content,
        occurred_at=to_storage_time(command.occurred_at or interaction.occurred_at),
        duration_seconds=command.duration_seconds,
        details=record_details.normalized(command.details),
        version=interaction.version + 1,
        updated_at=now,
    )


def timeline_entry(item: Interaction) -> TimelineEntry:
    """How an interaction appears on its customer's timeline."""
    return TimelineEntry(
        id=entry_id(TimelineKind.INTERACTION, item.id),
        customer_id=item.customer_id,
        kind=TimelineKind.INTERACTION,
        ref_id=item.id,
        at=item.occurred_at,
        title=item.subject or f"{item.channel} {item.direction.lower()}",
        summary=summary_of(item.content),
        status=str(item.channel),
        actor_id=item.logged_by,
    )
