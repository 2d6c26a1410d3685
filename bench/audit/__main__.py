"""Audit log and data-protection costs on the embedded default (or MONGODB_URI / --mongodb-uri).

    .venv/bin/python -m bench.audit --records 1000 --customers 500

Prints:
- append: sequential audited transactions (one record each) — latency p50/p95 and MongoDB
  commands per transaction, with the cached chain head (the normal case in one process) and
  with a cold head read;
- concurrency: the same number of appends from 8 concurrent tasks — rate, and the chain
  verifies (no gaps, no forks);
- verify: records checked per second; prune: time to cut half the log with a checkpoint;
- rotation: customers re-encrypted per second by `crm_customer.rotate_keys` (new key first).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient, monitoring

from bench.stats import percentile
from crm_customer.customers import model as domain
from crm_customer.customers.documents import to_document
from crm_customer.customers.model import NewCustomer
from crm_customer.customers.store import CUSTOMERS
from crm_customer.customers.values import CustomerKind
from crm_customer.protection.crypto import DataProtector
from crm_customer.rotate_keys import KeyRotation
from crm_kit.audit import AuditLog, Entry, Who
from crm_kit.mongo import transaction_options

K1 = "k1:" + "B" * 43 + "="
K2 = "k2:" + "A" * 43 + "="
BLIND = "C" * 43 + "="


class Counter(monitoring.CommandListener):
    def __init__(self) -> None:
        self.count = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name not in ("commitTransaction", "abortTransaction", "endSessions"):
            self.count += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def appends(
    client: AsyncMongoClient[dict[str, Any]], log: AuditLog, n: int, cold: bool, counter: Counter
) -> tuple[list[float], float]:
    times: list[float] = []
    before = counter.count
    who = Who("bench", ("ADMIN",), "r", "127.0.0.1")
    for i in range(n):
        if cold:
            log._last = None  # measure the read path
        started = time.perf_counter()
        async with client.start_session() as session:

            async def work(s: Any, i: int = i) -> list[dict[str, Any]]:
                return await log.append([Entry("bench.write", "Thing", str(i))], who, s)

            docs = await session.with_transaction(work, **transaction_options())
        log.committed(docs)
        times.append((time.perf_counter() - started) * 1000)
    return times, (counter.count - before) / n


async def key_rotation(client: Any, db: Any, customers: int) -> None:
    """`customers` records under an old key, re-encrypted under a new one."""
    old = DataProtector.from_config(K1, BLIND)
    ring = DataProtector.from_config(f"{K2},{K1}", BLIND)
    now = datetime.now(UTC)
    docs = [
        to_document(
            domain.create(
                NewCustomer(
                    kind=CustomerKind.INDIVIDUAL,
                    name=f"客户{i}",
                    phones=[f"138{i:08d}"],
                    emails=[f"c{i}@example.com"],
                    id_card_number="11010519491231002X",
                ),
                id=f"c{i:07d}",
                actor="bench",
                now=now,
            ),
            old,
        )
        for i in range(customers)
    ]
    await db[CUSTOMERS].insert_many(docs)
    started = time.perf_counter()
    rotation = await KeyRotation(client, db, ring).run(batch=100)
    elapsed = time.perf_counter() - started
    print(
        f"key rotation: {rotation.customers} customers in {elapsed:.1f} s "
        f"({rotation.customers / elapsed:.1f} customers/s)"
    )


async def run(uri: str, records: int, customers: int) -> None:
    counter = Counter()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        uri, tz_aware=True, event_listeners=[counter]
    )
    db = client[f"bench_audit_{uuid.uuid4().hex[:8]}"]
    try:
        log = AuditLog(client, db, "bench")
        await log.ensure_head()
        half = records // 2
        for label, cold in (("cached head", False), ("cold head  ", True)):
            times, per_tx = await appends(client, log, half, cold, counter)
            print(
                f"append ({label}): p50 {statistics.median(times):6.1f} ms  "
                f"p95 {percentile(times, 0.95):6.1f} ms  commands/transaction {per_tx:.1f}"
            )
        started = time.perf_counter()
        await asyncio.gather(
            *(
                log.append_now([Entry("bench.concurrent", "Thing", f"{t}-{i}")], Who("bench"))
                for t in range(8)
                for i in range(records // 8)
            )
        )
        elapsed = time.perf_counter() - started
        print(f"concurrent appends (8 tasks): {records // 8 * 8 / elapsed:6.1f} records/s")
        started = time.perf_counter()
        result = await log.verify()
        elapsed = time.perf_counter() - started
        assert result.ok, result.broken
        print(
            f"verify: {result.checked} records in {elapsed:.2f} s "
            f"({result.checked / elapsed:,.0f} records/s), chain intact"
        )
        started = time.perf_counter()
        cut = datetime.now(UTC) + timedelta(days=1)
        pruned = await log.prune(timedelta(days=1), now=cut + timedelta(days=1))
        print(f"prune: {pruned.removed} records in {time.perf_counter() - started:.2f} s")
        assert (await log.verify()).ok

        await key_rotation(client, db, customers)
    finally:
        await client.drop_database(db.name)
        await client.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--mongodb-uri", default=os.environ.get("MONGODB_URI", ""))
    args = parser.parse_args()
    server = None
    uri = args.mongodb_uri
    if not uri:
        from crm_dev.testing import MongoServer

        server = MongoServer(Path(tempfile.mkdtemp(prefix="bench-audit-")))
        server.start()
        uri = server.uri
        print(f"embedded MongoDB (mongoeco) at {uri}")
    try:
        await run(uri, args.records, args.customers)
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    asyncio.run(main())
