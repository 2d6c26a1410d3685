"""Outbox relay: publishes committed events in commit order with publisher confirms.

- Order: entries go out oldest first (by `position`, assigned at commit time; all events of one
  transaction keep their emission order), so events of one aggregate arrive in order. A batch
  is published pipelined on one confirmed channel; only the confirmed prefix is marked sent, so
  a failure in the middle is retried from the first unconfirmed entry.
- Several replicas: only the holder of the `outbox-relay` lease publishes; the others wait and
  take over once the lease expires (no double publishing in normal operation; after a crash
  between publish and mark-sent an event may go out again, which idempotent consumers absorb).
- While the broker is away: exponential backoff with full jitter.
- Observability: `oldest_pending_age_seconds` (a metric) and a warning log when it exceeds the
  alert threshold; sent entries are deleted after the retention period.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from datetime import timedelta

import orjson
from opentelemetry.trace import SpanKind
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.bus import EventBus
from crm_kit.events import utcnow
from crm_kit.lease import LEASES_COLLECTION, Lease
from crm_kit.mongo import Document, IndexSpec
from crm_kit.telemetry import span_from_traceparent
from crm_kit.uow import OUTBOX_COLLECTION, SENT_RETENTION

_log = logging.getLogger(__name__)

RELAY_LEASE = "outbox-relay"

OUTBOX_INDEXES = IndexSpec(
    OUTBOX_COLLECTION,
    (
        IndexModel([("status", ASCENDING), ("created_at", ASCENDING)], name="status_created"),
        IndexModel([("status", ASCENDING), ("position", ASCENDING)], name="status_position"),
        IndexModel([("sent_at", ASCENDING)], name="sent_at"),
    ),
)


def backoff_delay(failures: int, base: float, cap: float) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**failures)]."""
    return random.uniform(0.0, min(cap, base * 2 ** min(failures, 30)))


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
        lease_seconds: float = 10.0,
        age_alert_seconds: float = 60.0,
        purge_interval_seconds: float = 600.0,
        owner: str | None = None,
    ) -> None:
        self._collection = db[OUTBOX_COLLECTION]
        self._bus = bus
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._max_backoff = max_backoff_seconds
        self._retention = retention
        self._age_alert = age_alert_seconds
        self._purge_interval = purge_interval_seconds
        self.lease = Lease(
            db[LEASES_COLLECTION], RELAY_LEASE, owner=owner, ttl_seconds=lease_seconds
        )
        self._wakeup = asyncio.Event()
        self._last_alert = 0.0
        self._last_purge = time.monotonic()
        self.published_total = 0
        self.publish_failures_total = 0
        self.purged_total = 0
        self.oldest_pending_age_seconds = 0.0

    @property
    def is_leader(self) -> bool:
        return self.lease.held()

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self, stop: asyncio.Event) -> None:
        failures = 0
        try:
            while not stop.is_set():
                try:
                    if not await self.lease.ensure():
                        # Another replica publishes; try again around when its lease could lapse.
                        await _sleep_or_stop(stop, self.lease.ttl_seconds / 4)
                        continue
                    published = await self.publish_pending()
                    if time.monotonic() - self._last_purge >= self._purge_interval:
                        self._last_purge = time.monotonic()
                        await self.purge_sent()
                    failures = 0
                except Exception as exc:
                    failures += 1
                    self.publish_failures_total += 1
                    delay = backoff_delay(failures, 0.2, self._max_backoff)
                    _log.warning(
                        "outbox publish failed; retrying: %s",
                        f"{type(exc).__name__}: {exc}"[:300],
                        extra={
                            "fields": {
                                "retry_in_s": round(delay, 2),
                                "oldest_pending_age_s": round(self.oldest_pending_age_seconds, 1),
                            }
                        },
                    )
                    self._alert_if_old()
                    await _sleep_or_stop(stop, delay)
                    continue
                if published < self._batch_size:
                    await self._idle(stop)
        finally:
            with contextlib.suppress(Exception):
                await self.lease.release()

    async def _idle(self, stop: asyncio.Event) -> None:
        self._wakeup.clear()
        waiter = asyncio.ensure_future(self._wakeup.wait())
        stopper = asyncio.ensure_future(stop.wait())
        await asyncio.wait(
            {waiter, stopper}, timeout=self._poll_seconds, return_when=asyncio.FIRST_COMPLETED
        )
        waiter.cancel()
        stopper.cancel()

    async def publish_pending(self) -> int:
        """Publish one batch, oldest first; returns how many went out (confirmed)."""
        cursor = (
            self._collection.find({"status": "pending"})
            .sort([("position", ASCENDING), ("created_at", ASCENDING)])
            .limit(self._batch_size)
        )
        entries = await cursor.to_list()
        if not entries:
            self.oldest_pending_age_seconds = 0.0
            return 0
        created = entries[0].get("created_at")
        if created is not None:
            self.oldest_pending_age_seconds = max(0.0, (utcnow() - created).total_seconds())
        self._alert_if_old()
        results = await asyncio.gather(
            *(self._publish(entry) for entry in entries), return_exceptions=True
        )
        sent: list[str] = []
        first_error: BaseException | None = None
        for entry, result in zip(entries, results, strict=True):
            if isinstance(result, BaseException):
                first_error = result
                break
            sent.append(entry["_id"])
        if sent:
            await self._collection.update_many(
                {"_id": {"$in": sent}, "status": "pending"},
                {"$set": {"status": "sent", "sent_at": utcnow()}, "$inc": {"attempts": 1}},
            )
            self.published_total += len(sent)
        if first_error is not None:
            raise first_error
        return len(sent)

    async def _publish(self, entry: Document) -> None:
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

    def _alert_if_old(self) -> None:
        age = self.oldest_pending_age_seconds
        if age < self._age_alert or time.monotonic() - self._last_alert < 30:
            return
        self._last_alert = time.monotonic()
        _log.error(
            "outbox backlog: oldest unpublished event is %.0fs old",
            age,
            extra={"fields": {"alert": "outbox_backlog", "oldest_pending_age_s": round(age, 1)}},
        )

    async def pending_count(self) -> int:
        return await self._collection.count_documents({"status": "pending"})

    async def purge_sent(self) -> int:
        cutoff = utcnow() - self._retention
        result = await self._collection.delete_many({"status": "sent", "sent_at": {"$lt": cutoff}})
        self.purged_total += result.deleted_count
        return result.deleted_count


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
