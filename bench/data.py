"""Bulk seeding of a realistic data set straight into the services' databases.

Customers (Chinese and English individuals and enterprises with valid GB 11643 ID numbers and
GB 32100 credit codes, from `bench.customer.generator`) go into the customer database with
their first history version and duplicate-match keys, exactly as the customer service stores
them; the interaction service gets its customer projection plus interactions, purchases,
tickets and tasks (each with its timeline entry, from `bench.interaction`) with a skewed
count per customer: a few customers own thousands of items, most own a handful.

Seeding bypasses the GraphQL write path on purpose: creating 5,000 customers one
transaction at a time through the gateway would take the whole benchmark budget on the
embedded MongoDB. The write path is measured by the `create customer` scenario instead.
"""

from __future__ import annotations

import contextlib
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.errors import BulkWriteError

from bench.customer.generator import customer
from bench.interaction.__main__ import items_for
from bench.sales_data import BenchCustomer, seed_sales
from crm_customer.customers import model as domain
from crm_customer.customers.model import Customer
from crm_customer.customers.store import CustomerRepository
from crm_customer.duplicates.model import match_keys
from crm_customer.duplicates.store import MATCH_KEYS
from crm_customer.history import model as history
from crm_customer.history.model import VersionAction
from crm_customer.history.store import VERSIONS
from crm_customer.protection.crypto import DataProtector
from crm_interaction.customers.model import CustomerView
from crm_interaction.customers.store import customer_to_doc

BATCH = 1000


@dataclass
class SeededData:
    """What the scenarios need to know about the seeded data set."""

    customers: list[str] = field(default_factory=list)
    heavy: list[str] = field(default_factory=list)  # customers with thousands of items
    tickets: list[str] = field(default_factory=list)
    search_terms: list[str] = field(default_factory=list)  # name prefixes that exist
    items: int = 0
    pipeline: str = ""  # the sales pipeline the opportunities are in ("" without sales)
    open_deals: list[str] = field(default_factory=list)  # opportunities in open stages
    opportunities: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def item_counts(customers: int, items: int, rng: random.Random) -> list[int]:
    """Items per customer summing to `items`: three heavy customers (6 %, 4 %, 2 % of all
    items), the rest Pareto-distributed (most customers a few items, some dozens)."""
    if customers <= 0:
        return []
    heavy = [items * 6 // 100, items * 4 // 100, items * 2 // 100][: max(0, customers - 1)]
    rest = items - sum(heavy)
    others = customers - len(heavy)
    weights = [rng.paretovariate(1.6) for _ in range(others)]
    scale = sum(weights)
    counts = [int(rest * w / scale) for w in weights]
    for i in rng.sample(range(others), min(others, rest - sum(counts))):
        counts[i] += 1
    return heavy + counts


async def seed(
    mongodb_uri: str,
    *,
    customers: int,
    items: int,
    customer_db: str = "crm_customer",
    interaction_db: str = "crm_interaction",
    seed_value: int = 10,
    offset: int = 0,
    sales_db: str | None = None,
    opportunities_per_customer: float = 2.0,
) -> SeededData:
    """Insert `customers` customers and `items` interaction-side items (and with `sales_db`
    the sales projection and about `opportunities_per_customer` deals each); returns ids."""
    rng = random.Random(seed_value)
    out = SeededData()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri, tz_aware=True)
    try:
        cdb = client[customer_db]
        started = time.perf_counter()
        repo = CustomerRepository(cdb, DataProtector.from_env())
        made = await _insert_customers(repo, cdb, customers, offset, rng)
        out.seconds["customers"] = time.perf_counter() - started
        out.customers = [c.id for c in made]
        out.search_terms = sorted({c.name[:2] for c in made if "有限公司" not in c.name})[:50]

        idb = client[interaction_db]
        started = time.perf_counter()
        now = datetime.now(UTC)
        projection = [
            customer_to_doc(
                CustomerView(
                    id=c.id,
                    display_name=c.name,
                    owner_id=c.owner_id,
                    team=c.team,
                    stage=str(c.stage),
                    version=c.version,
                    updated_at=now,
                )
            )
            for c in made
        ]
        for i in range(0, len(projection), BATCH):
            await idb.customers.insert_many(projection[i : i + BATCH])
        out.seconds["projection"] = time.perf_counter() - started

        started = time.perf_counter()
        counts = item_counts(len(made), items, rng)
        out.heavy = [c.id for c, n in zip(made, counts, strict=True) if n >= 1000]
        pending: dict[str, list[dict[str, Any]]] = {}
        for c, n in zip(made, counts, strict=True):
            if n == 0:
                continue
            for name, docs in items_for(c.id, n, now, rng).items():
                pending.setdefault(name, []).extend(docs)
                if name == "tickets":
                    out.tickets.extend(str(d["_id"]) for d in docs)
            if sum(len(v) for v in pending.values()) >= 4 * BATCH:
                out.items += await _flush(idb, pending)
        out.items += await _flush(idb, pending)
        out.seconds["items"] = time.perf_counter() - started
        if sales_db is not None:
            started = time.perf_counter()
            await _seed_sales(mongodb_uri, made, out, sales_db, opportunities_per_customer,
                              seed_value, offset)  # fmt: skip
            out.seconds["opportunities"] = time.perf_counter() - started
    finally:
        await client.close()
    return out


