"""The durable delivery scheduler: two replicas on one database send each reminder exactly once,
and a crashed replica's claimed work is picked up when its lease expires."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from crm_dev.smtp_sink import SmtpSink
from crm_kit.events import utcnow
from crm_kit.mongo import Document, ensure_indexes
from crm_kit.uow import OUTBOX_COLLECTION, UnitOfWork
from crm_notification.channels.email import SmtpSender
from crm_notification.channels.model import Channel
from crm_notification.deliveries.model import Delivery, DeliveryStatus, RetryPolicy
from crm_notification.deliveries.scheduler import DeliveryScheduler
from crm_notification.deliveries.store import DELIVERY_INDEXES, DeliveryRepository
from crm_notification.shared.clock import to_millis
from crm_notification.webhooks.store import WebhookRepository
from tests.integration.notification.harness import fast_settings
from tests.support import eventually

pytestmark = pytest.mark.integration


@dataclass
class Db:
    client: AsyncMongoClient[Document]
    name: str


@pytest_asyncio.fixture(loop_scope="session")
async def db(mongodb_uri: str) -> AsyncIterator[Db]:
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongodb_uri, tz_aware=True)
    name = f"sched_{uuid.uuid4().hex[:8]}"
    await ensure_indexes(client[name], DELIVERY_INDEXES)
    try:
        yield Db(client, name)
    finally:
        await client.drop_database(name)
        await client.close()


def reminder(n: int, now: datetime) -> Delivery:
    return Delivery(
        id=f"dlv_reminder_{n:03d}_{uuid.uuid4().hex[:6]}",
        channel=Channel.EMAIL,
        target=f"user{n}",
        event_id=f"evt-{n}",
        event_type="task.due.v1",
        notification_type="TASK_DUE",
        customer_id="c-1",
        created_at=to_millis(now),
        next_attempt_at=to_millis(now),
        address=f"user{n}@example.cn",
        title=f"任务到期提醒 {n}",
        body="请及时处理。",
        max_attempts=3,
    )


def replica(name: str, d: Db, sink: SmtpSink, lease_seconds: float = 10.0) -> DeliveryScheduler:
    db = d.client[d.name]
    settings = fast_settings(sink.port)
    return DeliveryScheduler(
        owner=name,
        deliveries=DeliveryRepository(db),
        webhooks=WebhookRepository(db),
        uow=UnitOfWork(d.client, db, source="crm/notification-test"),
        senders={Channel.EMAIL: SmtpSender(settings)},
        policy=RetryPolicy(0.2, 1.0),
        lease=timedelta(seconds=lease_seconds),
        poll_seconds=0.05,
        batch=5,
        disable_webhook_after=5,
        clock=utcnow,
    )


async def test_two_replicas_send_each_reminder_exactly_once(db: Db) -> None:
    repo = DeliveryRepository(db.client[db.name])
    now = datetime.now(UTC)
    reminders = [reminder(n, now) for n in range(40)]
    for r in reminders:
        assert await repo.add(r)
    async with SmtpSink() as sink:
        a, b = replica("replica-a", db, sink), replica("replica-b", db, sink)
        stop = asyncio.Event()
        runs = [asyncio.create_task(a.run(stop)), asyncio.create_task(b.run(stop))]
        try:
            await sink.wait_for(len(reminders), timeout=60)
            await asyncio.sleep(0.5)  # anything sent twice would arrive now
        finally:
            stop.set()
            await asyncio.gather(*runs)
    sent = Counter(m.header("X-CRM-Delivery-Id") for m in sink.messages)
    assert sent == Counter({r.id: 1 for r in reminders})
    assert a.sent_total + b.sent_total == 40
    assert a.sent_total > 0 and b.sent_total > 0, (a.sent_total, b.sent_total)  # both worked
    assert a.lost_leases_total == b.lost_leases_total == 0
    stored = await repo.by_ids([r.id for r in reminders])
    assert {d.status for d in stored} == {DeliveryStatus.SENT}
    assert all(d.attempts == 1 for d in stored)
    outbox = client_outbox(db)
    assert await outbox.count_documents({"type": "notification.delivered.v1"}) == 40


def client_outbox(d: Db) -> AsyncCollection[Document]:
    return d.client[d.name][OUTBOX_COLLECTION]


async def test_a_crashed_replicas_claim_is_picked_up_after_its_lease(db: Db) -> None:
    repo = DeliveryRepository(db.client[db.name])
    r = reminder(1, datetime.now(UTC))
    await repo.add(r)
    # Replica "crashed" claims it with a short lease and dies before sending.
    claim = await repo.claim("crashed", datetime.now(UTC), timedelta(seconds=0.6))
    assert claim is not None and claim.delivery.id == r.id
    async with SmtpSink() as sink:
        survivor = replica("survivor", db, sink)
        assert await survivor.run_once() == 0  # leased: not taken while the lease holds
        stop = asyncio.Event()
        run = asyncio.create_task(survivor.run(stop))
        try:
            [mail] = await sink.wait_for(1, timeout=10)
        finally:
            stop.set()
            await run
    assert mail.header("X-CRM-Delivery-Id") == r.id
    done = await repo.get(r.id)
    assert done is not None and done.status is DeliveryStatus.SENT
    # The crashed replica cannot record an outcome any more: its lease is gone.
    async with db.client.start_session() as session:
        assert not await repo.finish(claim, r, session)


async def test_unreachable_smtp_is_retried_then_dead_with_the_reason(db: Db) -> None:
    repo = DeliveryRepository(db.client[db.name])
    r = reminder(2, datetime.now(UTC))
    await repo.add(r)
    async with SmtpSink() as sink:
        port = sink.port
    # The sink is closed now: nothing listens on its port.
    closed = SmtpSink(port=port)
    scheduler = replica("lonely", db, closed)
    stop = asyncio.Event()
    run = asyncio.create_task(scheduler.run(stop))

    async def dead() -> Delivery | None:
        found = await repo.get(r.id)
        return found if found is not None and found.status is DeliveryStatus.DEAD else None

    try:
        final = await eventually(dead, timeout=20)
    finally:
        stop.set()
        await run
    assert final.attempts == 3 and len(final.history) == 3
    assert final.last_error is not None and final.last_error.startswith("smtp")
    assert all(not a.ok for a in final.history)
    outbox = client_outbox(db)
    failed = await outbox.find_one({"type": "notification.failed.v1", "subject": "c-1"})
    assert failed is not None
    assert failed["envelope"]["data"]["deliveryId"] == r.id
    assert failed["envelope"]["data"]["status"] == "DEAD"
