"""Relay leases and ordering, quorum queues with a delivery limit, legacy queues, shutdown,
time limits, cancellation safety and retention — against the real broker and MongoDB."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import timedelta
from typing import Any

import aio_pika
import orjson
import pytest

from crm_kit import dlq
from crm_kit.bus import EventBus
from crm_kit.consumer import EventConsumer
from crm_kit.events import CloudEvent, utcnow
from crm_kit.mongo import create_client
from crm_kit.outbox import OutboxRelay, backoff_delay
from crm_kit.topology import QueueKind, QueueNames
from crm_kit.uow import Transaction, UnitOfWork
from tests.harness import observer
from tests.integration.kit.test_event_plumbing import Kit, kit
from tests.support import eventually, unique

pytestmark = pytest.mark.integration
__all__ = ["kit"]  # the fixture, shared with test_event_plumbing


async def _true(value: Any) -> Any:
    return value


def test_backoff_is_capped_full_jitter() -> None:
    delays = [backoff_delay(n, 0.2, 10.0) for n in range(1, 40) for _ in range(20)]
    assert all(0.0 <= d <= 10.0 for d in delays)
    assert max(delays) > 5.0, "grows towards the cap"
    assert len({round(d, 6) for d in delays}) > 100, "jittered, not synchronised"


async def test_two_relay_replicas_publish_every_event_once_in_order_and_take_over(
    kit: Kit, amqp_url: str
) -> None:
    second_bus = EventBus(amqp_url, kit.exchange)
    a = OutboxRelay(kit.db, kit.bus, poll_seconds=0.05, lease_seconds=1.5, owner="a")
    b = OutboxRelay(kit.db, second_bus, poll_seconds=0.05, lease_seconds=1.5, owner="b")
    await kit.bus.connect()
    async with observer(amqp_url, kit.exchange) as seen:
        stop_a, stop_b = asyncio.Event(), asyncio.Event()
        task_a = asyncio.create_task(a.run(stop_a))
        await eventually(lambda: _true(a.is_leader), timeout=5)
        task_b = asyncio.create_task(b.run(stop_b))

        async def write(subject: str, n: int) -> None:
            async def work(tx: Transaction) -> None:
                tx.emit("thing.changed.v1", subject, {"n": n})
                tx.emit("thing.touched.v1", subject, {"n": n})

            await kit.uow.run(work)

        for n in range(40):
            await write(f"s{n % 4}", n)
        await eventually(lambda: _true(len(seen) >= 80), timeout=20)
        assert not b.is_leader, "the second replica waits while the lease is held"
        stop_a.set()  # the leader goes away (releases its lease on the way out)
        await task_a
        for n in range(40, 60):
            await write(f"s{n % 4}", n)
        await eventually(lambda: _true(len(seen) >= 120), timeout=20)
        assert b.is_leader
        await asyncio.sleep(0.5)  # a double publish would show up here
        stop_b.set()
        await task_b
    await second_bus.close()
    ids = [e["id"] for e in seen]
    assert len(ids) == len(set(ids)) == 120, "every event exactly once"
    assert a.published_total + b.published_total == 120 and b.published_total == 40
    per_subject: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for e in seen:
        per_subject[e["subject"]].append((e["data"]["n"], e["type"]))
    for events in per_subject.values():
        expected = sorted(events, key=lambda t: (t[0], t[1] != "thing.changed.v1"))
        assert events == expected, "per aggregate: commit order, then emission order"


async def test_an_expired_lease_is_taken_over(kit: Kit) -> None:
    a = OutboxRelay(kit.db, kit.bus, lease_seconds=0.6, owner="a")
    b = OutboxRelay(kit.db, kit.bus, lease_seconds=0.6, owner="b")
    assert await a.lease.acquire()
    assert not await b.lease.acquire(), "held and not expired"
    await asyncio.sleep(0.7)  # a crashed: no renewal, no release
    assert not a.lease.held(), "the holder stops acting before its lease runs out"
    assert await b.lease.acquire()
    assert not await a.lease.acquire()


async def test_relay_reports_the_age_of_the_oldest_unpublished_event(
    kit: Kit, caplog: pytest.LogCaptureFixture
) -> None:
    unreachable = EventBus("amqp://guest:guest@127.0.0.1:1/", kit.exchange)
    relay = OutboxRelay(kit.db, unreachable, age_alert_seconds=0.0)

    async def work(tx: Transaction) -> None:
        tx.emit("thing.stuck.v1", "s", {})

    await kit.uow.run(work)
    await kit.db.outbox.update_many({}, {"$set": {"created_at": utcnow() - timedelta(minutes=5)}})
    with pytest.raises(Exception):  # noqa: B017 - the broker is unreachable
        await relay.publish_pending()
    assert 290 < relay.oldest_pending_age_seconds < 400
    assert any("outbox backlog" in r.getMessage() for r in caplog.records)


async def test_sent_entries_are_purged_after_retention_only(kit: Kit) -> None:
    relay = OutboxRelay(kit.db, kit.bus, retention=timedelta(hours=1))
    now = utcnow()
    await kit.db.outbox.insert_many(
        [
            {"_id": "old", "status": "sent", "sent_at": now - timedelta(hours=2)},
            {"_id": "recent", "status": "sent", "sent_at": now - timedelta(minutes=5)},
            {"_id": "pending", "status": "pending", "created_at": now - timedelta(hours=3)},
        ]
    )
    assert await relay.purge_sent() == 1
    assert sorted(await kit.db.outbox.distinct("_id")) == ["pending", "recent"]


async def test_consumer_uses_a_quorum_queue_whose_delivery_limit_dead_letters(
    kit: Kit, amqp_url: str
) -> None:
    async def handler(event: CloudEvent, tx: Transaction) -> None:
        raise AssertionError("not consumed in this test")

    name = unique("limit")
    consumer = EventConsumer(name, kit.bus, kit.uow, {"thing.y.v1": handler}, delivery_limit=2)
    await consumer.start()
    await consumer.stop()  # topology stays; nobody consumes
    assert consumer.queue_kinds[consumer.queues.main] is QueueKind.QUORUM
    assert consumer.queue_kinds[consumer.queues.retry] is QueueKind.QUORUM
    event = CloudEvent(type="thing.y.v1", source="t", subject="x", data={})
    await kit.bus.publish(event)
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    queue = await channel.declare_queue(consumer.queues.main, durable=True, passive=True)
    rejections = 0
    for _ in range(10):  # a consumer that crashes on it each time, as seen by the broker
        message = await queue.get(fail=False)
        if message is None:
            break
        await message.reject(requeue=True)
        rejections += 1
    await connection.close()
    parked = await eventually(lambda: dlq.peek(amqp_url, name), timeout=15)
    assert rejections == 3, "delivered 1 + 2 redeliveries, then taken out of the queue"
    assert [p.message_id for p in parked] == [event.id]
    assert "delivery limit" in parked[0].last_error


async def test_a_legacy_classic_queue_is_used_as_it_is(kit: Kit, amqp_url: str) -> None:
    name = unique("legacy")
    names = QueueNames.for_consumer(name)
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    await channel.declare_queue(  # what an earlier version declared
        names.main,
        durable=True,
        arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": names.dead},
    )
    await connection.close()
    handled: list[str] = []

    async def handler(event: CloudEvent, tx: Transaction) -> None:
        handled.append(event.subject)

    consumer = EventConsumer(name, kit.bus, kit.uow, {"thing.z.v1": handler})
    await consumer.start()
    try:
        await kit.bus.publish(CloudEvent(type="thing.z.v1", source="t", subject="old", data={}))
        await eventually(lambda: _true(handled == ["old"]))
    finally:
        await consumer.stop()
    assert consumer.queue_kinds[names.main] is QueueKind.EXISTING
    assert consumer.queue_kinds[names.dead] is QueueKind.QUORUM


async def test_shutdown_returns_unfinished_messages_and_they_are_applied_once(
    kit: Kit, amqp_url: str
) -> None:
    release = asyncio.Event()
    started: list[str] = []

    async def slow(event: CloudEvent, tx: Transaction) -> None:
        started.append(event.subject)
        await release.wait()
        await kit.db.applied.update_one(
            {"_id": event.subject}, {"$inc": {"n": 1}}, upsert=True, session=tx.session
        )

    kit.uow.finish_on_cancel_seconds = 0.5  # the blocked handler is cut off after that
    name = unique("drain")
    first = EventConsumer(name, kit.bus, kit.uow, {"thing.w.v1": slow}, shutdown_grace_seconds=0.3)
    await first.start()
    for i in range(3):
        await kit.bus.publish(CloudEvent(type="thing.w.v1", source="t", subject=f"w{i}", data={}))
    # one handler holds its transaction open; all three messages are in flight
    await eventually(lambda: _true(len(started) >= 1 and first.in_flight == 3))
    await first.stop()  # in-flight handlers are cancelled; their messages go back
    assert await kit.db.applied.count_documents({}) == 0
    release.set()
    second = EventConsumer(name, kit.bus, kit.uow, {"thing.w.v1": slow})
    await second.start()
    try:
        await eventually(lambda: _true(second.applied_total == 3))
    finally:
        await second.stop()
    docs = await kit.db.applied.find({}).to_list()
    assert sorted((d["_id"], d["n"]) for d in docs) == [("w0", 1), ("w1", 1), ("w2", 1)]


async def test_an_event_over_its_time_limit_is_retried_and_applied_once(kit: Kit) -> None:
    calls: list[int] = []

    async def sometimes_slow(event: CloudEvent, tx: Transaction) -> None:
        calls.append(1)
        if len(calls) == 1:
            await asyncio.sleep(1.0)  # over the limit the first time
        await kit.db.timed.insert_one({"_id": f"{event.id}:{len(calls)}"}, session=tx.session)

    consumer = EventConsumer(
        unique("slow"),
        kit.bus,
        kit.uow,
        {"thing.t.v1": sometimes_slow},
        handler_timeout_seconds=0.3,
        retry_delay_ms=100,
    )
    await consumer.start()
    try:
        await kit.bus.publish(CloudEvent(type="thing.t.v1", source="t", subject="t", data={}))
        await eventually(
            lambda: _true(consumer.applied_total + consumer.duplicates_total >= 1), timeout=20
        )
    finally:
        await consumer.stop()
    assert consumer.timeouts_total == 1 and consumer.retried_total == 1
    # The slow attempt was allowed to finish its transaction (never cut off mid-command); the
    # retry found it applied. Either way the effect exists exactly once.
    assert await kit.db.timed.count_documents({}) == 1


async def test_a_cancelled_unit_of_work_still_ends_its_transaction(
    kit: Kit, mongodb_uri: str
) -> None:
    entered = asyncio.Event()

    async def slow(tx: Transaction) -> None:
        await kit.db.things.insert_one({"_id": "half"}, session=tx.session)
        entered.set()
        await asyncio.sleep(0.5)

    task = asyncio.create_task(kit.uow.run(slow))
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # A transaction left open would block this one (embedded server) or conflict with it.
    other = create_client(mongodb_uri, "kit-other")
    uow = UnitOfWork(other, other[kit.db.name], source="crm/test")

    async def quick(tx: Transaction) -> None:
        await uow.db.things.insert_one({"_id": "after"}, session=tx.session)

    await asyncio.wait_for(uow.run(quick), timeout=5)
    await other.close()
    assert await kit.db.things.find_one({"_id": "after"}) is not None


async def test_dlq_replay_moves_a_parked_message_back_with_a_fresh_attempt_count(
    kit: Kit, amqp_url: str
) -> None:
    seen: list[int] = []

    async def flaky(event: CloudEvent, tx: Transaction) -> None:
        seen.append(1)
        if len(seen) <= 2:
            raise RuntimeError("downstream not ready")

    name = unique("replay")
    consumer = EventConsumer(
        name, kit.bus, kit.uow, {"thing.r.v1": flaky}, max_attempts=2, retry_delay_ms=100
    )
    await consumer.start()
    try:
        event = CloudEvent(type="thing.r.v1", source="t", subject="r", data={})
        await kit.bus.publish(event)
        await eventually(lambda: _true(consumer.dead_lettered_total == 1), timeout=20)
        [parked] = await dlq.peek(amqp_url, name)
        assert parked.attempts == 2 and "downstream not ready" in parked.last_error
        moved = await dlq.replay(amqp_url, name, {event.id})
        assert [m.message_id for m in moved] == [event.id]
        await eventually(lambda: _true(consumer.applied_total == 1), timeout=20)
    finally:
        await consumer.stop()
    depths = {d.queue: d.messages for d in await dlq.depths(amqp_url, name)}
    assert depths[consumer.queues.dead] == 0
    body = orjson.loads(parked.body)
    assert body["id"] == event.id
