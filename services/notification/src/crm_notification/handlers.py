"""Event handlers: one per consumed event type. Each runs in the consumer's transaction,
together with its idempotency record, so a redelivered event is applied once."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from crm_kit.consumer import EventHandler
from crm_kit.events import CloudEvent
from crm_kit.uow import Transaction
from crm_notification.deps import Deps
from crm_notification.domain import CustomerAssigned, notifications_for_assignment
from crm_notification.events import notification_delivered

CUSTOMER_ASSIGNED = "customer.assigned.v1"


async def on_customer_assigned(deps: Deps, event: CloudEvent, tx: Transaction) -> None:
    assigned = CustomerAssigned.from_event(event.id, event.subject, event.data)
    for notification in notifications_for_assignment(assigned, deps.clock()):
        # In-app delivery is the insert itself; the id derives from the event id, so even a
        # replay that bypassed the inbox record could not create a second one.
        if await deps.notifications.add(notification, session=tx.session):
            tx.emit(
                notification_delivered.TYPE,
                assigned.customer_id,
                notification_delivered.payload(notification),
            )


def handlers(deps: Deps) -> Mapping[str, EventHandler]:
    return {CUSTOMER_ASSIGNED: partial(on_customer_assigned, deps)}
