"""The embedded server keeps its per-collection facts across writes
(crm_dev.mongo.patches.features_cache), without answering wrongly when a write changes them, and an
upsert of a new `_id` does not scan the collection (crm_dev.mongo.patches.absent_id)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from bson import Binary
from pymongo import AsyncMongoClient

from crm_dev.mongo.patches.features_cache import has_feature
from tests.support import unique

pytestmark = pytest.mark.integration


def test_facts_checked_on_one_document() -> None:
    doc = {"a": [1, 2], "b": {"c": [3]}, "d": {"$mongoeco": {"type": "bytes"}}, "e": 5}
    assert has_feature(doc, "top_level_array:a") is True
    assert has_feature(doc, "top_level_array:e") is False
    assert has_feature(doc, "top_level_array:missing") is False
    assert has_feature(doc, "traverses_array:b.c") is False  # the leaf is not a prefix
    assert has_feature(doc, "traverses_array:a.x") is True
    assert has_feature(doc, "tagged_type:d:bytes") is True
    assert has_feature(doc, "tagged_type:d:undefined") is False
    assert has_feature(doc, "tagged_type:e:bytes") is False
    assert has_feature(doc, "uniform_scalar_sort_type:e") is None  # not this patch's to keep
    assert has_feature(doc, "top_level_array:we-ird") is None


async def test_a_write_that_adds_an_array_or_bytes_is_seen_by_later_queries(
    mongodb_uri: str,
) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri)
    coll = client[unique("features")].docs
    try:
        await coll.insert_many([{"_id": f"s{i}", "k": i, "b": f"x{i}"} for i in range(50)])
        assert [d["_id"] for d in await coll.find({"k": 3}).to_list()] == ["s3"]
        assert await coll.find_one({"b": Binary(b"\x01")}) is None  # facts cached: no arrays, bytes
        await coll.insert_one({"_id": "arr", "k": [3, 70], "b": Binary(b"\x01")})
        assert sorted(d["_id"] for d in await coll.find({"k": 3}).to_list()) == ["arr", "s3"]
        assert [d["_id"] for d in await coll.find({"k": 70}).to_list()] == ["arr"]
        assert [d["_id"] for d in await coll.find({"b": Binary(b"\x01")}).to_list()] == ["arr"]
        await coll.update_one({"_id": "s4"}, {"$set": {"k": [4, 80]}})  # an update adds one
        assert [d["_id"] for d in await coll.find({"k": 80}).to_list()] == ["s4"]
        updated = await coll.update_many({"k": 4}, {"$set": {"hit": True}})
        assert updated.modified_count == 1
    finally:
        await client.drop_database(coll.database.name)
        await client.close()


async def test_cost_of_a_write_and_a_filtered_update_does_not_grow_with_the_collection(
    mongodb_uri: str,
) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri)
    db = client[unique("features")]
    small, large = db.small, db.large
    await small.insert_many([{"_id": f"d{i}", "k": i % 50, "pad": "x" * 200} for i in range(300)])
    for start in range(0, 12000, 3000):
        await large.insert_many(
            [{"_id": f"d{i}", "k": i % 50, "pad": "x" * 200} for i in range(start, start + 3000)]
        )
    await small.create_index("k")
    await large.create_index("k")

    def cycle(coll: Any) -> Callable[[int], Awaitable[None]]:
        async def run(n: int) -> None:
            # an upsert of a new _id, then an update filtered on an indexed field: each
            # write used to make the next command rescan the collection
            await coll.replace_one({"_id": f"new{n}"}, {"k": 999, "n": n}, upsert=True)
            await coll.update_one({"k": 7}, {"$inc": {"hits": 1}})

        return run

    async def median_ms(run: Callable[[int], Awaitable[None]], offset: int) -> float:
        samples = []
        for n in range(offset, offset + 9):
            started = time.perf_counter()
            await run(n)
            samples.append((time.perf_counter() - started) * 1000)
        return statistics.median(samples)

    small_ms, large_ms = [], []
    for round_ in range(2):  # alternate so machine noise hits both sizes alike
        small_ms.append(await median_ms(cycle(small), 10 * round_))
        large_ms.append(await median_ms(cycle(large), 10 * round_))
    ratio = min(large_ms) / min(small_ms)
    print(f"upsert + update: {min(small_ms):.1f} ms at 300 docs, {min(large_ms):.1f} ms at 12,000")
    assert ratio < 2, f"write cost grew {ratio:.1f}x from 300 to 12,000 documents"
    await client.drop_database(db.name)
    await client.close()
