"""`customer.assigned.v1`: the customer's owner and team are kept for access control, then the
event triggers notices like any other (the new owner's, by the default rule)."""

from __future__ import annotations

from crm_kit.events import CloudEvent
from crm_kit.uow import Transaction
from crm_notification.deps import Deps

TYPE = "customer.assigned.v1"


async def handle(deps: Deps, event: CloudEvent, tx: Transaction) -> None:
    await deps.customers.remember_assignment(event.data, tx.session)
    await deps.triggers.notify(event, tx)
