"""`customer.erased.v1`: the customer's personal content leaves this service too (see
docs/events.md), then the event goes to its webhook subscribers."""

from __future__ import annotations

from crm_kit import audit
from crm_kit.events import CloudEvent
from crm_kit.uow import Transaction
from crm_notification.deps import Deps

TYPE = "customer.erased.v1"


async def handle(deps: Deps, event: CloudEvent, tx: Transaction) -> None:
    if event.subject:
        await erase_customer(deps, event, tx)
    await deps.triggers.notify(event, tx)


async def erase_customer(deps: Deps, event: CloudEvent, tx: Transaction) -> None:
    """Notification texts, delivery texts and payloads, digest items about the customer;
    the erasure's own webhook deliveries are kept. Audited with the counts."""
    customer_id = str(event.subject)
    notes = await deps.inbox.erase_customer(customer_id, tx)
    sent = await deps.deliveries.erase_customer(customer_id, event.id, tx)
    sent += await deps.digests.erase_customer(customer_id, tx.session)
    audit.record(
        tx,
        "notification.customer_erased",
        "Customer",
        customer_id,
        details={"event": event.id, "notifications": notes, "deliveries": sent},
    )
