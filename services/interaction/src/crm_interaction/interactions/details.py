"""What a communication record says beyond channel and content (pure): who took part, how it
ended, the agreed next step, tags and attachments (metadata only — files live elsewhere).

Participants are staff (by staff id) or the customer's contact persons (by their contact id
in the customer service and/or a name as written down). Attachments name a file by an
https/http URL or a storage key, with its content type and size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from crm_kit.errors import FieldError

MAX_PARTICIPANTS = 50
MAX_TAGS = 20
TAG_MAX_CHARS = 50
NEXT_STEP_MAX_CHARS = 1_000
NAME_MAX_CHARS = 100
ID_MAX_CHARS = 100
MAX_ATTACHMENTS = 20
ATTACHMENT_NAME_MAX_CHARS = 255
ATTACHMENT_MAX_BYTES = 100 * 1024 * 1024
URL_MAX_CHARS = 2_000
STORAGE_KEY_MAX_CHARS = 500

_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")
_STORAGE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.=-]*$")


class Outcome(StrEnum):
    SUCCESSFUL = "SUCCESSFUL"
    FOLLOW_UP_NEEDED = "FOLLOW_UP_NEEDED"
    NO_ANSWER = "NO_ANSWER"
    NOT_INTERESTED = "NOT_INTERESTED"
    COMPLAINT = "COMPLAINT"
    OTHER = "OTHER"


class ParticipantKind(StrEnum):
    STAFF = "STAFF"
    CONTACT = "CONTACT"


@dataclass(frozen=True, slots=True)
class Participant:
    kind: ParticipantKind
    id: str | None = None  # staff id, or the contact person's id in the customer service
    name: str | None = None  # as written down (contact persons without an id)


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str
    content_type: str
    size_bytes: int
    url: str | None = None
    storage_key: str | None = None


@dataclass(frozen=True, slots=True)
class RecordDetails:
    participants: tuple[Participant, ...] = ()
    outcome: Outcome | None = None
    next_step: str | None = None
    tags: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def _participant_errors(index: int, p: Participant) -> list[FieldError]:
    field = f"participants[{index}]"
    errors: list[FieldError] = []
    if p.kind is ParticipantKind.STAFF and _blank(p.id):
        errors.append(FieldError(f"{field}.id", "REQUIRED", "a staff participant needs a staff id"))
    if p.kind is ParticipantKind.CONTACT and _blank(p.id) and _blank(p.name):
        errors.append(
            FieldError(field, "REQUIRED", "a contact participant needs a contact id or a name")
        )
    if p.id is not None and len(p.id.strip()) > ID_MAX_CHARS:
        errors.append(FieldError(f"{field}.id", "TOO_LONG", f"at most {ID_MAX_CHARS} characters"))
    if p.name is not None and len(p.name.strip()) > NAME_MAX_CHARS:
        errors.append(
            FieldError(f"{field}.name", "TOO_LONG", f"at most {NAME_MAX_CHARS} characters")
        )
    return errors


def _location_errors(field: str, a: Attachment) -> list[FieldError]:
    if _blank(a.url) and _blank(a.storage_key):
        return [FieldError(field, "REQUIRED", "an attachment needs a url or a storageKey")]
    errors: list[FieldError] = []
    if a.url is not None and not _blank(a.url):
        parts = urlsplit(a.url.strip())
        if len(a.url) > URL_MAX_CHARS or parts.scheme not in ("https", "http") or not parts.netloc:
            errors.append(FieldError(f"{field}.url", "INVALID", "url must be an http(s) URL"))
    if a.storage_key is not None and not _blank(a.storage_key):
        key = a.storage_key.strip()
        if len(key) > STORAGE_KEY_MAX_CHARS or not _STORAGE_KEY.match(key) or ".." in key:
            errors.append(
                FieldError(f"{field}.storageKey", "INVALID", "storageKey is not a valid key")
            )
    return errors


def _attachment_errors(index: int, a: Attachment) -> list[FieldError]:
    field = f"attachments[{index}]"
    errors: list[FieldError] = []
    if _blank(a.name):
        errors.append(FieldError(f"{field}.name", "REQUIRED", "an attachment needs a name"))
    elif len(a.name.strip()) > ATTACHMENT_NAME_MAX_CHARS:
        errors.append(
            FieldError(
                f"{field}.name", "TOO_LONG", f"at most {ATTACHMENT_NAME_MAX_CHARS} characters"
            )
        )
    if not _CONTENT_TYPE.match(a.content_type.strip().lower()):
        errors.append(
            FieldError(f"{field}.contentType", "INVALID", "contentType must look like type/subtype")
        )
    if not 0 <= a.size_bytes <= ATTACHMENT_MAX_BYTES:
        errors.append(
            FieldError(
                f"{field}.sizeBytes",
                "OUT_OF_RANGE",
                f"sizeBytes must be between 0 and {ATTACHMENT_MAX_BYTES}",
            )
        )
    return errors + _location_errors(field, a)


def _tag_errors(tags: tuple[str, ...]) -> list[FieldError]:
    errors: list[FieldError] = []
    if len(tags) > MAX_TAGS:
        errors.append(FieldError("tags", "TOO_MANY", f"at most {MAX_TAGS} tags"))
    for index, tag in enumerate(tags):
        if _blank(tag):
            errors.append(FieldError(f"tags[{index}]", "REQUIRED", "a tag must not be blank"))
        elif len(tag.strip()) > TAG_MAX_CHARS:
            errors.append(
                FieldError(f"tags[{index}]", "TOO_LONG", f"at most {TAG_MAX_CHARS} characters")
            )
    return errors


def validate(details: RecordDetails) -> list[FieldError]:
    errors: list[FieldError] = []
    if len(details.participants) > MAX_PARTICIPANTS:
        errors.append(
            FieldError("participants", "TOO_MANY", f"at most {MAX_PARTICIPANTS} participants")
        )
    for index, participant in enumerate(details.participants):
        errors.extend(_participant_errors(index, participant))
    if details.next_step is not None and len(details.next_step) > NEXT_STEP_MAX_CHARS:
        errors.append(
            FieldError("nextStep", "TOO_LONG", f"at most {NEXT_STEP_MAX_CHARS} characters")
        )
    errors.extend(_tag_errors(details.tags))
    if len(details.attachments) > MAX_ATTACHMENTS:
        errors.append(
            FieldError("attachments", "TOO_MANY", f"at most {MAX_ATTACHMENTS} attachments")
        )
    for index, attachment in enumerate(details.attachments):
        errors.extend(_attachment_errors(index, attachment))
    return errors


def _clean(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def normalized(details: RecordDetails) -> RecordDetails:
    """Trimmed, de-duplicated (participants and tags keep their first occurrence)."""
    participants = tuple(
        dict.fromkeys(
            Participant(p.kind, _clean(p.id), _clean(p.name)) for p in details.participants
        )
    )
    return RecordDetails(
        participants=participants,
        outcome=details.outcome,
        next_step=_clean(details.next_step),
        tags=tuple(dict.fromkeys(t.strip() for t in details.tags)),
        attachments=tuple(
            Attachment(
                a.name.strip(),
                a.content_type.strip().lower(),
                a.size_bytes,
                _clean(a.url),
                _clean(a.storage_key),
            )
            for a in details.attachments
        ),
    )


def staff_ids(details: RecordDetails) -> list[str]:
    return [p.id for p in details.participants if p.kind is ParticipantKind.STAFF and p.id]


def to_doc(details: RecordDetails) -> dict[str, object]:
    return {
        "participants": [
            {"kind": str(p.kind), "id": p.id, "name": p.name} for p in details.participants
        ],
        "outcome": str(details.outcome) if details.outcome else None,
        "nextStep": details.next_step,
        "tags": list(details.tags),
        "attachments": [
            {
                "name": a.name,
                "contentType": a.content_type,
                "sizeBytes": a.size_bytes,
                "url": a.url,
                "storageKey": a.storage_key,
            }
            for a in details.attachments
        ],
    }


def from_doc(doc: dict[str, object]) -> RecordDetails:
    participants = doc.get("participants") or []
    attachments = doc.get("attachments") or []
    outcome = doc.get("outcome")
    next_step = doc.get("nextStep")
    tags = doc.get("tags") or []
    assert isinstance(participants, list) and isinstance(attachments, list)
    assert isinstance(tags, list)
    return RecordDetails(
        participants=tuple(
            Participant(ParticipantKind(p["kind"]), p.get("id"), p.get("name"))
            for p in participants
        ),
        outcome=Outcome(str(outcome)) if outcome else None,
        next_step=str(next_step) if next_step else None,
        tags=tuple(str(t) for t in tags),
        attachments=tuple(
            Attachment(
                a["name"], a["contentType"], int(a["sizeBytes"]), a.get("url"), a.get("storageKey")
            )
            for a in attachments
        ),
    )
