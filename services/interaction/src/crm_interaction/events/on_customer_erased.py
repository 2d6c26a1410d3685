"""Consumed `customer.erased.v1`: the customer's personal content is removed here (ids, times,
statuses and amounts stay for statistics), and the erasure is audited."""

from __future__ import annotations

from crm_interaction.customers.service import CustomerService
from crm_interaction.events.customer_event import customer_id
from crm_kit import audit
from crm_kit.consumer import EventHandler
from crm_kit.events import CloudEvent
from crm_kit.uow import Transaction

TYPE = "customer.erased.v1"


def handler(customers: CustomerService) -> EventHandler:
    async def handle(event: CloudEvent, tx: Transaction) -> None:
        erased = customer_id(event)
        await customers.erase(erased, event.time, tx.session)
        audit.record(
            tx, "interaction.customer_erased", "Customer", erased, details={"event": event.id}
        )

    return handle
