"""Count pipelines on the embedded MongoDB (crm_dev.mongo.patches.count_pipeline): the driver's
`count_documents` and per-key `$group` counts answer exactly as the aggregate would, and only
the shapes that a `count` command answers exactly are rewritten."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo import IndexModel

from crm_dev.mongo.patches.count_pipeline import count_plan

pytestmark = pytest.mark.integration

GROUP_BY_CUSTOMER = {"$group": {"_id": "$customerId", "n": {"$sum": 1}}}


def test_count_pipelines_are_recognised_and_others_are_not() -> None:
    body: dict[str, Any] = {
        "aggregate": "c", "pipeline": [{"$match": {"a": 1}}, {"$skip": 2}, {"$limit": 5},
                                       {"$group": {"_id": 1, "n": {"$sum": 1}}}],
        "cursor": {}, "hint": "a_1", "$db": "d", "lsid": {"id": 1},
    }  # fmt: skip
    plan = count_plan(body)
    assert plan is not None and plan.guard is None
    assert plan.commands == [
        {"count": "c", "query": {"a": 1}, "skip": 2, "limit": 5, "hint": "a_1", "$db": "d",
         "lsid": {"id": 1}}
    ]  # fmt: skip
    assert plan.documents([0]) == [] and plan.documents([3]) == [{"_id": 1, "n": 3}]
    grouped = count_plan(
        {"aggregate": "c", "pipeline": [{"$match": {"customerId": {"$in": ["x", "y", "x"]}}},
                                        GROUP_BY_CUSTOMER], "$db": "d"}
    )  # fmt: skip
    assert grouped is not None and grouped.keys == ["x", "y"] and grouped.guard is not None
    assert grouped.documents([4, 0]) == [{"_id": "x", "n": 4}]
    one = {"$group": {"_id": 1, "n": {"$sum": 1}}}
    by_a = {"$group": {"_id": "$a", "n": {"$sum": 1}}}
    pipelines: list[list[dict[str, Any]]] = [
        [{"$match": {}}, {"$group": {"_id": 1, "n": {"$sum": 2}}}],
        [{"$group": {"_id": 1, "n": {"$sum": 1}, "m": {"$max": "$a"}}}],
        [{"$limit": 1}, {"$skip": 1}, one],
        [{"$sort": {"a": 1}}, one],
        [{"$match": {"a": 1}}, {"$group": {"_id": "$a.b", "n": {"$sum": 1}}}],
        [{"$match": {"a": {"$gt": 1}}}, by_a],
        [{"$match": {"a": {"$in": [1, 2]}}}, by_a],
    ]
    refused: list[dict[str, Any]] = [{"aggregate": "c", "pipeline": p} for p in pipelines]
    refused += [
        {"aggregate": "c", "pipeline": [one], "autocommit": False, "txnNumber": 1},
        {"aggregate": "c", "pipeline": [one], "collation": {"locale": "en"}},
    ]
    for body in refused:
        assert count_plan(body) is None, body


async def test_counts_answer_as_the_aggregate_would(db: Any) -> None:
    coll = db.items
    await coll.create_indexes([IndexModel([("customerId", 1), ("at", -1)], name="customer_at")])
    docs = [
        {"_id": f"i{i:03d}", "customerId": f"c{i % 7}", "at": i, "kind": "a" if i % 3 else "b"}
        for i in range(200)
    ]
    await coll.insert_many(docs)
    for query in ({}, {"customerId": "c3"}, {"customerId": "nobody"}, {"kind": "b"},
                  {"customerId": {"$in": ["c1", "c2"]}, "kind": "a"}):  # fmt: skip
        want = sum(1 for d in docs if all(_matches(d, k, v) for k, v in query.items()))
        assert await coll.count_documents(query) == want, query
    assert await coll.count_documents({}, skip=190, limit=50) == 10
    assert await coll.count_documents({"customerId": "c3"}, hint="customer_at") == 29
    ids = ["c1", "c5", "nobody", "c1"]
    cursor = await coll.aggregate([{"$match": {"customerId": {"$in": ids}}}, GROUP_BY_CUSTOMER])
    grouped = {d["_id"]: d["n"] for d in await cursor.to_list()}
    assert grouped == {"c1": 29, "c5": 28}  # no document for a key that matched nothing
    cursor = await coll.aggregate(
        [{"$match": {"customerId": "c2", "kind": "b"}}, GROUP_BY_CUSTOMER]
    )
    assert await cursor.to_list() == [{"_id": "c2", "n": 10}]
    # a document holding an array in the grouped field is a group of its own, as in MongoDB
    await coll.insert_one({"_id": "multi", "customerId": ["c1", "c5"], "at": 1, "kind": "a"})
    cursor = await coll.aggregate([{"$match": {"customerId": {"$in": ids}}}, GROUP_BY_CUSTOMER])
    grouped = {str(d["_id"]): d["n"] for d in await cursor.to_list()}
    assert grouped == {"c1": 29, "c5": 28, "['c1', 'c5']": 1}
    assert await coll.count_documents({"customerId": "c1"}) == 30


async def test_counts_inside_a_transaction_still_answer(db: Any) -> None:
    coll = db.txn
    await coll.insert_many([{"_id": i, "k": i % 2} for i in range(10)])
    async with db.client.start_session() as session, await session.start_transaction():
        await coll.insert_one({"_id": 99, "k": 1}, session=session)
        assert await coll.count_documents({"k": 1}, session=session) == 6


def _matches(doc: dict[str, Any], key: str, condition: Any) -> bool:
    if isinstance(condition, dict):
        return doc.get(key) in condition["$in"]
    return doc.get(key) == condition
