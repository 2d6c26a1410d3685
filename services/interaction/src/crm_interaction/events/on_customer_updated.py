"""Consumed `customer.updated.v1`: a newer snapshot replaces the projected one (an older one,
delivered late, changes nothing); the timeline names the changed fields."""

from __future__ import annotations

from crm_interaction.customers.service import CustomerService
from crm_interaction.events.customer_event import customer_view, timeline_note
from crm_kit.consumer import EventHandler
from crm_kit.events import CloudEvent
from crm_kit.uow import Transaction

TYPE = "customer.updated.v1"


def api_name(field: str) -> str:
    """The event names fields as stored (`source_detail`); the timeline shows the API's name
    (`sourceDetail`)."""
    head, *rest = field.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def handler(customers: CustomerService) -> EventHandler:
    async def handle(event: CloudEvent, tx: Transaction) -> None:
        view = customer_view(event)
        await customers.apply(view, tx.session)
        changed = event.data.get("changedFields")
        names = ", ".join(api_name(str(f)) for f in changed) if isinstance(changed, list) else ""
        title = f"Profile updated: {names}" if names else "Profile updated"
        await customers.note(timeline_note(event, view.id, title), tx.session)

    return handle
