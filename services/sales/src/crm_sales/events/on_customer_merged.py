"""Consumed `customer.merged.v1`: the opportunities of the merged-away customers are re-keyed
to the survivor (`data.survivorId`, or `data.customer.id`, or the subject); the merged
customers are `data.mergedIds` (or a single `data.mergedId` / `sourceId`). What moved is
remembered under `data.mergeId` (the event id when there is none), for `customer.unmerged.v1`."""

from __future__ import annotations

from crm_kit.consumer import EventHandler
from crm_kit.events import CloudEvent
from crm_kit.uow import Transaction
from crm_sales.customers.model import CustomerMove
from crm_sales.customers.service import CustomerService
from crm_sales.events.customer_event import MalformedEvent, customer_id

TYPE = "customer.merged.v1"


def merge_move(event: CloudEvent) -> CustomerMove:
    data = event.data
    survivor = str(data.get("survivorId") or customer_id(event))
    raw = data.get("mergedIds")
    if raw is None:
        single = data.get("mergedId") or data.get("sourceId")
        raw = [single] if single else []
    if not isinstance(raw, list):
        raise MalformedEvent(f"{event.type} {event.id}: mergedIds must be a list")
    merged = tuple(str(m) for m in raw if m and str(m) != survivor)
    if not merged:
        raise MalformedEvent(f"{event.type} {event.id} names no merged customer")
    return CustomerMove(str(data.get("mergeId") or event.id), survivor, merged)


def handler(customers: CustomerService) -> EventHandler:
    async def handle(event: CloudEvent, tx: Transaction) -> None:
        await customers.merge(merge_move(event), event.time, tx.session)

    return handle
