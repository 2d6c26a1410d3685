"""Consumed `customer.archived.v1`: the projected customer is marked archived."""

from __future__ import annotations

from crm_interaction.customers.service import CustomerService
from crm_interaction.events.customer_event import customer_id, timeline_note
from crm_kit.consumer import EventHandler
from crm_kit.events import CloudEvent
from crm_kit.uow import Transaction

TYPE = "customer.archived.v1"


def handler(customers: CustomerService) -> EventHandler:
    async def handle(event: CloudEvent, tx: Transaction) -> None:
        archived = customer_id(event)
        await customers.archive(archived, event.time, tx.session)
        await customers.note(timeline_note(event, archived, "Customer archived"), tx.session)

    return handle
