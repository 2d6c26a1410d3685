"""Effect of the embedded-MongoDB patches, side by side (same data, same queries).

    .venv/bin/python -m bench.mongo_patches --docs 5000

Starts the embedded server twice — with `CRM_DEV_MONGOECO_BULK_INSERT=0` and
`CRM_DEV_MONGOECO_EXPR_INDEX=0`, then with both patches — loads `--docs` timeline-like
documents (200 customers, a compound index `customerId, at, _id` as the services declare)
and prints, per arm: insert_many time per 1,000 documents and p50 of the queries the
services send for a timeline page (find + sort + limit 20, count) and for a batched
`_entities` aggregate (`$in` of 20 customer ids + `$group`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient, IndexModel

from bench.stats import timed
from crm_dev.testing import MongoServer

SWITCHES = ("CRM_DEV_MONGOECO_BULK_INSERT", "CRM_DEV_MONGOECO_EXPR_INDEX")


async def p50(fn: Callable[[], Awaitable[Any]], reps: int = 15) -> float:
    await fn()
    return statistics.median(await timed(fn, reps)) * 1000


async def arm(patched: bool, docs: int) -> dict[str, float]:
    for switch in SWITCHES:
        os.environ[switch] = "1" if patched else "0"
    server = MongoServer(Path(tempfile.mkdtemp(prefix="bench-patches-")))
    server.start(timeout=120)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(server.uri, tz_aware=True)
    try:
        coll = client.bench.timeline
        await coll.create_indexes(
            [IndexModel([("customerId", 1), ("at", -1), ("_id", -1)], name="customer_at")]
        )
        base = datetime(2026, 1, 1, tzinfo=UTC)
        insert_s: list[float] = []
        for start in range(0, docs, 1000):
            batch = [
                {"_id": f"t{i:07d}", "customerId": f"c{i % 200:03d}", "kind": "INTERACTION",
                 "at": base + timedelta(minutes=i), "title": "回访" * 20}
                for i in range(start, min(docs, start + 1000))
            ]  # fmt: skip
            started = time.perf_counter()
            await coll.insert_many(batch)
            insert_s.append(time.perf_counter() - started)
        ids = [f"c{i:03d}" for i in range(20)]
        page = await p50(
            lambda: (
                coll.find({"customerId": "c007"})
                .sort([("at", -1), ("_id", -1)])
                .hint("customer_at")
                .limit(20)
                .to_list()
            )
        )
        count = await p50(lambda: coll.count_documents({"customerId": "c007"}))
        group: list[dict[str, Any]] = [
            {"$match": {"customerId": {"$in": ids}}},
            {"$group": {"_id": "$customerId", "last": {"$max": "$at"}}},
        ]

        async def batched() -> list[dict[str, Any]]:
            return await (await coll.aggregate(group)).to_list()

        entities = await p50(batched)
        return {
            "insert_many s / 1,000": statistics.median(insert_s),
            "timeline page ms": page,
            "count ms": count,
            "$in 20 ids + $group ms": entities,
        }
    finally:
        await client.close()
        server.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--docs", type=int, default=5000)
    args = parser.parse_args()
    before = await arm(False, args.docs)
    after = await arm(True, args.docs)
    print(f"{args.docs:,} documents; load average {os.getloadavg()[0]:.1f}")
    print(f"{'':28}{'unpatched':>12}{'patched':>12}{'ratio':>8}")
    for key, value in before.items():
        print(f"{key:28}{value:12.2f}{after[key]:12.2f}{value / after[key]:8.1f}")


if __name__ == "__main__":
    asyncio.run(main())
