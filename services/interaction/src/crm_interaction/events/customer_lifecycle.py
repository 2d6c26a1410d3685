"""Consumed: `customer.archived.v1`, `customer.merged.v1`, `customer.erased.v1`.

Accepted shapes (the customer service owns them): the subject is the customer concerned; a
merge names the survivor as `data.survivorId` (or `data.customer.id`, or the subject) and
the merged-away customers as `data.mergedIds` (or a single `data.mergedId` / `sourceId`).
"""

from __future__ import annotations

from typing import Any

from crm_interaction.events.customer_changed import MalformedEvent
from crm_kit.events import CloudEvent

ARCHIVED = "customer.archived.v1"
MERGED = "customer.merged.v1"
ERASED = "customer.erased.v1"


def _customer_id(event: CloudEvent) -> str:
    snapshot: Any = event.data.get("customer")
    candidate = (
        event.data.get("customerId")
        or (snapshot.get("id") if isinstance(snapshot, dict) else None)
        or event.subject
    )
    if not candidate:
        raise MalformedEvent(f"{event.type} {event.id} names no customer")
    return str(candidate)


def archived_id(event: CloudEvent) -> str:
    return _customer_id(event)


def erased_id(event: CloudEvent) -> str:
    return _customer_id(event)


def merge_ids(event: CloudEvent) -> tuple[str, list[str]]:
    data = event.data
    survivor = data.get("survivorId") or _customer_id(event)
    raw = data.get("mergedIds")
    if raw is None:
        single = data.get("mergedId") or data.get("sourceId")
        raw = [single] if single else []
    if not isinstance(raw, list):
        raise MalformedEvent(f"{event.type} {event.id}: mergedIds must be a list")
    merged = [str(m) for m in raw if m and str(m) != str(survivor)]
    if not merged:
        raise MalformedEvent(f"{event.type} {event.id} names no merged customer")
    return str(survivor), merged
