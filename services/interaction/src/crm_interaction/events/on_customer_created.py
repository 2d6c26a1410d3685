"""Consumed `customer.created.v1`: the customer enters the projection; its timeline notes it."""

from __future__ import annotations

from crm_interaction.customers.service import CustomerService
from crm_interaction.events.customer_event import customer_view, timeline_note
from crm_kit.consumer import EventHandler
from crm_kit.events import CloudEvent
from crm_kit.uow import Transaction

TYPE = "customer.created.v1"


def handler(customers: CustomerService) -> EventHandler:
    async def handle(event: CloudEvent, tx: Transaction) -> None:
        view = customer_view(event)
        await customers.apply(view, tx.session)
        await customers.note(timeline_note(event, view.id, "Customer created"), tx.session)

    return handle
