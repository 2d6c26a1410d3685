"""Catalog benchmark: custom fields, tags, assignment rules, similar names.

    .venv/bin/python -m bench.customer.catalog --sizes 1000 10000

For each N: bulk-seeds N customers (bench.customer.generator, plus custom field values and
catalog tags), then measures the create path with and without the part-B work (custom field
validation, assignment rule, fuzzy-name candidates), custom-field filters, tag usage counts,
assignment choice and a catalog tag rename.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient

from bench.customer.generator import customer
from bench.stats import line, timed
from crm_customer.app import wire
from crm_customer.assignment.model import Rule, Strategy
from crm_customer.catalog.field_values import ValueFilter
from crm_customer.catalog.model import FieldDefinition, FieldType, Tag
from crm_customer.customers import model as domain
from crm_customer.customers.filters import CustomerFilter, plan
from crm_customer.customers.service import CustomerService
from crm_customer.customers.store import CustomerRepository
from crm_customer.duplicates.detection import DuplicateDetector
from crm_customer.duplicates.model import match_keys
from crm_customer.duplicates.store import MATCH_KEYS, DuplicateRepository
from crm_customer.history.store import HistoryRepository
from crm_customer.indexes import ALL_INDEXES
from crm_customer.protection.crypto import DataProtector
from crm_customer.staff.model import Staff
from crm_customer.staff.store import StaffRepository
from crm_kit.auth import Principal, Role
from crm_kit.errors import Conflict
from crm_kit.mongo import ensure_indexes
from crm_kit.outbox import OUTBOX_INDEXES
from crm_kit.uow import UnitOfWork

ACTOR = Principal("bench", "bench", frozenset({Role.ADMIN}), "east")
LEVELS = ["A", "B", "C", "D"]
CHANNELS = ["web", "tel", "fair", "mail"]


def values(rng: random.Random) -> dict[str, Any]:
    return {
        "level": rng.choice(LEVELS),
        "channels": rng.sample(CHANNELS, rng.randint(1, 2)),
        "budget": rng.randint(1, 100),
    }


async def configure(deps: Any, staff: StaffRepository, now: datetime) -> None:
    """Three custom fields, a catalog tag, ten staff in two teams and two assignment rules."""
    for d in (
        FieldDefinition("level", "级别", "Level", FieldType.SELECT, options=LEVELS),
        FieldDefinition("channels", "渠道", "Channels", FieldType.MULTISELECT, options=CHANNELS),
        FieldDefinition("budget", "预算", "Budget", FieldType.NUMBER),
    ):
        await deps.catalog.save_definition(ACTOR, d)
    await deps.catalog.save_tag(ACTOR, Tag("vip", "#ff0000", "等级"))
    for i in range(10):
        await staff.put(
            Staff(
                f"s{i}",
                f"S{i}",
                None,
                "team-rr" if i < 5 else "team-ll",
                ["SALES"],
                True,
                now,
                now,
                "bench",
            )
        )
    await deps.assignment.save_rule(
        ACTOR,
        Rule(
            "", "rr", "team-rr", Strategy.ROUND_ROBIN, 1, provinces=["广东省", "北京市", "上海市"]
        ),
    )
    await deps.assignment.save_rule(ACTOR, Rule("", "ll", "team-ll", Strategy.LEAST_LOADED, 2))


async def seed(
    db: Any, repo: CustomerRepository, n: int, rng: random.Random, now: datetime
) -> None:
    """n customers with custom field values and owners, inserted in bulk with their match keys."""
    t0 = time.perf_counter()
    docs: list[dict[str, Any]] = []
    keys: dict[str, list[str]] = {}
    for i in range(n):
        c = domain.create(customer(rng, i), id=uuid.uuid4().hex, actor="seed", now=now)
        c = replace(c, custom_fields=values(rng), owner_id=f"s{rng.randint(0, 9)}")
        doc = repo.document(c)
        docs.append(doc)
        for key in match_keys(doc):
            keys.setdefault(key, []).append(c.id)
        if len(docs) == 500 or i == n - 1:
            await db.customers.insert_many(docs)
            docs = []
    reg = [{"_id": k, "ids": v} for k, v in keys.items()]
    for i in range(0, len(reg), 1000):
        await db[MATCH_KEYS].insert_many(reg[i : i + 1000])
    near_sizes = [len(v) for k, v in keys.items() if k.startswith("near:")]
    print(
        f"  bulk seed {n / (time.perf_counter() - t0):8.0f} rows/s; near-key holders: "
        f"max {max(near_sizes, default=0)}, "
        f"mean {statistics.mean(near_sizes or [0]):.1f}"
    )


async def reads(db: Any, deps: Any, reps: int) -> None:
    """Custom-field filters, tag usage, the assigner's choice, and a tag rename."""
    lookups, catalog, assigner = deps.customer_queries, deps.catalog, deps.assignment.assigner
    filters = {
        "customFields level=A": CustomerFilter(custom_fields=[ValueFilter("level", "A")]),
        "customFields channels=web + level=B": CustomerFilter(
            custom_fields=[ValueFilter("channels", "web"), ValueFilter("level", "B")]
        ),
        "customFields level=C + tags any [vip]": CustomerFilter(
            custom_fields=[ValueFilter("level", "C")], tags_any=["vip"]
        ),
    }
    for label, flt in filters.items():
        page = await lookups.page(flt, 20, None)
        line(
            label,
            await timed(partial(lookups.page, flt, 20, None), reps),
            f"total={page.total} index={plan(flt.query()).index}",
        )
    line("tag usage count (vip)", await timed(lambda: lookups.tag_usage("vip"), reps))
    line(
        "assignment choose, ROUND_ROBIN (5 staff)",
        await timed(lambda: assigner.choose("广东省", None, None), reps),
    )
    line(
        "assignment choose, LEAST_LOADED (5 staff)",
        await timed(lambda: assigner.choose("四川省", None, None), reps),
    )
    holders = [c["_id"] async for c in db.customers.find({"tags": "vip"}, {"_id": 1}).limit(100)]
    t0 = time.perf_counter()
    result = await catalog.rename_tag(ACTOR, "vip", "VIP")
    took = time.perf_counter() - t0
    print(
        f"  renameTag vip -> VIP: {result.updated} customers in {took:.1f} s"
        f" ({result.updated / took:.1f}/s), failed {len(result.failed)};"
        f" sampled holders {len(holders)}"
    )


