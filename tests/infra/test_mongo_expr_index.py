"""String equality and `$in` on the embedded MongoDB: same answers as MongoDB semantics, and
served by the declared index (SQLite seeks the expression index instead of scanning)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import IndexModel

pytestmark = pytest.mark.integration

BASE = datetime(2026, 1, 1, tzinfo=UTC)


def documents() -> list[dict[str, Any]]:
    values: list[Any] = ["a", "b", "c", "", "ä中", 1, 2.5, None, True, {"x": "a"}]
    docs: list[dict[str, Any]] = []
    for i in range(60):
        doc: dict[str, Any] = {"_id": f"d{i:02d}", "at": BASE + timedelta(minutes=i), "n": i}
        if i % 11 != 0:  # some documents lack the field
            doc["owner"] = values[i % len(values)]
        doc["team"] = "east" if i % 3 else "west"
        docs.append(doc)
    return docs


def expected(docs: list[dict[str, Any]], field: str, wanted: list[Any]) -> list[str]:
    def matches(value: Any) -> bool:
        items = value if isinstance(value, list) else [value]
        return any(type(v) is type(w) and v == w for v in items for w in wanted)

    return sorted(d["_id"] for d in docs if field in d and matches(d[field]))


async def test_string_filters_answer_exactly_as_before(db: Any) -> None:
    docs = documents()
    coll = db.items
    await coll.create_indexes(
        [IndexModel([("owner", 1), ("at", -1), ("_id", -1)], name="owner_at"),
         IndexModel([("team", 1)], name="team")]
    )  # fmt: skip
    await coll.insert_many(docs)
    for value in ("a", "b", "", "ä中", "missing"):
        found = await coll.find({"owner": value}).to_list()
        assert sorted(d["_id"] for d in found) == expected(docs, "owner", [value]), value
        count = await coll.count_documents({"owner": value})
        assert count == len(expected(docs, "owner", [value]))
    page = coll.find({"owner": "a"}).sort([("at", -1), ("_id", -1)]).hint("owner_at").limit(3)
    page_ids = [d["_id"] for d in await page.to_list()]
    assert page_ids == sorted(expected(docs, "owner", ["a"]), reverse=True)[:3]
    both = await coll.find({"owner": {"$in": ["a", "c", "nope"]}, "team": "east"}).to_list()
    assert sorted(d["_id"] for d in both) == sorted(
        set(expected(docs, "owner", ["a", "c"])) & set(expected(docs, "team", ["east"]))
    )
    mixed = await coll.find({"owner": {"$in": ["b", 1, None]}}).to_list()  # unpatched path
    with_null = {d["_id"] for d in docs if d.get("owner") is None}
    assert {d["_id"] for d in mixed} == set(expected(docs, "owner", ["b", 1])) | with_null
    grouped = await coll.aggregate(
        [
            {"$match": {"owner": {"$in": ["a", "b"]}}},
            {"$group": {"_id": "$owner", "n": {"$sum": 1}}},
        ]
    )
    counts = {g["_id"]: g["n"] for g in await grouped.to_list()}
    assert counts == {v: len(expected(docs, "owner", [v])) for v in ("a", "b")}


async def test_fields_holding_arrays_keep_array_semantics(db: Any) -> None:
    coll = db.tagged
    await coll.create_indexes([IndexModel([("tag", 1)], name="tag")])
    await coll.insert_many(
        [{"_id": "s", "tag": "x"}, {"_id": "arr", "tag": ["y", "x"]}, {"_id": "o", "tag": "y"}]
    )
    assert sorted(d["_id"] for d in await coll.find({"tag": "x"}).to_list()) == ["arr", "s"]
    found = await coll.find({"tag": {"$in": ["x", "z"]}}).to_list()
    assert sorted(d["_id"] for d in found) == ["arr", "s"]


async def test_string_filters_are_served_by_the_declared_index(db: Any) -> None:
    coll = db.served
    await coll.create_indexes([IndexModel([("owner", 1), ("at", -1)], name="owner_at")])
    await coll.insert_many(documents())
    for query in ({"owner": "a"}, {"owner": {"$in": ["a", "b"]}}):
        plan = await db.command(
            {
                "explain": {"find": "served", "filter": query, "sort": {"at": -1}, "limit": 5},
                "verbosity": "queryPlanner",
            }
        )
        details = " ".join(plan["details"]["engine_details"])
        # coll prefix AND the owner expressions: a seek, not a scan of the collection
        assert "coll_name=? AND <expr>=?" in details, (query, details)


async def test_id_lookups_keep_using_the_primary_key(db: Any) -> None:
    coll = db.ids
    await coll.create_indexes([IndexModel([("owner", 1), ("at", -1)], name="owner_at")])
    await coll.insert_many(documents())
    plan = await db.command(
        {"explain": {"find": "ids", "filter": {"_id": {"$in": ["d01", "d02"]}}},
         "verbosity": "queryPlanner"}
    )  # fmt: skip
    assert "storage_key" in " ".join(plan["details"]["engine_details"]), plan["details"]
    assert len(await coll.find({"_id": {"$in": ["d01", "d02", "zz"]}}).to_list()) == 2
