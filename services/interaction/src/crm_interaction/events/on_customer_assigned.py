"""Consumed `customer.assigned.v1`: the projection takes the new owner and team (they decide
who may see the customer's items here); the timeline notes the assignment."""

from __future__ import annotations

from crm_interaction.customers.service import CustomerService
from crm_interaction.events.customer_event import customer_view, timeline_note
from crm_kit.consumer import EventHandler
from crm_kit.events import CloudEvent
from crm_kit.uow import Transaction

TYPE = "customer.assigned.v1"


def handler(customers: CustomerService) -> EventHandler:
    async def handle(event: CloudEvent, tx: Transaction) -> None:
        view = customer_view(event)
        await customers.apply(view, tx.session)
        owner = view.owner_id or "nobody"
        title = f"Assigned to {owner}" + (f" ({view.team})" if view.team else "")
        await customers.note(timeline_note(event, view.id, title), tx.session)

    return handle
