"""Consumed `customer.unmerged.v1`: a merge was undone. The opportunities its
`customer.merged.v1` moved to the survivor (`data.survivorId`) go back to the customers in
`data.restoredIds`, found by `data.mergeId`; opportunities created under the survivor since
stay there. Each restored customer (its snapshot in `data.restored`) is its own again."""

from __future__ import annotations

from typing import Any

from crm_kit.consumer import EventHandler
from crm_kit.events import CloudEvent
from crm_kit.uow import Transaction
from crm_sales.customers.model import CustomerMove
from crm_sales.customers.service import CustomerService
from crm_sales.events.customer_event import MalformedEvent, customer_id, snapshot_view

TYPE = "customer.unmerged.v1"


def undone_move(event: CloudEvent) -> CustomerMove:
    data = event.data
    survivor = str(data.get("survivorId") or customer_id(event))
    merge_id, raw = data.get("mergeId"), data.get("restoredIds")
    if not merge_id:
        raise MalformedEvent(f"{event.type} {event.id} names no mergeId")
    if not isinstance(raw, list):
        raise MalformedEvent(f"{event.type} {event.id}: restoredIds must be a list")
    restored = tuple(str(r) for r in raw if r and str(r) != survivor)
    if not restored:
        raise MalformedEvent(f"{event.type} {event.id} names no restored customer")
    return CustomerMove(str(merge_id), survivor, restored)


def _snapshots(event: CloudEvent) -> dict[str, dict[str, Any]]:
    raw = event.data.get("restored")
    found = [s for s in raw if isinstance(s, dict)] if isinstance(raw, list) else []
    return {str(s.get("id")): s for s in found}


def handler(customers: CustomerService) -> EventHandler:
    async def handle(event: CloudEvent, tx: Transaction) -> None:
        move = undone_move(event)
        await customers.unmerge(move, tx.session)
        snapshots = _snapshots(event)
        for restored in move.merged:
            snapshot = snapshots.get(restored)
            view = snapshot_view(event, snapshot, restored) if snapshot else None
            archived = bool(snapshot and snapshot.get("archived"))
            await customers.revive(restored, view, archived, event.time, tx.session)

    return handle
