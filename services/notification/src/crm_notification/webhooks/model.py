"""Webhook subscriptions (pure): what they may subscribe to, how they are registered, and
the rule that disables a receiver after too many consecutive failures."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime

from crm_kit.errors import BadUserInput

WEBHOOK_EVENT_TYPES: tuple[str, ...] = (
    "customer.created.v1",
    "customer.updated.v1",
    "customer.assigned.v1",
    "customer.merged.v1",
    "customer.unmerged.v1",
    "customer.archived.v1",
    "customer.erased.v1",
    "interaction.logged.v1",
    "ticket.created.v1",
    "ticket.assigned.v1",
    "ticket.status_changed.v1",
    "ticket.sla_breached.v1",
    "task.created.v1",
    "task.due.v1",
    "task.completed.v1",
    "task.updated.v1",
    "task.overdue.v1",
    "ticket.comment_added.v1",
    "purchase.recorded.v1",
    "customer.import_finished.v1",
    "customer.export_finished.v1",
    "opportunity.created.v1",
    "opportunity.updated.v1",
    "opportunity.stage_changed.v1",
    "opportunity.won.v1",
    "opportunity.lost.v1",
    "opportunity.stalled.v1",
    "opportunity.assigned.v1",
    "opportunity.merged.v1",
)
"""Contract events a webhook may subscribe to (an ERP books won deals from
`opportunity.won.v1`; the opportunity payloads carry no contacts or notes). `notification.*` is
excluded: a webhook delivery announces itself with `notification.delivered.v1`, which must not
loop back."""

DISABLED_BY_ADMIN = "disabled by an administrator"


@dataclass(frozen=True, slots=True)
class WebhookSubscription:
    id: str
    url: str
    event_types: tuple[str, ...]
    secret: str
    enabled: bool
    created_at: datetime
    created_by: str
    description: str = ""
    consecutive_failures: int = 0
    disabled_reason: str | None = None

    def after_outcome(self, ok: bool, disable_after: int) -> WebhookSubscription:
        """A success resets the failure count; the `disable_after`-th consecutive failure
        disables the subscription (its pending deliveries are then given up)."""
        if ok:
            return replace(self, consecutive_failures=0)
        failures = self.consecutive_failures + 1
        if failures >= disable_after:
            return replace(
                self,
                consecutive_failures=failures,
                enabled=False,
                disabled_reason=f"disabled after {failures} consecutive failed attempts",
            )
        return replace(self, consecutive_failures=failures)

    def switched(self, enabled: bool) -> WebhookSubscription:
        """ADMIN enables (resetting the failure count) or disables the subscription."""
        return replace(
            self,
            enabled=enabled,
            consecutive_failures=0 if enabled else self.consecutive_failures,
            disabled_reason=None if enabled else DISABLED_BY_ADMIN,
        )

    def same_request(self, other: WebhookSubscription) -> bool:
        """Whether a retried registration asks for what `self` was registered with."""
        mine = (self.url, self.event_types, self.description)
        return mine == (other.url, other.event_types, other.description)


@dataclass(frozen=True, slots=True)
class Registration:
    """What ADMIN asks for when registering a webhook."""

    url: str
    event_types: tuple[str, ...]
    description: str = ""


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def checked_event_types(event_types: list[str]) -> tuple[str, ...]:
    """The subscribed types, each once; BAD_USER_INPUT for none or an unknown one."""
    unknown = [t for t in event_types if t not in WEBHOOK_EVENT_TYPES]
    if not event_types or unknown:
        raise BadUserInput.single(
            "eventTypes", "UNKNOWN_EVENT_TYPE", f"Unknown or no event types: {unknown}"
        )
    return tuple(dict.fromkeys(event_types))
