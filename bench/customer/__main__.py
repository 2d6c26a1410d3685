"""Customer master data benchmark on the embedded default (or MONGODB_URI / --mongodb-uri).

    .venv/bin/python -m bench.customer --sizes 1000 10000

For each N: bulk-seeds N realistic customers (plus their first history version), then
measures at that collection size:
- create path rows/s: `createCustomer` one at a time as the service wires it — validation
  (GB 11643 / GB 32100 / E.164 …, custom fields), the duplicate check (phone, email, ID-card
  blind index, credit code, name+region, similar names) and the transaction (customer, match
  keys, version, audit record, outbox);
- search p50/p95 for three typical filters and three free-text queries (first page of 20
  with totalCount), with the index each one is hinted to;
- history: update, history page, as-of read and restore-to-version latency;
- merge of two records and its undo.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

from bench.customer.generator import customer
from bench.customer.wiring import service_commands
from bench.stats import line, timed
from crm_customer.customers import model as domain
from crm_customer.customers.filters import CustomerFilter, plan
from crm_customer.customers.model import Customer, CustomerChanges
from crm_customer.customers.store import CustomerRepository
from crm_customer.customers.values import LifecycleStage
from crm_customer.duplicates.model import match_keys
from crm_customer.duplicates.store import MATCH_KEYS
from crm_customer.history import model as history
from crm_customer.history.model import VersionAction
from crm_customer.history.store import VERSIONS
from crm_customer.indexes import INDEXES
from crm_customer.protection.crypto import DataProtector
from crm_kit.auth import Principal, Role
from crm_kit.mongo import ensure_indexes
from crm_kit.outbox import OUTBOX_INDEXES

ACTOR = Principal("bench", "bench", frozenset({Role.ADMIN}), "east")


async def seed(repo: CustomerRepository, db: Any, n: int, rng: random.Random) -> list[Any]:
    now = datetime.now(UTC)
    made = []
    batch_docs: list[dict[str, Any]] = []
    batch_versions: list[dict[str, Any]] = []
    keys: dict[str, list[str]] = {}
    for i in range(n):
        c = domain.create(customer(rng, i), id=uuid.uuid4().hex, actor="seed", now=now)
        made.append(c)
        doc = repo.document(c)
        batch_docs.append(doc)
        v = history.record(None, c, VersionAction.CREATED, "seed")
        batch_versions.append(
            {
                "_id": f"{c.id}:{1:010d}",
                "customer_id": c.id,
                "version": 1,
                "at": v.at,
                "actor": "seed",
                "action": "CREATED",
                "changes": [
                    {"field": x.field, "before": x.before, "after": x.after} for x in v.changes
                ],
                "state": {k: val for k, val in doc.items() if k != "search_terms"},
            }
        )
        for key in match_keys(doc):
            keys.setdefault(key, []).append(c.id)
        if len(batch_docs) == 500 or i == n - 1:
            await db.customers.insert_many(batch_docs)
            await db[VERSIONS].insert_many(batch_versions)
            batch_docs, batch_versions = [], []
    registry = [{"_id": k, "ids": ids} for k, ids in keys.items()]
    for i in range(0, len(registry), 1000):
        await db[MATCH_KEYS].insert_many(registry[i : i + 1000])
    return made


@dataclass
class Bench:
    """One size's database, the service's use cases over it, and the seeded records."""

    deps: Any  # the service's use cases and queries, as app.wire builds them
    rng: random.Random
    seeded: list[Customer]
    reps: int


async def create_path(b: Bench, n: int, sample: int) -> None:
    """Validation + duplicate check + transaction, one row at a time."""
    rows = [customer(b.rng, n + i) for i in range(sample)]
    created = conflicts = 0
    per_row: list[float] = []
    dup_checks: list[float] = []
    for new in rows:
        t0 = time.perf_counter()
        probe = domain.create(new, id=uuid.uuid4().hex, actor="b", now=datetime.now(UTC))
        await b.deps.customers.duplicates.find(probe)
        dup_checks.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        try:
            await b.deps.customers.create(ACTOR, new)
            created += 1
        except Exception as exc:  # a generated phone may collide: a CONFLICT is a valid outcome
            if type(exc).__name__ != "Conflict":
                raise
            conflicts += 1
        per_row.append(time.perf_counter() - t0)
    total = sum(per_row)
    print(
        f"  create path (validate + dup check + tx)      {sample / total:8.1f} rows/s"
        f"   ({created} created, {conflicts} refused as duplicates)"
    )
    line("duplicate check alone", dup_checks)


async def searches(b: Bench) -> None:
    sample_person = next(c for c in b.seeded if c.id_card_number)
    name_part = sample_person.name[:2]
    phone_suffix = sample_person.phones[0][-4:]
    filters = {
        "stage=ACTIVE": CustomerFilter(stages=[LifecycleStage.ACTIVE]),
        "owner=staff3 + stage=LEAD": CustomerFilter(
            owner_id="staff3", stages=[LifecycleStage.LEAD]
        ),
        "region=广东省 + tags any [vip]": CustomerFilter(region="广东省", tags_any=["vip"]),
        f"text '{name_part}' (Chinese)": CustomerFilter(text=name_part),
        "text 'zw' (pinyin initials)": CustomerFilter(text="zw"),
        f"text '{phone_suffix}' (phone suffix)": CustomerFilter(text=phone_suffix),
    }
    print("  search (first page of 20 + totalCount):")
    for label, flt in filters.items():
        page = await b.deps.customer_queries.page(flt, 20, None)

        async def one(flt: CustomerFilter = flt) -> None:
            await b.deps.customer_queries.page(flt, 20, None)

        info = f"total={page.total} index={plan(flt.query()).index}"
        line(label, await timed(one, b.reps), info)


async def history_reads(b: Bench) -> list[Customer]:
    print("  history:")
    targets = b.rng.sample(b.seeded, min(b.reps, len(b.seeded)))
    updates: list[float] = []
    for c in targets:
        t0 = time.perf_counter()
        await b.deps.customers.update(ACTOR, c.id, 1, CustomerChanges(tags=[*c.tags, "bench"]))
        updates.append(time.perf_counter() - t0)
    line("updateCustomer (new version + diff)", updates)
    it = iter(targets * 2)
    versions = await timed(lambda: b.deps.history_queries.versions(next(it).id, 20, None), b.reps)
    line("customer.history (first 20)", versions)
    later = datetime.now(UTC)
    it = iter(targets * 2)
    line(
        "customerAsOf",
        await timed(lambda: b.deps.history_queries.state_at(next(it).id, later), b.reps),
    )
    it = iter(targets * 2)
    restores = await timed(lambda: b.deps.history.restore_version(ACTOR, next(it).id, 1, 2), b.reps)
    line("restoreCustomerVersion (to v1)", restores)
    return targets


async def merges(b: Bench, targets: list[Customer]) -> None:
    print("  merge:")
    pool = [c for c in b.seeded if c not in targets]
    b.rng.shuffle(pool)
    merge_ids: list[str] = []
    timings: list[float] = []
    for i in range(b.reps):
        survivor, other = pool[2 * i], pool[2 * i + 1]
        if survivor.kind is not other.kind:
            continue
        t0 = time.perf_counter()
        result = await b.deps.duplicates.merge(ACTOR, survivor.id, [other.id], [])
        timings.append(time.perf_counter() - t0)
        merge_ids.append(result.merge_id)
    line("mergeCustomers (2 records)", timings)
    it = iter(merge_ids)
    line(
        "unmergeCustomers",
        await timed(lambda: b.deps.duplicates.unmerge(ACTOR, next(it)), len(merge_ids)),
    )


async def run_size(uri: str, n: int, sample: int, reps: int) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, tz_aware=True)
    db = client[f"bench_customer_{n}_{uuid.uuid4().hex[:6]}"]
    await ensure_indexes(db, [OUTBOX_INDEXES, *INDEXES])
    repo = CustomerRepository(db, DataProtector.from_env())
    deps = await service_commands(client, db, repo)  # as the service wires it (audited)
    rng = random.Random(n)
    print(f"\nN = {n:,}")
    start = time.perf_counter()
    seeded = await seed(repo, db, n, rng)
    elapsed = time.perf_counter() - start
    print(f"  bulk seed (validate+encrypt+insert_many)      {n / elapsed:8.0f} rows/s")
    b = Bench(deps, rng, seeded, reps)
    await create_path(b, n, sample)
    await searches(b)
    await merges(b, await history_reads(b))
    await client.drop_database(db.name)
    await client.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--sample", type=int, default=200, help="rows through the create path")
    parser.add_argument("--reps", type=int, default=50, help="repetitions per search/history")
    parser.add_argument("--mongodb-uri", default=os.environ.get("MONGODB_URI", ""))
    args = parser.parse_args()
    server = None
    uri = args.mongodb_uri
    if not uri:
        from crm_dev.testing import MongoServer

        server = MongoServer(Path(tempfile.mkdtemp(prefix="bench-customer-")))
        server.start()
        uri = server.uri
        print(f"embedded MongoDB (mongoeco) at {uri}")
    try:
        for n in args.sizes:
            await run_size(uri, n, args.sample, args.reps)
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    asyncio.run(main())
