"""A consumer with group commit (`Intake(group_size=…)`) against the real broker and the
embedded MongoDB: the events delivered together share one transaction, each is applied once,
and a poison event fails alone — its group is applied one by one, the poison dead-lettered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from crm_kit.bus import EventBus
from crm_kit.consumer import EventConsumer, Intake
from crm_kit.events import CloudEvent
from crm_kit.mongo import create_client
from crm_kit.uow import Transaction, UnitOfWork
from tests.support import eventually, unique

pytestmark = pytest.mark.integration


@dataclass
class Kit:
    uow: UnitOfWork
    bus: EventBus
    db: Any


@pytest.fixture
async def kit(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Kit]:
    client = create_client(mongodb_uri, "kit-test")
    db = client[unique("kit")]
    bus = EventBus(amqp_url, unique("crm.events.test"))
    yield Kit(UnitOfWork(client, db, source="crm/test"), bus, db)
    await bus.close()
    await client.drop_database(db.name)
    await client.close()


async def test_a_group_shares_a_transaction_and_a_poison_event_fails_alone(kit: Kit) -> None:
    transactions: dict[str, int] = {}  # event subject → the transaction that applied it

    async def handler(event: CloudEvent, tx: Transaction) -> None:
        if event.subject == "poison":
            raise ValueError("cannot be applied")
        await kit.db.handled.insert_one({"_id": event.subject}, session=tx.session)
        transactions[event.subject] = id(tx)

    consumer = EventConsumer(
        unique("grouped"),
        kit.bus,
        kit.uow,
        {"thing.x.v1": handler},
        max_attempts=1,
        intake=Intake(group_size=8),
    )
    await kit.bus.connect()
    subjects = [f"e{n}" for n in range(12)]
    events = [CloudEvent(type="thing.x.v1", source="t", subject=s, data={}) for s in subjects]
    events.insert(3, CloudEvent(type="thing.x.v1", source="t", subject="poison", data={}))
    await consumer.start()
    try:
        await asyncio.gather(*(kit.bus.publish(e) for e in [*events, events[0]]))  # e0 twice

        async def settled() -> bool:
            return consumer.applied_total == 12 and consumer.dead_lettered_total == 1

        await eventually(settled, timeout=30)
        await asyncio.sleep(0.3)  # a second application of the repeated event would show now
    finally:
        await consumer.stop()
    stored = {d["_id"] async for d in kit.db.handled.find({})}
    assert stored == set(subjects)  # each good event applied once, the poison never
    assert consumer.duplicates_total == 1
    # the events after the poison's group were applied together, in shared transactions
    assert len(set(transactions.values())) < len(subjects)
