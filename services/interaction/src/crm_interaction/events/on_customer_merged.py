"""Consumed `customer.merged.v1`: everything filed under the merged-away customers moves to
the survivor, who is named as `data.survivorId` (or `data.customer.id`, or the subject); the
merged customers as `data.mergedIds` (or a single `data.mergedId` / `sourceId`). What moved is
remembered under `data.mergeId` (the event id when there is none), for `customer.unmerged.v1`."""

from __future__ import annotations

from crm_interaction.customers.model import CustomerMove
from crm_interaction.customers.service import CustomerService
from crm_interaction.events.customer_event import MalformedEvent, customer_id, timeline_note
from crm_kit.consumer import EventHandler
from crm_kit.events import CloudEvent
from crm_kit.uow import Transaction

TYPE = "customer.merged.v1"


def merge_ids(event: CloudEvent) -> tuple[str, list[str]]:
    """(the survivor, the merged-away customers)."""
    data = event.data
    survivor = data.get("survivorId") or customer_id(event)
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


def handler(customers: CustomerService) -> EventHandler:
    async def handle(event: CloudEvent, tx: Transaction) -> None:
        survivor, merged = merge_ids(event)
        merge_id = str(event.data.get("mergeId") or event.id)
        await customers.merge(
            CustomerMove(merge_id, survivor, tuple(merged)), event.time, tx.session
        )
        title = f"Merged {len(merged)} duplicate record(s) into this one"
        await customers.note(timeline_note(event, survivor, title), tx.session)

    return handle