async def _seed_sales(  # noqa: PLR0917 - seed()'s settings, passed on
    mongodb_uri: str,
    made: list[Customer],
    out: SeededData,
    sales_db: str,
    per_customer: float,
    seed_value: int,
    offset: int,
) -> None:
    customers = [BenchCustomer(c.id, c.owner_id, c.team, str(c.stage)) for c in made]
    sales = await seed_sales(
        mongodb_uri, customers, sales_db=sales_db, per_customer=per_customer,
        seed_value=seed_value, rank_from=offset * 10,
    )  # fmt: skip
    out.pipeline, out.open_deals, out.opportunities = (
        sales.pipeline,
        sales.open_deals,
        sales.opportunities,
    )


async def _flush(db: Any, pending: dict[str, list[dict[str, Any]]]) -> int:
    written = 0
    for name, docs in pending.items():
        for i in range(0, len(docs), BATCH):
            await db[name].insert_many(docs[i : i + BATCH], ordered=False)
        if name != "timeline":
            written += len(docs)
    pending.clear()
    return written


async def _insert_customers(
    repo: CustomerRepository, db: Any, n: int, offset: int, rng: random.Random
) -> list[Customer]:
    """Customers as the service stores them: document (encrypted ID number, search terms),
    first history version, and the duplicate-match registry (`_id` = match key)."""
    now = datetime.now(UTC)
    made: list[Customer] = []
    docs: list[dict[str, Any]] = []
    versions: list[dict[str, Any]] = []
    keys: dict[str, list[str]] = {}
    for i in range(offset, offset + n):
        c = domain.create(customer(rng, i), id=uuid.uuid4().hex, actor="seed", now=now)
        made.append(c)
        doc = repo.document(c)
        docs.append(doc)
        v = history.record(None, c, VersionAction.CREATED, "seed")
        changes = [{"field": x.field, "before": x.before, "after": x.after} for x in v.changes]
        state = {k: val for k, val in doc.items() if k != "search_terms"}
        versions.append(
            {"_id": f"{c.id}:{1:010d}", "customer_id": c.id, "version": 1, "at": v.at,
             "actor": "seed", "action": "CREATED", "changes": changes, "state": state}
        )  # fmt: skip
        for key in match_keys(doc):
            keys.setdefault(key, []).append(c.id)
    for i in range(0, len(docs), BATCH):
        await db.customers.insert_many(docs[i : i + BATCH])
        await db[VERSIONS].insert_many(versions[i : i + BATCH])
    registry = [{"_id": k, "ids": ids} for k, ids in keys.items()]
    for i in range(0, len(registry), BATCH):
        # a key already registered by an earlier seeding keeps its first ids
        with contextlib.suppress(BulkWriteError):
            await db[MATCH_KEYS].insert_many(registry[i : i + BATCH], ordered=False)
    return made
