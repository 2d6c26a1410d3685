"""Reading the consumed customer events (the customer service owns their shapes).

`customer.created.v1`, `customer.updated.v1` and `customer.assigned.v1` carry the customer's
snapshot under `data.customer` (`assigned` also repeats `ownerId` and `team` at the top level).
The lifecycle events (`archived`, `merged`, `erased`) name the customer concerned as
`data.customerId`, `data.customer.id` or the subject; `unmerged` also carries the snapshot of
each restored customer under `data.restored`. Read: ids, owner, team, stage, version and the
`displayName` (a company's name in full, a person's masked as the event carries it: the name
a new quote is addressed to by default); no contact details.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from crm_kit.events import CloudEvent
from crm_sales.customers.model import CustomerView


class MalformedEvent(ValueError):
    """The event does not carry what its handler needs (it ends in the dead-letter queue)."""


def _optional_str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _time(value: Any, fallback: datetime) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise MalformedEvent("updatedAt is not ISO-8601") from exc
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return fallback


def customer_view(event: CloudEvent) -> CustomerView:
    """The customer as the event's snapshot describes it."""
    return snapshot_view(event, event.data.get("customer"), event.subject)


def snapshot_view(event: CloudEvent, snapshot: Any, fallback_id: str | None) -> CustomerView:
    """The customer as one snapshot of the event describes it (`fallback_id` when the snapshot
    names none)."""
    if not isinstance(snapshot, dict):
        raise MalformedEvent(f"{event.type} {event.id} has no customer snapshot")
    customer_id = snapshot.get("id") or fallback_id
    version = snapshot.get("version")
    if not customer_id or not isinstance(version, int) or isinstance(version, bool):
        raise MalformedEvent(f"{event.type} {event.id} lacks customer id or integer version")
    return CustomerView(
        id=str(customer_id),
        display_name=str(snapshot.get("displayName") or ""),
        owner_id=_optional_str(snapshot.get("ownerId", event.data.get("ownerId"))),
        team=_optional_str(snapshot.get("team", event.data.get("team"))),
        stage=str(snapshot.get("stage") or ""),
        version=version,
        updated_at=_time(snapshot.get("updatedAt"), event.time),
    )


def customer_id(event: CloudEvent) -> str:
    """The customer a lifecycle event concerns."""
    snapshot: Any = event.data.get("customer")
    candidate = (
        event.data.get("customerId")
        or (snapshot.get("id") if isinstance(snapshot, dict) else None)
        or event.subject
    )
    if not candidate:
        raise MalformedEvent(f"{event.type} {event.id} names no customer")
    return str(candidate)
