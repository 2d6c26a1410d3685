"""Consumed event types → their handlers. Each runs in the consumer's transaction, together
with its idempotency record, so a redelivered event is applied once."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from crm_kit.consumer import EventHandler
from crm_notification.deps import Deps
from crm_notification.events import on_customer_assigned, on_customer_erased, on_trigger
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
