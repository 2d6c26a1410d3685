"""Event handlers: one per consumed event type, each run inside the consumer's transaction
(together with the idempotency record, so a redelivered event is applied once)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from crm_interaction.events import customer_changed, customer_lifecycle
from crm_interaction.lifecycle import CustomerLifecycle
from crm_interaction.repository import CustomerProjection
from crm_interaction.stores import TimelineRepository
from crm_interaction.timeline import model as timeline
from crm_kit import audit
from crm_kit.consumer import EventHandler
from crm_kit.events import CloudEvent
from crm_kit.uow import Transaction


@dataclass(frozen=True, slots=True)
class CustomerEventHandlers:
    """Keep the `customers` projection; out-of-order deliveries never roll a version back."""

    customers: CustomerProjection
    lifecycle: CustomerLifecycle | None = None
    timeline: TimelineRepository | None = None

    async def _note(self, event: CloudEvent, customer_id: str, title: str, tx: Transaction) -> None:
        if self.timeline is not None:
            actor = event.data.get("actorId")
            entry = timeline.of_customer_event(
                event.id, customer_id, event.time, title, str(actor) if actor else None
            )
            await self.timeline.put(entry, tx.session)

    async def customer_created(self, event: CloudEvent, tx: Transaction) -> None:
        view = customer_changed.customer_view(event)
        await self.customers.apply(view, tx.session)
        await self._note(event, view.id, "Customer created", tx)

    async def customer_updated(self, event: CloudEvent, tx: Transaction) -> None:
        view = customer_changed.customer_view(event)
        await self.customers.apply(view, tx.session)
        changed = event.data.get("changedFields")
        names = ", ".join(str(f) for f in changed) if isinstance(changed, list) else ""
        await self._note(
            event, view.id, f"Profile updated: {names}" if names else "Profile updated", tx
        )

    async def customer_assigned(self, event: CloudEvent, tx: Transaction) -> None:
        view = customer_changed.customer_view(event)
        await self.customers.apply(view, tx.session)
        owner = view.owner_id or "nobody"
        await self._note(
            event, view.id, f"Assigned to {owner}" + (f" ({view.team})" if view.team else ""), tx
        )

    async def customer_archived(self, event: CloudEvent, tx: Transaction) -> None:
        assert self.lifecycle is not None
        customer_id = customer_lifecycle.archived_id(event)
        await self.lifecycle.archive(customer_id, event.time, tx.session)
        await self._note(event, customer_id, "Customer archived", tx)

    async def customer_merged(self, event: CloudEvent, tx: Transaction) -> None:
        assert self.lifecycle is not None
        survivor, merged = customer_lifecycle.merge_ids(event)
        await self.lifecycle.merge(survivor, merged, event.time, tx.session)
        await self._note(
            event, survivor, f"Merged {len(merged)} duplicate record(s) into this one", tx
        )

    async def customer_erased(self, event: CloudEvent, tx: Transaction) -> None:
        assert self.lifecycle is not None
        customer_id = customer_lifecycle.erased_id(event)
        await self.lifecycle.erase(customer_id, event.time, tx.session)
        audit.record(
            tx, "interaction.customer_erased", "Customer", customer_id, details={"event": event.id}
        )

    def routes(self) -> Mapping[str, EventHandler]:
        routes: dict[str, EventHandler] = {
            customer_changed.CREATED: self.customer_created,
            customer_changed.UPDATED: self.customer_updated,
            customer_changed.ASSIGNED: self.customer_assigned,
        }
        if self.lifecycle is not None:
            routes[customer_lifecycle.ARCHIVED] = self.customer_archived
            routes[customer_lifecycle.MERGED] = self.customer_merged
            routes[customer_lifecycle.ERASED] = self.customer_erased
        return routes
