"""Consumed event types → their handlers. Each runs in the consumer's transaction, together
with its idempotency record, so a redelivered event is applied once.

The events of an import or a bulk update (`data.batch`) come through a queue of their own,
the bulk lane: a 500-row import's thousand events wait there, never in front of another
user's live notice in the main queue (which acknowledges them untouched)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from crm_kit.consumer import EventHandler
from crm_kit.events import CloudEvent
from crm_kit.service import EventLane
from crm_notification.deps import Deps
from crm_notification.events import on_customer_assigned, on_customer_erased, on_trigger
from crm_notification.rules.batches import BatchCause
from crm_notification.rules.defaults import TRIGGER_EVENT_TYPES
from crm_notification.webhooks.model import WEBHOOK_EVENT_TYPES


def handlers(deps: Deps) -> Mapping[str, EventHandler]:
    routes: dict[str, EventHandler] = {
        event_type: partial(on_trigger.handle, deps)
        for event_type in (*TRIGGER_EVENT_TYPES, *WEBHOOK_EVENT_TYPES)
    }
    routes[on_customer_assigned.TYPE] = partial(on_customer_assigned.handle, deps)
    routes[on_customer_erased.TYPE] = partial(on_customer_erased.handle, deps)
    return routes


def one_of_a_batch(event: CloudEvent) -> bool:
    return BatchCause.of(event.data) is not None


# The events delivered together are applied in one transaction, one group at a time: a
# batch's changes fold into one notice (concurrent transactions would only conflict over
# it), a group costs one commit instead of one per event, and the main queue's transactions
# wait for at most the group in progress. 64 per group, twice that delivered (the next group
# gathers while one commits): with 16 the count lagged a 500-row import twice as far, and
# live notices were no faster (bench/notification/bulk.py).
BULK_LANE = EventLane("bulk", takes=one_of_a_batch, prefetch=128, group_size=64)
