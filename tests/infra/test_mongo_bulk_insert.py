"""Multi-document inserts on the embedded MongoDB go through the batch path with the same
results as MongoDB: counts, ordered/unordered duplicate handling, transactions untouched."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import BulkWriteError

from tests.support import unique

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(mongodb_uri: str) -> Any:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri)
    yield client
    await client.close()


async def test_insert_many_results_and_duplicates(client: Any) -> None:
    db = client[unique("bulk")]
    coll = db.docs
    result = await coll.insert_many([{"_id": f"k{i}", "n": i} for i in range(50)])
    assert len(result.inserted_ids) == 50 and await coll.count_documents({}) == 50

    with pytest.raises(BulkWriteError) as ordered:
        await coll.insert_many([{"_id": "new1"}, {"_id": "k3"}, {"_id": "new2"}])
    assert ordered.value.details["nInserted"] == 1
    assert [e["index"] for e in ordered.value.details["writeErrors"]] == [1]
    assert ordered.value.details["writeErrors"][0]["code"] == 11000
    assert await coll.find_one({"_id": "new2"}) is None

    with pytest.raises(BulkWriteError) as unordered:
        await coll.insert_many(
            [{"_id": "k4"}, {"_id": "new3"}, {"_id": "k5"}, {"_id": "new4"}], ordered=False
        )
    assert unordered.value.details["nInserted"] == 2
    assert sorted(e["index"] for e in unordered.value.details["writeErrors"]) == [0, 2]
    assert await coll.count_documents({"_id": {"$in": ["new3", "new4"]}}) == 2
    await client.drop_database(db.name)


async def test_insert_many_inside_a_transaction_still_rolls_back(client: Any) -> None:
    db = client[unique("bulk")]
    await db.create_collection("docs")
    async with client.start_session() as session:
        await session.start_transaction()
        await db.docs.insert_many([{"_id": "t1"}, {"_id": "t2"}], session=session)
        await session.abort_transaction()
    assert await db.docs.count_documents({}) == 0
    await client.drop_database(db.name)