async def run(uri: str, n: int, sample: int, reps: int) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, tz_aware=True)
    db = client[f"bench_catalog_{n}_{uuid.uuid4().hex[:6]}"]
    await ensure_indexes(db, [OUTBOX_INDEXES, *ALL_INDEXES])
    protector = DataProtector.from_env()
    repo = CustomerRepository(db, protector)
    uow = UnitOfWork(client, db, "crm/bench")
    staff = StaffRepository(db)
    deps = wire(db, uow, protector)
    full = deps.customers
    detector = DuplicateDetector(DuplicateRepository(db), protector)
    plain = CustomerService(uow, repo, HistoryRepository(db, protector), detector, staff=staff)
    rng = random.Random(n)
    now = datetime.now(UTC)
    await configure(deps, staff, now)
    print(f"\nN = {n:,}")
    await seed(db, repo, n, rng, now)

    for label, commands, with_values in (
        ("create, plain (no part B)", plain, False),
        ("create, custom fields + rule + fuzzy", full, True),
    ):
        per_row: list[float] = []
        for i in range(sample):
            new = customer(rng, n + 10_000 + i + (0 if with_values else sample))
            new = replace(new, owner_id=None, custom_fields=values(rng) if with_values else {})
            t0 = time.perf_counter()
            with contextlib.suppress(Conflict):
                await commands.create(ACTOR, new)
            per_row.append(time.perf_counter() - t0)
        line(label, per_row, f"{sample / sum(per_row):.1f} rows/s")

    await reads(db, deps, reps)
    await client.drop_database(db.name)
    await client.close()


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    p.add_argument("--sample", type=int, default=50)
    p.add_argument("--reps", type=int, default=20)
    args = p.parse_args()
    from crm_dev.testing import MongoServer

    server = MongoServer(Path(tempfile.mkdtemp(prefix="bench-catalog-")))
    server.start()
    try:
        for n in args.sizes:
            await run(server.uri, n, args.sample, args.reps)
    finally:
        server.stop()


if __name__ == "__main__":
    asyncio.run(main())
