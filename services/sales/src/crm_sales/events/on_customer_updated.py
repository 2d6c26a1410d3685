"""Consumed `customer.updated.v1`: a newer snapshot of the customer replaces the projected one
(an older one, delivered late, changes nothing)."""

from __future__ import annotations

from crm_kit.consumer import EventHandler
from crm_kit.events import CloudEvent
from crm_kit.uow import Transaction
from crm_sales.customers.service import CustomerService
from crm_sales.events.customer_event import customer_view

TYPE = "customer.updated.v1"


def handler(customers: CustomerService) -> EventHandler:
    async def handle(event: CloudEvent, tx: Transaction) -> None:
        await customers.apply(customer_view(event), tx.session)

    return handle
