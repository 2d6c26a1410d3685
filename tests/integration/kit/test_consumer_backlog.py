"""A backlog queued behind a slow, serialised database is handled, not timed out: the consumer
handles a bounded number of events at once and an event's time limit starts when its handling
starts. (Before, all `prefetch` deliveries started together, the later ones spent their time
limit waiting for the database, were retried and after `max_attempts` dead-lettered.)"""

from __future__ import annotations

import asyncio

import pytest

from crm_kit.consumer import EventConsumer
from crm_kit.events import CloudEvent
from crm_kit.uow import Transaction
from tests.integration.kit.test_event_plumbing import Kit, kit
from tests.support import eventually, unique

pytestmark = pytest.mark.integration
__all__ = ["kit"]

EVENTS = 24
HOLD = 0.25  # seconds each event holds the (one-at-a-time) database
LIMIT = 5.0  # < EVENTS * HOLD: all of them at once would overrun it


async def test_a_backlog_behind_a_serialised_database_is_applied_without_time_outs(
    kit: Kit,
) -> None:
    database = asyncio.Lock()  # one transaction at a time, like the embedded engine

    async def serialised(event: CloudEvent, tx: Transaction) -> None:
        async with database:
            await asyncio.sleep(HOLD)
        await kit.db.backlog.insert_one({"_id": event.id}, session=tx.session)

    consumer = EventConsumer(
        unique("backlog"),
        kit.bus,
        kit.uow,
        {"thing.b.v1": serialised},
        handler_timeout_seconds=LIMIT,
        max_attempts=1,  # a time-out would dead-letter at once: nothing may time out
        retry_delay_ms=100,
        concurrency=2,
    )
    await consumer.start()
    try:
        for _ in range(EVENTS):
            await kit.bus.publish(CloudEvent(type="thing.b.v1", source="t", subject="s", data={}))

        async def all_handled() -> bool:
            return consumer.applied_total + consumer.dead_lettered_total >= EVENTS

        await eventually(all_handled, timeout=120, interval=0.1)
    finally:
        await consumer.stop()
    assert (consumer.timeouts_total, consumer.dead_lettered_total) == (0, 0)
    assert await kit.db.backlog.count_documents({}) == EVENTS
