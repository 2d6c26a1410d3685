"""Guard for crm_dev.mongo.patches.id_uniqueness: a single insert must not cost O(collection size).

Unpatched mongoeco 4.11.0 scans the whole collection on every insert_one to check ``_id``
uniqueness (~10x slower at 10k documents than at 1k). If this test fails after a mongoeco
upgrade, re-check the patch (tools/crm_dev/src/crm_dev/mongo/patches/id_uniqueness.py).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bson import ObjectId
from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from crm_dev.mongo import DB_FILE
from crm_dev.testing import MongoServer

SMALL, LARGE, SAMPLES = 1_000, 10_000, 50


DB = "infra_guard"


async def _seed(db_file: Path) -> None:
    """Seed through mongoeco's in-process batch API: ~3x faster than insert_many over the wire."""
    from mongoeco import AsyncMongoClient
    from mongoeco.engines.sqlite import SQLiteEngine

    async with AsyncMongoClient(SQLiteEngine(str(db_file))) as seeder:
        for name, size in (("small", SMALL), ("large", LARGE)):
            docs = [{"_id": ObjectId(), "n": i, "pad": "x" * 200} for i in range(size)]
            await seeder[DB][name].insert_many(docs)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MongoClient[dict[str, object]]]:
    data_dir = Path(tmp_path_factory.mktemp("mongo-cost"))
    asyncio.run(_seed(data_dir / DB_FILE))
    server = MongoServer(data_dir)
    server.start()
    client: MongoClient[dict[str, object]] = MongoClient(server.uri, timeoutMS=60_000)
    try:
        yield client
    finally:
        client.close()
        server.stop()


def _timed_insert(coll: Collection[dict[str, object]], doc_id: object) -> float:
    began = time.perf_counter()
    coll.insert_one({"_id": doc_id, "pad": "y" * 200})
    return time.perf_counter() - began


def test_single_insert_cost_does_not_grow_with_collection_size(
    client: MongoClient[dict[str, object]],
) -> None:
    small_coll, large_coll = client[DB]["small"], client[DB]["large"]
    assert large_coll.estimated_document_count() == LARGE
    for coll in (small_coll, large_coll):
        for i in range(5):  # warm-up: the first writes after a batch insert drain change dispatch
            coll.insert_one({"_id": f"warm-{i}"})
    small_times, large_times = [], []
    for i in range(SAMPLES):  # interleaved, so machine noise hits both sizes alike
        small_times.append(_timed_insert(small_coll, ObjectId() if i % 2 else f"doc-{i}"))
        large_times.append(_timed_insert(large_coll, ObjectId() if i % 2 else f"doc-{i}"))
    small, large = statistics.median(small_times), statistics.median(large_times)
    ratio = large / small
    print(f"median insert_one: {small * 1e3:.2f} ms at {SMALL}, {large * 1e3:.2f} ms at {LARGE}")
    assert ratio < 3, (
        f"insert_one got {ratio:.1f}x slower from {SMALL} to {LARGE} documents "
        f"({small * 1e3:.1f} ms -> {large * 1e3:.1f} ms): is the id_uniqueness patch applied?"
    )


def test_duplicate_ids_are_still_rejected(client: MongoClient[dict[str, object]]) -> None:
    coll = client[DB]["dupes"]
    coll.drop()
    oid = ObjectId()
    coll.insert_many([{"_id": "a"}, {"_id": oid}, {"_id": 1}])
    for dup in ("a", oid, 1, 1.0):
        with pytest.raises(DuplicateKeyError):
            coll.insert_one({"_id": dup})
    assert coll.count_documents({}) == 3


def test_patch_is_pinned_to_the_mongoeco_version() -> None:
    import mongoeco

    from crm_dev.mongo.patches import id_uniqueness as mongoeco_patch

    if mongoeco.__version__ == mongoeco_patch.PINNED_VERSION:
        assert mongoeco_patch.apply()
        assert mongoeco_patch.is_applied()
    else:
        with pytest.warns(RuntimeWarning, match="not applied"):
            assert not mongoeco_patch.apply()
