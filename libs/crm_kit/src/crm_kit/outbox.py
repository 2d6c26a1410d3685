"""Outbox relay: publishes committed events in commit order with publisher confirms."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from datetime import timedelta

import orjson
from opentelemetry.trace import SpanKind
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.bus import EventBus
from crm_kit.events import utcnow
from crm_kit.mongo import Document, IndexSpec
from crm_kit.telemetry import span_from_traceparent
from crm_kit.uow import OUTBOX_COLLECTION, SENT_RETENTION

_log = logging.getLogger(__name__)

OUTBOX_INDEXES = IndexSpec(
    OUTBOX_COLLECTION,
    (
        IndexModel([("status", ASCENDING), ("created_at", ASCENDING)], name="status_created"),
        IndexModel([("sent_at", ASCENDING)], name="sent_at"),
    ),
)


class OutboxRelay:
    """Moves pending outbox entries to the broker; retries with backoff while it is away."""

    def __init__(
        self,
        db: AsyncDatabase[Document],
        bus: EventBus,
        *,
        batch_size: int = 100,
        poll_seconds: float = 0.2,
        max_backoff_seconds: float = 10.0,
        retention: timedelta = SENT_RETENTION,
    ) -> None:
        self._collection = db[OUTBOX_COLLECTION]
        self._bus = bus
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._max_backoff = max_backoff_seconds
        self._retention = retention
        self._wakeup = asyncio.Event()
        self.published_total = 0

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self, stop: asyncio.Event) -> None:
        failures = 0
        cycles = 0
        while not stop.is_set():
            try:
                published = await self.publish_pending()
                failures = 0
            except Exception as exc:
                failures += 1
                delay = min(self._max_backoff, 0.2 * 2**failures) * random.uniform(0.5, 1.0)
                _log.warning(
                    "outbox publish failed; retrying: %s",
                    f"{type(exc).__name__}: {exc}"[:300],
                    extra={"fields": {"retry_in_s": round(delay, 2)}},
                )
                await _sleep_or_stop(stop, delay)
                continue
            cycles += 1
            if cycles % 3000 == 0:
                await self.purge_sent()
            if published < self._batch_size:
                self._wakeup.clear()
                waiter = asyncio.ensure_future(self._wakeup.wait())
                stopper = asyncio.ensure_future(stop.wait())
                await asyncio.wait(
                    {waiter, stopper},
                    timeout=self._poll_seconds,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                waiter.cancel()
                stopper.cancel()

    async def publish_pending(self) -> int:
        """Publish one batch, oldest first; returns how many went out."""
        cursor = (
            self._collection.find({"status": "pending"})
            .sort("created_at", ASCENDING)
            .limit(self._batch_size)
        )
        entries = await cursor.to_list()
        if not entries:
            return 0
        sent: list[str] = []
        try:
            for entry in entries:
                envelope = entry["envelope"]
                with span_from_traceparent(
                    f"publish {entry['type']}",
                    str(envelope.get("traceparent", "")),
                    SpanKind.PRODUCER,
                    {"messaging.system": "rabbitmq", "messaging.message.id": entry["_id"]},
                ):
                    await self._bus.publish_raw(
                        orjson.dumps(envelope), entry["type"], entry["_id"], entry["type"]
                    )
                sent.append(entry["_id"])
        finally:
            if sent:
                await self._collection.update_many(
                    {"_id": {"$in": sent}},
                    {"$set": {"status": "sent", "sent_at": utcnow()}, "$inc": {"attempts": 1}},
                )
                self.published_total += len(sent)
        return len(sent)

    async def pending_count(self) -> int:
        return await self._collection.count_documents({"status": "pending"})

    async def purge_sent(self) -> None:
        cutoff = utcnow() - self._retention
        await self._collection.delete_many({"status": "sent", "sent_at": {"$lt": cutoff}})


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
