"""Delivery use cases: planned deliveries enter the log (and the scheduler's queue), ADMIN
replays a finished one, erasure removes a customer's texts."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

from crm_kit.errors import NotFound
from crm_kit.uow import Transaction
from crm_notification.deliveries.model import Delivery, DeliveryStatus, replay_of
from crm_notification.deliveries.store import DeliveryRepository
from crm_notification.events import notification_failed
from crm_notification.shared.inserts import first_time


class DeliveryService:
    def __init__(
        self,
        deliveries: DeliveryRepository,
        *,
        wake_scheduler: Callable[[], None],
        clock: Callable[[], datetime],
    ) -> None:
        self._deliveries = deliveries
        self._wake_scheduler = wake_scheduler
        self._clock = clock

    async def add(self, deliveries: Sequence[Delivery], tx: Transaction, subject: str) -> bool:
        """Log planned deliveries (each once: ids derive from the event). A new one planned
        DEAD (nothing to send) is announced with `notification.failed.v1`; whether any new one
        waits for the scheduler."""
        inserted = await self._deliveries.add_many(deliveries, session=tx.session)
        pending = False
        for delivery in deliveries:
            if not first_time(inserted, delivery.id):
                continue
            if delivery.status is DeliveryStatus.DEAD:
                tx.emit(
                    notification_failed.TYPE,
                    delivery.customer_id or subject,
                    notification_failed.payload(delivery),
                )
            pending = pending or delivery.status is DeliveryStatus.PENDING
        return pending

    def wake_scheduler(self) -> None:
        self._wake_scheduler()

    async def replay(self, id: str) -> Delivery:
        """ADMIN: send a finished delivery again as a new delivery (its log keeps `replayOf`)."""
        original = await self._deliveries.get(id)
        if original is None:
            raise NotFound("NotificationDelivery", id)
        replay = replay_of(original, f"dlv_{uuid.uuid4().hex}", self._clock())
        await self._deliveries.add(replay)
        self._wake_scheduler()
        return replay

    async def erase_customer(self, customer_id: str, keep_event: str, tx: Transaction) -> int:
        """Right to erasure: the texts (and sent payloads) of deliveries about the customer,
        except those of `keep_event`; how many."""
        return await self._deliveries.erase_customer(customer_id, keep_event, tx.session)
