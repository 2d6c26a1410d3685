"""The assignment rule written as code (pure): the new owner of a customer is told in-app.
The consumer applies the data rule `customer-assigned` (rules/defaults.py); this is the rule's
plain statement, kept with its tests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crm_notification.channels.model import Channel
from crm_notification.inbox.model import (
    DEFAULT_LANGUAGE,
    Language,
    Notification,
    NotificationType,
    notification_id,
)
from crm_notification.rules.templates import render
from crm_notification.shared.clock import to_millis


@dataclass(frozen=True, slots=True)
class CustomerAssigned:
    """What this service needs from `customer.assigned.v1`."""

    event_id: str
    customer_id: str
    display_name: str
    owner_id: str | None
    previous_owner_id: str | None
    actor_id: str | None

    @classmethod
    def from_event(cls, event_id: str, subject: str, data: Mapping[str, Any]) -> CustomerAssigned:
        customer = data.get("customer")
        customer = customer if isinstance(customer, Mapping) else {}
        customer_id = subject or str(customer.get("id") or "")
        if not customer_id:
            raise ValueError("customer.assigned.v1 without a customer id")
        return cls(
            event_id=event_id,
            customer_id=customer_id,
            display_name=str(customer.get("displayName") or customer_id),
            owner_id=_opt_str(data.get("ownerId")),
            previous_owner_id=_opt_str(data.get("previousOwnerId")),
            actor_id=_opt_str(data.get("actorId")),
        )


def _opt_str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def notifications_for_assignment(
    event: CustomerAssigned, now: datetime, language: Language = DEFAULT_LANGUAGE
) -> list[Notification]:
    """The new owner is told in-app; nobody is told of their own action or of an unassignment."""
    owner = event.owner_id
    if owner is None or owner == event.actor_id:
        return []
    rendered = render(
        NotificationType.CUSTOMER_ASSIGNED,
        {"displayName": event.display_name, "customerId": event.customer_id},
        language,
    )
    return [
        Notification(
            id=notification_id(event.event_id, owner, Channel.IN_APP),
            type=NotificationType.CUSTOMER_ASSIGNED,
            channel=Channel.IN_APP,
            recipient_id=owner,
            customer_id=event.customer_id,
            title=rendered.title,
            body=rendered.body,
            language=rendered.language,
            source_event_id=event.event_id,
            created_at=to_millis(now),
        )
    ]
