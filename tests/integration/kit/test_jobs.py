"""Leased jobs against the real MongoDB: two runners never work one item twice, an expired
lease is taken over, a holder that lost its lease cannot record, renewal and give-up."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.events import utcnow
from crm_kit.jobs import JobRunner, LeasedItems, LeaseFields
from crm_kit.mongo import Document, create_client
from tests.support import eventually, unique

pytestmark = pytest.mark.integration

FIELDS = LeaseFields(owner="lease_owner", until="lease_until", attempts="tries")


@pytest.fixture
async def db(mongodb_uri: str) -> AsyncIterator[AsyncDatabase[Document]]:
    client = create_client(mongodb_uri, "jobs-test")
    name = unique("jobs")
    yield client[name]
    await client.drop_database(name)
    await client.close()


def items(db: AsyncDatabase[Document]) -> LeasedItems:
    return LeasedItems(db["items"], fields=FIELDS, order="due")


def due() -> dict[str, Any]:
    return {"state": "open", "due": {"$lte": utcnow()}}


@dataclass
class Worker:
    """A replica's source: claims an open item, works on it, records it as done."""

    owner: str
    leased: LeasedItems
    lease: timedelta = timedelta(seconds=10)
    done: list[str] = field(default_factory=list)
    stop_while_working: asyncio.Event | None = None  # a stop asked for while an item runs

    async def claim(self) -> Document | None:
        return await self.leased.claim(due(), self.owner, utcnow(), self.lease)

    async def work(self, item: Document, stop: asyncio.Event) -> bool:
        if self.stop_while_working is not None:
            self.stop_while_working.set()
        await asyncio.sleep(0.005)  # let the other replica interleave
        self.done.append(item["_id"])
        return await self.leased.finish(item["_id"], self.owner, {"state": "done"})

    async def failed(self, item: Document, exc: Exception) -> None:
        raise AssertionError(exc)


async def test_two_runners_work_each_item_exactly_once(db: AsyncDatabase[Document]) -> None:
    now = utcnow()
    await db["items"].insert_many(
        [{"_id": f"i{n:03d}", "state": "open", "due": now} for n in range(60)]
    )
    a, b = Worker("a", items(db)), Worker("b", items(db))
    runners = [
        JobRunner(source=w, name=w.owner, poll_seconds=0.02, batch=4, concurrent=True)
        for w in (a, b)
    ]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(r.run(stop)) for r in runners]

    async def all_done() -> bool:
        return await db["items"].count_documents({"state": "done"}) == 60

    try:
        await eventually(all_done, timeout=30, interval=0.05)
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 5)
    worked = Counter(a.done + b.done)
    assert worked == Counter({f"i{n:03d}": 1 for n in range(60)})
    assert a.done and b.done, "both replicas took part"
    assert runners[0].done_total + runners[1].done_total == 60
    stored = await db["items"].find().to_list()
    assert all(d["lease_owner"] is None and d["tries"] == 1 for d in stored)


async def test_an_expired_lease_is_taken_over_and_the_old_holder_cannot_record(
    db: AsyncDatabase[Document],
) -> None:
    await db["items"].insert_one({"_id": "x", "state": "open", "due": utcnow()})
    leased = items(db)
    crashed = await leased.claim(due(), "crashed", utcnow(), timedelta(seconds=0.4))
    assert crashed is not None and crashed["lease_owner"] == "crashed"
    assert not await leased.any_due(due(), utcnow()), "leased: not due for anyone else"
    assert await leased.claim(due(), "survivor", utcnow(), timedelta(seconds=10)) is None
    await asyncio.sleep(0.5)  # the holder died: no renewal, no release
    taken = await leased.claim(due(), "survivor", utcnow(), timedelta(seconds=10))
    assert taken is not None and taken["lease_owner"] == "survivor" and taken["tries"] == 2
    assert not await leased.finish("x", "crashed", {"state": "done"})
    assert not await leased.renew("x", "crashed", utcnow(), timedelta(seconds=10))
    assert await leased.finish("x", "survivor", {"state": "done"})
    doc = await db["items"].find_one({"_id": "x"})
    assert doc is not None and doc["state"] == "done" and doc["lease_owner"] is None


async def test_renewal_keeps_a_long_job_and_release_hands_it_over(
    db: AsyncDatabase[Document],
) -> None:
    await db["items"].insert_one({"_id": "long", "state": "open", "due": utcnow()})
    leased = items(db)
    assert await leased.claim(due(), "a", utcnow(), timedelta(seconds=0.4)) is not None
    for _ in range(3):
        await asyncio.sleep(0.2)
        assert await leased.renew("long", "a", utcnow(), timedelta(seconds=0.4))
        assert await leased.claim(due(), "b", utcnow(), timedelta(seconds=10)) is None
    await leased.release("long", "a")  # a graceful stop: b takes over at once
    taken = await leased.claim(due(), "b", utcnow(), timedelta(seconds=10))
    assert taken is not None and taken["lease_owner"] == "b"


async def test_give_up_takes_an_item_out_of_the_due_ones(db: AsyncDatabase[Document]) -> None:
    await db["items"].insert_one({"_id": "bad", "state": "open", "due": utcnow()})
    leased = items(db)
    assert await leased.claim(due(), "a", utcnow(), timedelta(seconds=0.1)) is not None
    await leased.give_up("bad", "a", {"state": "failed"})
    await asyncio.sleep(0.15)
    assert not await leased.any_due(due(), utcnow())
    doc = await db["items"].find_one({"_id": "bad"})
    assert doc is not None and doc["state"] == "failed"


async def test_a_stopped_runner_finishes_its_item_and_leaves_the_rest(
    db: AsyncDatabase[Document],
) -> None:
    now = utcnow()
    await db["items"].insert_many([{"_id": f"s{n}", "state": "open", "due": now} for n in range(5)])
    stop = asyncio.Event()
    worker = Worker("a", items(db), stop_while_working=stop)
    runner = JobRunner(source=worker, name="a", poll_seconds=0.02, batch=5)
    await asyncio.wait_for(runner.run(stop), 5)
    assert worker.done == ["s0"]
    assert await db["items"].count_documents({"state": "open", "lease_owner": None}) == 4
