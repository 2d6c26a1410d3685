"""Consumed `customer.archived.v1`: the projected customer is marked archived (its
opportunities stay as they are)."""

from __future__ import annotations

from crm_kit.consumer import EventHandler
from crm_kit.events import CloudEvent
from crm_kit.uow import Transaction
from crm_sales.customers.service import CustomerService
from crm_sales.events.customer_event import customer_id

TYPE = "customer.archived.v1"


def handler(customers: CustomerService) -> EventHandler:
    async def handle(event: CloudEvent, tx: Transaction) -> None:
        await customers.archive(customer_id(event), event.time, tx.session)

    return handle
