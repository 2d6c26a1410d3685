"""`_id $in` lookups on the embedded MongoDB: right answers, and cost independent of size."""

from __future__ import annotations

import statistics
import time

import pytest
from bson import ObjectId
from pymongo import AsyncMongoClient

from tests.support import unique

pytestmark = pytest.mark.integration


async def test_id_in_lookup_returns_exactly_the_matching_documents(mongodb_uri: str) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongodb_uri)
    coll = client[unique("readcost")].docs
    oid = ObjectId()
    await coll.insert_many(
        [{"_id": f"s{i}", "n": i, "tag": "even" if i % 2 == 0 else "odd"} for i in range(20)]
        + [{"_id": oid, "n": 100}, {"_id": 7, "n": 7}, {"_id": 7.5, "n": 8}]
    )
    found = await coll.find({"_id": {"$in": ["s1", "s2", "s2", "missing", oid]}}).to_list()
    assert sorted(str(d["_id"]) for d in found) == sorted(["s1", "s2", str(oid)])
    combined = await coll.find({"_id": {"$in": ["s1", "s2", "s3"]}, "tag": "odd"}).to_list()
    assert sorted(d["_id"] for d in combined) == ["s1", "s3"]
    numeric = await coll.find({"_id": {"$in": [7, 7.5]}}).to_list()  # the unpatched path
    assert sorted(d["n"] for d in numeric) == [7, 8]
    excluded = await coll.count_documents({"_id": {"$nin": ["s0", "s1"]}})
    assert excluded == 21
    await client.drop_database(coll.database.name)
    await client.close()


async def test_id_in_lookup_cost_does_not_grow_with_collection_size(mongodb_uri: str) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongodb_uri)
    db = client[unique("readcost")]
    small, large = db.small, db.large
    await small.insert_many([{"_id": f"id{i}", "pad": "x" * 200} for i in range(500)])
    for start in range(0, 8000, 2000):
        await large.insert_many(
            [{"_id": f"id{i}", "pad": "x" * 200} for i in range(start, start + 2000)]
        )
    ids = [f"id{i}" for i in range(0, 500, 10)]

    async def median_ms(coll: object) -> float:
        samples = []
        for _ in range(9):
            started = time.perf_counter()
            docs = await coll.find({"_id": {"$in": ids}}).to_list()  # type: ignore[attr-defined]
            samples.append((time.perf_counter() - started) * 1000)
            assert len(docs) == 50
        return statistics.median(samples)

    # Alternate so machine noise hits both sizes alike.
    small_ms, large_ms = [], []
    for _ in range(2):
        small_ms.append(await median_ms(small))
        large_ms.append(await median_ms(large))
    ratio = min(large_ms) / min(small_ms)
    print(f"$in 50 ids: {min(small_ms):.1f} ms at 500 docs, {min(large_ms):.1f} ms at 8,000")
    assert ratio < 3, f"lookup cost grew {ratio:.1f}x from 500 to 8,000 documents"
    await client.drop_database(db.name)
    await client.close()
