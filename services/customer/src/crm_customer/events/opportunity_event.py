"""Reading the consumed opportunity events (the sales service owns their shapes), and the
customer's stage following them.

Every `opportunity.*` event carries the opportunity's snapshot under `data.opportunity`
(`id`, `customerId`, `version`, …); `won` and `lost` also repeat `customerId` at the top level,
and the subject is the customer id. Only the ids are read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crm_customer.customers.service import CustomerService
from crm_customer.customers.values import LifecycleStage
from crm_kit import audit
from crm_kit.consumer import EventHandler
from crm_kit.events import CloudEvent
from crm_kit.uow import Transaction

AUDIT_ACTION = "customer.stage_by_opportunity"


class MalformedEvent(ValueError):
    """The event does not name its opportunity and customer (it ends in the dead-letter
    queue)."""


@dataclass(frozen=True, slots=True)
class OpportunityRef:
    """Which opportunity of which customer an event is about."""

    opportunity_id: str
    customer_id: str


def opportunity_ref(event: CloudEvent) -> OpportunityRef:
    snapshot: Any = event.data.get("opportunity")
    if not isinstance(snapshot, dict) or not snapshot.get("id"):
        raise MalformedEvent(f"{event.type} {event.id} has no opportunity snapshot")
    customer = event.data.get("customerId") or snapshot.get("customerId") or event.subject
    if not customer:
        raise MalformedEvent(f"{event.type} {event.id} names no customer")
    return OpportunityRef(str(snapshot["id"]), str(customer))


def advancing(customers: CustomerService, target: LifecycleStage) -> EventHandler:
    """A handler moving the event's customer forward to `target` (`advance_stage`), with an
    audit record of the cause (the event and opportunity ids) when it moved."""

    async def handle(event: CloudEvent, tx: Transaction) -> None:
        ref = opportunity_ref(event)
        moved = await customers.advance_stage(tx, ref.customer_id, target)
        if moved is None:
            return
        details = {"event": event.id, "eventType": event.type, "opportunityId": ref.opportunity_id}
        audit.record(tx, AUDIT_ACTION, "Customer", moved.id, details=details)

    return handle
