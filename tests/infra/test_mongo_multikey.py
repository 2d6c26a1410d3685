"""Array membership on the embedded MongoDB (crm_dev.mongo.patches.multikey): equality and
`$all` on the array field that leads a compound index answer as MongoDB does and are served by
the element index instead of a scan; a sort check that is skipped by a collection fact
(crm_dev.mongo.patches.expr_index) still sees a write that adds an array."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient, IndexModel

from crm_dev.mongo.patches.features_cache import has_feature
from tests.support import unique

pytestmark = pytest.mark.integration

BASE = datetime(2026, 1, 1, tzinfo=UTC)
WORDS = ["li", "lin", "wang", "zh", "张", "ma"]


def documents() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for i in range(80):
        doc: dict[str, Any] = {"_id": f"d{i:02d}", "created_at": BASE + timedelta(minutes=i)}
        if i % 10 == 0:
            doc["terms"] = WORDS[i % len(WORDS)]  # a scalar: matches an equal value too
        elif i % 13 == 0:
            doc["terms"] = 7  # another type: never a string match
        elif i % 17 != 0:  # the rest hold arrays; some lack the field
            doc["terms"] = [WORDS[(i + k) % len(WORDS)] for k in range(i % 4)]
        doc["archived"] = i % 9 == 0
        docs.append(doc)
    return docs


def expected(docs: list[dict[str, Any]], wanted: list[str]) -> list[str]:
    def matches(value: Any) -> bool:
        items = value if isinstance(value, list) else [value]
        return all(any(type(v) is str and v == w for v in items) for w in wanted)

    return sorted(
        (d for d in docs if "terms" in d and not d["archived"] and matches(d["terms"])),
        key=lambda d: (d["created_at"], d["_id"]),
        reverse=True,
    )


async def test_membership_filters_answer_as_mongodb_and_seek_the_element_index(db: Any) -> None:
    docs = documents()
    coll = db.items
    await coll.create_indexes(
        [IndexModel([("terms", 1), ("created_at", -1), ("_id", -1)], name="terms_created")]
    )
    await coll.insert_many(docs)
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"terms": "li"}, ["li"]),
        ({"terms": {"$all": ["li"]}}, ["li"]),
        ({"terms": {"$all": ["li", "lin"]}}, ["li", "lin"]),
        ({"terms": {"$all": ["lin", "lin"]}}, ["lin"]),
        ({"terms": "张"}, ["张"]),
        ({"terms": "nobody"}, ["nobody"]),
    ]
    for condition, wanted in cases:
        query = {**condition, "archived": {"$ne": True}}
        want = expected(docs, wanted)
        found = await (
            coll.find(query).sort([("created_at", -1), ("_id", -1)]).hint("terms_created")
        ).to_list()
        assert [d["_id"] for d in found] == [d["_id"] for d in want], condition
        assert await coll.count_documents(query, hint="terms_created") == len(want), condition
        page = await coll.find(query).sort([("created_at", -1), ("_id", -1)]).limit(3).to_list()
        assert [d["_id"] for d in page] == [d["_id"] for d in want[:3]], condition
    plan = await db.command(
        "explain",
        {"find": "items", "filter": {"terms": {"$all": ["li", "lin"]}}, "hint": "terms_created",
         "sort": {"created_at": -1, "_id": -1}},
    )  # fmt: skip
    steps = " | ".join(plan["details"]["engine_details"])
    assert "SEARCH multikey_entries" in steps, steps
    assert "SCAN documents" not in steps and "json_each" not in steps.split("ORDER BY")[0], steps


async def test_an_array_written_into_a_sort_field_changes_the_order_as_mongodb_sorts(
    db: Any,
) -> None:
    coll = db.sorted
    await coll.insert_many([{"_id": f"n{i:02d}", "rank": i + 1, "g": "x"} for i in range(20)])
    first = await coll.find({"g": "x"}).sort("rank", 1).limit(2).to_list()
    assert [d["_id"] for d in first] == ["n00", "n01"]  # the "no arrays here" fact is cached
    await coll.insert_one({"_id": "arr", "rank": [0, 100], "g": "x"})
    # ascending order uses an array's smallest element: it comes first now
    again = await coll.find({"g": "x"}).sort("rank", 1).limit(2).to_list()
    assert [d["_id"] for d in again] == ["arr", "n00"]
    descending = await coll.find({"g": "x"}).sort("rank", -1).limit(2).to_list()
    assert [d["_id"] for d in descending] == ["arr", "n19"]


def test_sort_fact_checked_on_one_document() -> None:
    assert has_feature({"a": [1]}, "sort_unsafe:a") is True
    assert has_feature({"a": {"x": 1}}, "sort_unsafe:a") is True  # a plain object
    assert has_feature({"a": {"$mongoeco": {"type": "int64", "value": "1"}}}, "sort_unsafe:a")
    assert has_feature({"a": {"$mongoeco": {"type": "datetime"}}}, "sort_unsafe:a") is False
    assert has_feature({"a": {"$mongoeco": {"type": 5}}}, "sort_unsafe:a") is False
    assert has_feature({"a": "text"}, "sort_unsafe:a") is False
    assert has_feature({"b": 1}, "sort_unsafe:a") is False
    assert has_feature({"a": {"b": [1]}}, "sort_unsafe:a.b") is True
    assert has_feature({"a": [1]}, "sort_unsafe:a.0") is None


async def test_collections_share_one_element_index_that_survives_a_drop(mongodb_uri: str) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri)
    names = [unique("mkshared") for _ in range(3)]
    try:
        for name in names:
            coll = client[name].items
            await coll.create_index([("terms", 1), ("at", -1)], name="terms_at")
            await coll.insert_many(
                [{"_id": i, "terms": ["a", f"t{i}"], "at": i} for i in range(20)]
            )
        await client.drop_database(names[0])  # drops its index: the shared one must stay
        await client[names[1]].items.drop_index("terms_at")
        kept = client[names[2]]
        plan = await kept.command(
            "explain", {"find": "items", "filter": {"terms": "t3"}, "hint": "terms_at"}
        )
        steps = " | ".join(plan["details"]["engine_details"])
        assert "USING INDEX crm_dev_multikey_entries" in steps, steps
        assert [d["_id"] for d in await kept.items.find({"terms": "t3"}).to_list()] == [3]
        await kept.items.insert_one({"_id": 99, "terms": ["t3"], "at": 99})
        assert await kept.items.count_documents({"terms": {"$all": ["t3"]}}) == 2
    finally:
        for name in names:
            await client.drop_database(name)
        await client.close()
