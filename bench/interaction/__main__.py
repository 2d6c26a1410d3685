"""Interaction benchmark on the embedded default (or MONGODB_URI / --mongodb-uri).

    .venv/bin/python -m bench.interaction --items 1000

Seeds one customer with N items (interactions, purchases, tickets, tasks — each with its
timeline entry) among other customers' items, then prints p50/p95 of:
- the timeline: first page of 20 (+ totalCount), a page deep in the feed (after a cursor),
  a page filtered by kind;
- insight: the batched facts (4 aggregates) plus the pure scoring, for 1 and 20 customers;
- the write path: logInteraction and createTicket (one transaction each, with the timeline
  entry, SLA jobs and outbox event), and the scheduler firing due reminder jobs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

from bench.stats import line, timed
from crm_interaction.analytics.queries import AnalyticsQueries
from crm_interaction.app import wire
from crm_interaction.insight import model as insight
from crm_interaction.insight.queries import InsightQueries
from crm_interaction.interactions import model as domain
from crm_interaction.interactions.queries import InteractionQueries
from crm_interaction.interactions.store import interaction_to_doc
from crm_interaction.migrations.indexes import ALL_INDEXES
from crm_interaction.purchases import model as purchases
from crm_interaction.purchases.store import purchase_to_doc
from crm_interaction.scheduling.scheduler import Scheduler
from crm_interaction.scheduling.store import JobRepository
from crm_interaction.shared.clock import to_storage_time
from crm_interaction.tasks import model as tasks
from crm_interaction.tasks.store import task_to_doc
from crm_interaction.tickets import model as tickets
from crm_interaction.tickets import sla
from crm_interaction.tickets.store import ticket_to_doc
from crm_interaction.timeline import model as timeline
from crm_interaction.timeline.queries import TimelineFilter, TimelineQueries
from crm_interaction.timeline.store import entry_to_doc
from crm_kit.auth import Principal, Role
from crm_kit.events import utcnow
from crm_kit.mongo import Document, ensure_indexes
from crm_kit.outbox import OUTBOX_INDEXES
from crm_kit.paging import Keyset
from crm_kit.uow import UnitOfWork

ACTOR = Principal("bench", "bench", frozenset({Role.ADMIN}), "east")
CHANNELS = list(domain.Channel)


type Built = tuple[str, Document, Any]  # collection, document, timeline entry


def _interaction(customer_id: str, i: int, at: datetime, rng: random.Random) -> Built:
    item = domain.Interaction(
        uuid.uuid4().hex, customer_id, rng.choice(CHANNELS), domain.Direction.OUTBOUND, "跟进",
        "客户询问交付时间和发票。" * 3, to_storage_time(at), 300, "bench", to_storage_time(at),
    )  # fmt: skip
    return "interactions", interaction_to_doc(item), domain.timeline_entry(item)


def _purchase(customer_id: str, i: int, at: datetime, rng: random.Random) -> Built:
    order = purchases.RecordPurchase(
        customer_id, f"SO-{i}", f"{rng.randint(100, 99999)}.00", "CNY", to_storage_time(at),
        "erp", uuid.uuid4().hex,
    )  # fmt: skip
    p = purchases.build(order, recorded_by="bench", now=to_storage_time(at), version=1)
    return "purchases", purchase_to_doc(p), purchases.timeline_entry(p)


def _ticket(customer_id: str, i: int, at: datetime, rng: random.Random) -> Built:
    command = tickets.OpenTicket(
        customer_id, rng.choice(list(tickets.TicketType)), sla.Priority.NORMAL, "问题", ""
    )
    t = tickets.open_ticket(
        command, id=uuid.uuid4().hex, created_by="bench", now=to_storage_time(at),
        rules=sla.SlaRules.default(),
    )  # fmt: skip
    return "tickets", ticket_to_doc(t), tickets.timeline_entry(t)


def _task(customer_id: str, i: int, at: datetime, rng: random.Random) -> Built:
    command = tasks.NewTask(customer_id, "回访", at + timedelta(days=3))
    k = tasks.new_task(command, id=uuid.uuid4().hex, created_by="bench", now=at)
    return "tasks", task_to_doc(k), tasks.timeline_entry(k)


# two interactions, then a purchase, a ticket and a task, over and over
_KINDS = (_interaction, _interaction, _purchase, _ticket, _task)


def items_for(
    customer_id: str, n: int, now: datetime, rng: random.Random
) -> dict[str, list[Document]]:
    """n items of all four kinds with their timeline entries (bulk, bypassing the services)."""
    docs: dict[str, list[Document]] = {
        k: [] for k in ("interactions", "purchases", "tickets", "tasks", "timeline")
    }
    for i in range(n):
        at = now - timedelta(minutes=rng.randint(1, 400 * 24 * 60))
        collection, doc, entry = _KINDS[i % 5](customer_id, i, at, rng)
        docs[collection].append(doc)
        docs["timeline"].append(entry_to_doc(entry))
    return docs


@dataclass
class Bench:
    """One run's database, the customer with `n` items and a 20-customer `_entities` batch."""

    client: AsyncMongoClient[Document]
    db: Any
    n: int
    others: int
    reps: int
    now: datetime
    target: str
    batch: list[str]


