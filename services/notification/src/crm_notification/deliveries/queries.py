"""The read side of the delivery log (ADMIN), newest first."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from crm_kit.paging import Keyset
from crm_notification.channels.model import Channel
from crm_notification.deliveries.model import Delivery, DeliveryStatus
from crm_notification.deliveries.store import DeliveryRepository


@dataclass(frozen=True, slots=True)
class LogFilter:
    status: DeliveryStatus | None = None
    channel: Channel | None = None
    target: str | None = None


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
        filters = {
            k: str(v)
            for k, v in (
                ("status", where.status),
                ("channel", where.channel),
                ("target", where.target),
            )
            if v is not None
        }
        (items, has_next), total = await asyncio.gather(
            self._deliveries.page(
                status=where.status,
                channel=where.channel,
                target=where.target,
                first=first,
                after=(after.at, after.id) if after else None,
            ),
            self._deliveries.count(**filters),
        )
        return LogPage(items, has_next, total)
