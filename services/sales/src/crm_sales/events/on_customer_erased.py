"""Consumed `customer.erased.v1`: the personal data of the customer's opportunities is removed
here (contact persons, next steps, closing notes); ids, stages, amounts and times stay for
reports. The erasure is audited."""

from __future__ import annotations

from crm_kit import audit
from crm_kit.consumer import EventHandler
from crm_kit.events import CloudEvent
from crm_kit.uow import Transaction
from crm_sales.customers.service import CustomerService
from crm_sales.events.customer_event import customer_id

TYPE = "customer.erased.v1"


def handler(customers: CustomerService) -> EventHandler:
    async def handle(event: CloudEvent, tx: Transaction) -> None:
        erased = customer_id(event)
        await customers.erase(erased, event.time, tx.session)
        audit.record(tx, "sales.customer_erased", "Customer", erased, details={"event": event.id})

    return handle