async def seeded(uri: str, n: int, others: int, reps: int) -> Bench:
    client: AsyncMongoClient[Document] = AsyncMongoClient(uri, tz_aware=True)
    db = client[f"bench_interaction_{uuid.uuid4().hex[:6]}"]
    await ensure_indexes(db, [OUTBOX_INDEXES, *ALL_INDEXES])
    rng = random.Random(n)
    now = datetime.now(UTC)
    target = uuid.uuid4().hex
    batch = [target] + [uuid.uuid4().hex for _ in range(19)]
    start = time.perf_counter()
    total = 0
    for customer_id, count in [(target, n)] + [(c, others) for c in batch[1:]]:
        await db.customers.insert_one(
            {"_id": customer_id, "displayName": "bench", "version": 1, "updatedAt": now}
        )
        for name, docs in items_for(customer_id, count, now, rng).items():
            if docs:
                await db[name].insert_many(docs)
                total += len(docs)
    print(
        f"seeded {total:,} documents in {time.perf_counter() - start:.1f}s: "
        f"one customer with {n:,} items, 19 others with {others} each"
    )
    return Bench(client, db, n, others, reps, now, target, batch)


async def timeline_reads(b: Bench) -> None:
    repo, target, reps, n = TimelineQueries(b.db), b.target, b.reps, b.n
    print(f"\ntimeline of the customer with {n:,} items (page of 20):")
    line("first page (20 items)", await timed(lambda: repo.page(target, 20, None), reps))
    line("totalCount alone", await timed(lambda: repo.count(target), reps))
    both = await timed(
        lambda: asyncio.gather(repo.page(target, 20, None), repo.count(target)), reps
    )
    line("first page + totalCount (as the 360 query asks)", both)
    entries, _ = await repo.page(target, n // 2, None)
    middle = Keyset(entries[-1].at, entries[-1].id)
    after = await timed(lambda: repo.page(target, 20, middle), reps)
    line(f"page after item {n // 2} (keyset cursor)", after)
    tickets_only = TimelineFilter(kinds=(timeline.TimelineKind.TICKET,))
    line(
        "first page, kinds=[TICKET]",
        await timed(lambda: repo.page(target, 20, None, tickets_only), reps),
    )
    print("\nper-customer paged fields for a 20-customer _entities batch:")
    line(
        "timeline first pages, one aggregate ($unionWith per customer)",
        await timed(lambda: repo.pages(b.batch, 20, None), reps),
    )
    one_by_one: list[Callable[[], Awaitable[Any]]] = [
        partial(repo.page, c, 20, None) for c in b.batch
    ]
    line(
        "timeline first pages, one query per customer (before)",
        await timed(lambda: _sequential(one_by_one), reps),
    )


async def aggregates(b: Bench) -> None:
    views = InsightQueries(b.db, InteractionQueries(b.db), utcnow)
    line(
        "RFM base quintiles (2 $percentile aggregates, cached 10 min)",
        await timed(lambda: _cold_distribution(views), b.reps),
    )
    analytics = AnalyticsQueries(b.db)
    year = b.now - timedelta(days=366)
    line(
        "serviceAnalytics, one $facet aggregate over 366 days",
        await timed(lambda: analytics.service_analytics(year, b.now, None), b.reps),
    )

    async def insight_for(ids: list[str]) -> None:
        at = datetime.now(UTC)
        facts = await views.facts(ids, at)
        for customer_id in ids:
            insight.compute(facts[customer_id], at)

    print("\ninsight (4 batched aggregates + scoring):")
    line(f"1 customer ({b.n:,} items)", await timed(lambda: insight_for([b.target]), b.reps))
    line(
        f"20 customers in one _entities batch ({b.n + 19 * b.others:,} items)",
        await timed(lambda: insight_for(b.batch), b.reps),
    )
    pure = CustomerFactsSample.make(b.now)
    scoring = await timed(_wrap(lambda: insight.compute(pure, b.now)), b.reps)
    line("scoring alone (pure compute)", scoring)


async def writes_and_jobs(b: Bench) -> None:
    uow = UnitOfWork(b.client, b.db, "crm/bench")
    wired = wire(b.db, uow, utcnow, sla.SlaRules.default())
    features, target, reps = wired.features, b.target, b.reps
    print("\nwrite path (one transaction: item + timeline entry + jobs + outbox):")
    command = domain.LogInteraction(
        target, domain.Channel.PHONE, domain.Direction.OUTBOUND, "回访电话"
    )
    line("logInteraction", await timed(lambda: features.interactions.log(ACTOR, command), reps))
    ticket_cmd = tickets.OpenTicket(target, tickets.TicketType.FAULT, sla.Priority.HIGH, "故障", "")
    opened = await timed(lambda: features.tickets.open(ACTOR, ticket_cmd), reps)
    line("createTicket (+2 SLA jobs)", opened)
    due = datetime.now(UTC) + timedelta(hours=2)
    task_cmd = tasks.NewTask(target, "回访", due, reminder_offsets=(60, 0))
    created = await timed(lambda: features.tasks.create(ACTOR, task_cmd), reps)
    line("createTask (+2 reminder jobs)", created)
    later = datetime.now(UTC) + timedelta(hours=3)
    scheduler = Scheduler(JobRepository(b.db), uow, wired.job_handlers, lambda: later)
    due_jobs = await b.db.scheduled_jobs.count_documents({"dueAt": {"$lte": later}})
    start = time.perf_counter()
    fired = 0
    while done := await scheduler.tick():
        fired += done
    elapsed = time.perf_counter() - start
    print(
        f"\nscheduler: fired {fired} of {due_jobs} due jobs in {elapsed:.2f}s "
        f"({fired / elapsed:.0f} jobs/s, claim + transaction + outbox each)"
    )


async def run(uri: str, n: int, others: int, reps: int) -> None:
    b = await seeded(uri, n, others, reps)
    await timeline_reads(b)
    await aggregates(b)
    await writes_and_jobs(b)
    try:
        await b.client.drop_database(b.db.name)
    except Exception as exc:  # the embedded server may still hold the file briefly
        print(f"(could not drop {b.db.name}: {type(exc).__name__})")
    await b.client.close()


class CustomerFactsSample:
    @staticmethod
    def make(now: datetime) -> insight.CustomerFacts:
        return insight.CustomerFacts(
            "c",
            last_contact_at=now - timedelta(days=40),
            complaints_90=1,
            low_ratings_180=1,
            rating_sum=7,
            rating_count=2,
            spend=(
                insight.SpendFacts(
                    "CNY", 9_000_000, 5_000_000, 500_000, 900_000, 6, 12, now - timedelta(days=50)
                ),
            ),
        )


def _wrap(fn: Callable[[], Any]) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        fn()

    return run


async def _cold_distribution(views: InsightQueries) -> None:
    views.forget_distribution()
    await views.distribution(datetime.now(UTC))


async def _sequential(calls: list[Callable[[], Awaitable[Any]]]) -> None:
    for call in calls:
        await call()


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", type=int, default=1000, help="items of the measured customer")
    parser.add_argument("--others", type=int, default=100, help="items of each other customer")
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--mongodb-uri", default=os.environ.get("MONGODB_URI", ""))
    args = parser.parse_args()
    server = None
    uri = args.mongodb_uri
    if not uri:
        from crm_dev.testing import MongoServer

        server = MongoServer(Path(tempfile.mkdtemp(prefix="bench-interaction-")))
        server.start()
        uri = server.uri
        print(f"embedded MongoDB (mongoeco) at {uri}")
    try:
        await run(uri, args.items, args.others, args.reps)
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    asyncio.run(main())
