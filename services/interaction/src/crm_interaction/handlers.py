"""Event handlers: one per consumed event type, each run inside the consumer's transaction
(together with the idempotency record, so a redelivered event is applied once)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from crm_interaction.events import customer_changed
from crm_interaction.repository import CustomerProjection
from crm_kit.consumer import EventHandler
from crm_kit.events import CloudEvent
from crm_kit.uow import Transaction


@dataclass(frozen=True, slots=True)
class CustomerEventHandlers:
    """Keep the `customers` projection; out-of-order deliveries never roll a version back."""

    customers: CustomerProjection

    async def customer_created(self, event: CloudEvent, tx: Transaction) -> None:
        await self.customers.apply(customer_changed.customer_view(event), tx.session)

    async def customer_updated(self, event: CloudEvent, tx: Transaction) -> None:
        await self.customers.apply(customer_changed.customer_view(event), tx.session)

    async def customer_assigned(self, event: CloudEvent, tx: Transaction) -> None:
        await self.customers.apply(customer_changed.customer_view(event), tx.session)

    def routes(self) -> Mapping[str, EventHandler]:
        return {
            customer_changed.CREATED: self.customer_created,
            customer_changed.UPDATED: self.customer_updated,
            customer_changed.ASSIGNED: self.customer_assigned,
        }
