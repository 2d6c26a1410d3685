"""The read side of the delivery log (ADMIN), newest first."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from crm_kit.paging import Keyset
from crm_notification.deliveries.model import Delivery, LogFilter
from crm_notification.deliveries.store import DeliveryRepository


@dataclass(frozen=True, slots=True)
class LogPage:
    items: list[Delivery]
    has_next: bool
    total: int


class DeliveryQueries:
    def __init__(self, deliveries: DeliveryRepository) -> None:
        self._deliveries = deliveries

    async def log(self, where: LogFilter, first: int, after: Keyset | None) -> LogPage:
        """One page of the log and the number of deliveries that match `where`."""
        (items, has_next), total = await asyncio.gather(
            self._deliveries.page(
                where, first=first, after=(after.at, after.id) if after else None
            ),
            self._deliveries.count(where),
        )
        return LogPage(items, has_next, total)
