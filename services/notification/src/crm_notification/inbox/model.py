"""The in-app notice (pure): its types and languages, its id, the inbox page."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from crm_kit.errors import BadUserInput
from crm_notification.channels.model import Channel
from crm_notification.shared.clock import to_millis

MAX_IDS_PER_CALL = 500


class NotificationType(StrEnum):
    CUSTOMER_ASSIGNED = "CUSTOMER_ASSIGNED"
    # the assignments of one import or bulk update to one person, as one notice
    CUSTOMERS_ASSIGNED = "CUSTOMERS_ASSIGNED"
    TASK_DUE = "TASK_DUE"
    TICKET_ASSIGNED = "TICKET_ASSIGNED"
    TICKET_SLA_BREACHED = "TICKET_SLA_BREACHED"
    TICKET_STATUS_CHANGED = "TICKET_STATUS_CHANGED"
    TASK_OVERDUE = "TASK_OVERDUE"
    TICKET_MENTION = "TICKET_MENTION"
    INTERACTION_MENTION = "INTERACTION_MENTION"
    IMPORT_FINISHED = "IMPORT_FINISHED"
    EXPORT_FINISHED = "EXPORT_FINISHED"
    CUSTOMER_TICKET_UPDATE = "CUSTOMER_TICKET_UPDATE"  # to the customer's email
    # sales (opportunity.*.v1 events)
    OPPORTUNITY_ASSIGNED = "OPPORTUNITY_ASSIGNED"
    # the assignments of one bulkAssignOpportunities call to one person, as one notice
    OPPORTUNITIES_ASSIGNED = "OPPORTUNITIES_ASSIGNED"
    OPPORTUNITY_STALLED = "OPPORTUNITY_STALLED"
    OPPORTUNITY_WON = "OPPORTUNITY_WON"
    OPPORTUNITY_LOST = "OPPORTUNITY_LOST"


class BatchKind(StrEnum):
    """The bulk action a collapsed notice stands for (the producer's `batch.kind`)."""

    IMPORT = "IMPORT"
    BULK_UPDATE = "BULK_UPDATE"
    BULK_ASSIGN = "BULK_ASSIGN"  # a bulkAssignOpportunities call (sales)


class Language(StrEnum):
    ZH_CN = "zh-CN"
    EN = "en"


DEFAULT_LANGUAGE = Language.ZH_CN


def language_of(value: str) -> Language:
    """A client's language code; BAD_USER_INPUT when it is not one of ours."""
    try:
        return Language(value)
    except ValueError as exc:
        raise BadUserInput.single("language", "UNSUPPORTED", "Use zh-CN or en") from exc


def notification_id(event_id: str, recipient_id: str, channel: Channel) -> str:
    """Deterministic id: the same event can never notify the same person twice on a channel."""
    digest = hashlib.sha256(f"{event_id}\x1f{recipient_id}\x1f{channel}".encode()).hexdigest()
    return f"ntf_{digest[:32]}"


@dataclass(frozen=True, slots=True)
class NotificationBatch:
    """The import or bulk update a collapsed notice stands for, and how many of its changes."""

    kind: str  # IMPORT | BULK_UPDATE | BULK_ASSIGN (the producer's `batch.kind`)
    id: str
    count: int


@dataclass(frozen=True, slots=True)
class Notification:
    id: str
    type: NotificationType
    channel: Channel
    recipient_id: str
    customer_id: str | None
    title: str
    body: str
    language: Language
    source_event_id: str
    created_at: datetime
    read: bool = False
    read_at: datetime | None = None
    archived: bool = False
    batch: NotificationBatch | None = None
    link: str | None = None  # where the client opens what the notice is about

    def mark_read(self, at: datetime) -> Notification:
        if self.read:
            return self
        return replace(self, read=True, read_at=to_millis(at))


@dataclass(frozen=True, slots=True)
class InboxFilter:
    """Which of one recipient's notifications: the inbox (or with `archived` the archive),
    optionally only the unread ones, those of `types` (any when empty) and those created within
    `created` (a MongoDB condition on `created_at` from `crm_kit.listing.range_condition`; None
    bounds nothing)."""

    unread_only: bool = False
    archived: bool = False
    types: tuple[NotificationType, ...] = ()
    created: Mapping[str, datetime] | None = None


UNREAD = InboxFilter(unread_only=True)  # the recipient's unread inbox (unreadCount)


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Notification]
    has_next: bool


@dataclass(frozen=True, slots=True)
class InboxChange:
    changed: int  # notifications that changed (read, or archived)
    unread: int  # the recipient's unread notifications afterwards


def checked_ids(ids: Sequence[str]) -> list[str]:
    """The ids of one mark-read or archive call; BAD_USER_INPUT beyond MAX_IDS_PER_CALL."""
    if len(ids) > MAX_IDS_PER_CALL:
        raise BadUserInput.single("ids", "TOO_MANY", f"At most {MAX_IDS_PER_CALL} ids per call")
    return [str(i) for i in ids]
