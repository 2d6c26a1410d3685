"""The outbox and consumer promises, against the real broker and the embedded MongoDB."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aio_pika
import orjson
import pytest

from crm_kit.bus import EventBus
from crm_kit.consumer import EventConsumer
from crm_kit.events import CloudEvent
from crm_kit.mongo import create_client
from crm_kit.outbox import OutboxRelay
from crm_kit.uow import Transaction, UnitOfWork
from tests.harness import observer
from tests.support import eventually, unique

pytestmark = pytest.mark.integration


@dataclass
class Kit:
    uow: UnitOfWork
    relay: OutboxRelay
    bus: EventBus
    db: Any
    exchange: str


@pytest.fixture
async def kit(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Kit]:
    client = create_client(mongodb_uri, "kit-test")
    db = client[unique("kit")]
    exchange = unique("crm.events.test")
    bus = EventBus(amqp_url, exchange)
    relay = OutboxRelay(db, bus, poll_seconds=0.05, max_backoff_seconds=1.0)
    uow = UnitOfWork(client, db, source="crm/test", on_commit=relay.wake)
    yield Kit(uow, relay, bus, db, exchange)
    await bus.close()
    await client.drop_database(db.name)
    await client.close()


async def run_relay(relay: OutboxRelay) -> tuple[asyncio.Event, asyncio.Task[None]]:
    stop = asyncio.Event()
    return stop, asyncio.create_task(relay.run(stop))


async def test_events_of_a_rolled_back_write_are_never_published(kit: Kit, amqp_url: str) -> None:
    await kit.bus.connect()
    async with observer(amqp_url, kit.exchange) as seen:
        stop, task = await run_relay(kit.relay)

        async def failing(tx: Transaction) -> None:
            await kit.db.things.insert_one({"_id": "doomed"}, session=tx.session)
            tx.emit("thing.created.v1", "doomed", {"n": 1})
            raise RuntimeError("business rule failed after the event was staged")

        with pytest.raises(RuntimeError):
            await kit.uow.run(failing)

        async def succeeding(tx: Transaction) -> None:
            await kit.db.things.insert_one({"_id": "kept"}, session=tx.session)
            tx.emit("thing.created.v1", "kept", {"n": 2})

        await kit.uow.run(succeeding)
        await eventually(lambda: _async(len(seen) >= 1))
        await asyncio.sleep(0.5)  # give a wrongly published event time to show up
        stop.set()
        await task
    assert [e["subject"] for e in seen] == ["kept"]
    assert await kit.db.things.find_one({"_id": "doomed"}) is None
    assert await kit.db.outbox.count_documents({}) == 1


async def test_events_written_while_the_broker_is_down_go_out_after_it_returns(
    kit: Kit, broker: Any, amqp_url: str
) -> None:
    await kit.bus.connect()
    # A durable queue bound before the outage collects what the relay publishes afterwards.
    witness = unique("witness")
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    exchange = await channel.get_exchange(kit.exchange)
    queue = await channel.declare_queue(witness, durable=True)
    await queue.bind(exchange, routing_key="thing.#")
    await connection.close()
    broker.stop()
    try:
        for i in range(5):

            async def work(tx: Transaction, i: int = i) -> None:
                await kit.db.things.insert_one({"_id": f"t{i}"}, session=tx.session)
                tx.emit("thing.created.v1", f"t{i}", {"n": i})

            await kit.uow.run(work)  # the write succeeds without the broker
        stop, task = await run_relay(kit.relay)
        await asyncio.sleep(1.0)
        assert await kit.relay.pending_count() == 5, "nothing can go out while the broker is down"
    finally:
        broker.start()

    async def drained() -> bool:
        return await kit.relay.pending_count() == 0

    await eventually(drained, timeout=30)
    stop.set()
    await task
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    queue = await channel.declare_queue(witness, durable=True, passive=True)
    subjects = []
    while (message := await queue.get(fail=False, no_ack=True)) is not None:
        subjects.append(orjson.loads(message.body)["subject"])
    await queue.delete(if_unused=False, if_empty=False)
    await connection.close()
    assert subjects == [f"t{i}" for i in range(5)], "all delivered, in commit order, once"


async def test_the_same_event_delivered_twice_is_applied_once(kit: Kit, amqp_url: str) -> None:
    applied: list[str] = []

    async def handler(event: CloudEvent, tx: Transaction) -> None:
        await kit.db.counters.update_one(
            {"_id": event.subject}, {"$inc": {"n": 1}}, upsert=True, session=tx.session
        )
        applied.append(event.id)

    consumer = EventConsumer(unique("dup"), kit.bus, kit.uow, {"thing.counted.v1": handler})
    await consumer.start()
    try:
        event = CloudEvent(type="thing.counted.v1", source="crm/test", subject="c1", data={})
        await kit.bus.publish(event)
        await kit.bus.publish(event)  # a redelivery, as after a lost ack
        await eventually(lambda: _async(consumer.applied_total + consumer.duplicates_total >= 2))
    finally:
        await consumer.stop()
    doc = await kit.db.counters.find_one({"_id": "c1"})
    assert doc is not None and doc["n"] == 1
    assert consumer.applied_total == 1 and consumer.duplicates_total == 1


async def test_a_poison_message_lands_in_the_dead_letter_queue(kit: Kit, amqp_url: str) -> None:
    async def handler(event: CloudEvent, tx: Transaction) -> None:
        if event.subject == "poison":
            raise ValueError("cannot handle this one")
        await kit.db.handled.insert_one({"_id": event.subject}, session=tx.session)

    consumer = EventConsumer(
        unique("poison"),
        kit.bus,
        kit.uow,
        {"thing.x.v1": handler},
        max_attempts=3,
        retry_delay_ms=100,
    )
    await consumer.start()
    try:
        await kit.bus.publish(CloudEvent(type="thing.x.v1", source="t", subject="poison", data={}))
        await kit.bus.publish(CloudEvent(type="thing.x.v1", source="t", subject="fine", data={}))
        await kit.bus.publish_raw(b"not json at all", "thing.x.v1", "raw-1", "thing.x.v1")
        await eventually(lambda: _async(consumer.dead_lettered_total >= 2), timeout=20)
    finally:
        await consumer.stop()
    assert await kit.db.handled.find_one({"_id": "fine"}) is not None
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    dlq = await channel.declare_queue(consumer.queues.dead, durable=True, passive=True)
    bodies = []
    while (message := await dlq.get(fail=False)) is not None:
        bodies.append((message.body, message.headers))
        await message.ack()
    await connection.close()
    assert len(bodies) == 2
    poison = [h for b, h in bodies if b != b"not json at all"]
    assert poison and poison[0]["x-crm-attempt"] == 3
    assert "ValueError" in str(poison[0]["x-crm-last-error"])


async def _async(value: Any) -> Any:
    return value
