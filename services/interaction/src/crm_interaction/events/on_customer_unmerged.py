"""Consumed `customer.unmerged.v1`: a merge was undone. What its `customer.merged.v1` moved to
the survivor (`data.survivorId`) goes back to the customers in `data.restoredIds`, found by
`data.mergeId`; items filed under the survivor since the merge stay there. Each restored
customer (its snapshot in `data.restored`) is its own again: new items are filed under it."""

from __future__ import annotations

from typing import Any

from crm_interaction.customers.model import CustomerMove
from crm_interaction.customers.service import CustomerService
from crm_interaction.events.customer_event import (
    MalformedEvent,
    customer_id,
    snapshot_view,
    timeline_note,
)
from crm_kit.consumer import EventHandler
from crm_kit.events import CloudEvent
from crm_kit.uow import Transaction

TYPE = "customer.unmerged.v1"


def undone_move(event: CloudEvent) -> CustomerMove:
    """The merge being undone: its id, the survivor and the restored customers."""
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


def restored_snapshots(event: CloudEvent) -> list[dict[str, Any]]:
    raw = event.data.get("restored")
    return [s for s in raw if isinstance(s, dict)] if isinstance(raw, list) else []


def handler(customers: CustomerService) -> EventHandler:
    async def handle(event: CloudEvent, tx: Transaction) -> None:
        move = undone_move(event)
        await customers.unmerge(move, tx.session)
        snapshots = {str(s.get("id")): s for s in restored_snapshots(event)}
        for restored in move.merged:
            snapshot = snapshots.get(restored)
            view = snapshot_view(event, snapshot, restored) if snapshot else None
            archived = bool(snapshot and snapshot.get("archived"))
            await customers.revive(restored, view, archived, event.time, tx.session)
        title = f"Undid the merge of {len(move.merged)} record(s) into this one"
        await customers.note(timeline_note(event, move.survivor, title), tx.session)

    return handle
