"""The read side of customers: one or many records (merged-away ids resolve to their
survivor), the filtered and sorted list, dashboard statistics, the pages an export walks, and
the index-served lookups other features need (tag holders, owner loads, names)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo import DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from crm_customer.customers.documents import from_document
from crm_customer.customers.filters import DEFAULT_ORDER, CustomerFilter, CustomerOrder, plan
from crm_customer.customers.model import Customer
from crm_customer.customers.store import CUSTOMERS
from crm_customer.history.store import VERSIONS
from crm_customer.protection.crypto import DataProtector
from crm_kit.errors import NotFound
from crm_kit.mongo import Document, Session
from crm_kit.paging import decode_cursor
from crm_kit.policy import restrict

MAX_MERGE_CHAIN = 5
GROUPS = ("stage", "source", "industry", "region", "owner_id", "kind", "tier")
MAX_BUCKETS = 50


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Customer]
    has_next: bool
    total: int


@dataclass(frozen=True, slots=True)
class Bucket:
    key: str | None
    count: int


@dataclass(frozen=True, slots=True)
class Transition:
    from_stage: str | None
    to_stage: str
    count: int


@dataclass(frozen=True, slots=True)
class Statistics:
    total: int
    by: dict[str, list[Bucket]]
    new_per_week: list[tuple[datetime, int]]
    transitions: list[Transition]


def week_start(now: datetime) -> datetime:
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


class CustomerQueries:
    def __init__(self, db: AsyncDatabase[Document], protector: DataProtector) -> None:
        self._customers = db[CUSTOMERS]
        self._versions = db[VERSIONS]
        self._protector = protector

    def _load(self, doc: Document) -> Customer:
        return from_document(doc, self._protector)

    # --- records ------------------------------------------------------------------------------

    async def get(self, id: str) -> Customer:
        """The stored record as it is (a merged-away one too)."""
        doc = await self._customers.find_one({"_id": id})
        if doc is None:
            raise NotFound("Customer", id)
        return self._load(doc)

    async def get_many(self, ids: Sequence[str]) -> dict[str, Customer]:
        """One query for any number of ids; merged-away ids resolve to their survivor (one
        more query only when tombstones are among them)."""
        found = await self._by_ids(ids)
        for _ in range(MAX_MERGE_CHAIN):
            pointers = {i: c.merged_into for i, c in found.items() if c.merged_into}
            if not pointers:
                break
            survivors = await self._by_ids(pointers.values())
            for old, new in pointers.items():
                if new in survivors:
                    found[old] = survivors[new]
                else:
                    del found[old]
        return found

    async def _by_ids(self, ids: Collection[str]) -> dict[str, Customer]:
        if not ids:
            return {}
        cursor = self._customers.find({"_id": {"$in": sorted(set(ids))}})
        return {doc["_id"]: self._load(doc) async for doc in cursor}

    # --- listing ------------------------------------------------------------------------------

    async def page(
        self,
        flt: CustomerFilter,
        first: int,
        after: str | None,
        order: CustomerOrder = DEFAULT_ORDER,
        scope: Mapping[str, Any] | None = None,
    ) -> Page:
        """`scope`: the caller's access condition (crm_kit.policy), ANDed to the filter so
        neither the page nor `total` includes a record the caller may not see. `after`: a
        cursor made under the same `order` (INVALID_CURSOR otherwise)."""
        base = restrict(flt.query(self._protector.search_token), scope or {})
        query = dict(base)
        name, direction = order.key, order.sign
        index = plan(base, name).index
        if after:
            position = decode_cursor(after, order=order.cursor_order)
            op = "$lt" if direction < 0 else "$gt"
            query["$or"] = [
                {name: {op: position.at}},
                {name: position.at, "_id": {op: position.id}},
            ]
        cursor = (
            self._customers.find(query)
            .sort([(name, direction), ("_id", direction)])
            .hint(index)
            .limit(first + 1)
        )
        docs = await cursor.to_list()
        total = await self._customers.count_documents(base, hint=index)
        return Page([self._load(d) for d in docs[:first]], len(docs) > first, total)

    async def export_page(
        self, query: Document, after: tuple[datetime, str] | None, limit: int
    ) -> list[Customer]:
        """Customers matching `query`, newest first, after a (created_at, id) position; hinted
        like the `customers` list (the same index per filter path)."""
        page = dict(query)
        if after is not None:
            at, id = after
            page = {"$and": [query, {"$or": [
                {"created_at": {"$lt": at}}, {"created_at": at, "_id": {"$lt": id}}
            ]}]}  # fmt: skip
        cursor = (
            self._customers.find(page)
            .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
            .hint(plan(query, "created_at").index)
            .limit(limit)
        )
        return [self._load(d) for d in await cursor.to_list()]

    # --- statistics ---------------------------------------------------------------------------

    async def statistics(
        self,
        flt: CustomerFilter,
        now: datetime,
        weeks: int = 12,
        scope: Mapping[str, Any] | None = None,
    ) -> Statistics:
        """Dashboard figures for the customers matching `flt` within `scope` (the caller's
        access condition)."""
        match = restrict(flt.query(self._protector.search_token), scope or {})
        total = await self._customers.count_documents(match)
        by = {field: await self._group(field, match) for field in GROUPS}
        start = week_start(now)
        per_week: list[tuple[datetime, int]] = []
        for i in range(weeks - 1, -1, -1):
            low, high = start - timedelta(weeks=i), start - timedelta(weeks=i - 1)
            query = {**match, "created_at": {"$gte": low, "$lt": high}}
            per_week.append((low, await self._customers.count_documents(query)))
        # the funnel spans every customer's history: only for callers who see every customer
        transitions = await self.transitions() if not scope else []
        return Statistics(total, by, per_week, transitions)

    async def _group(self, field: str, match: Document) -> list[Bucket]:
        pipeline: list[dict[str, Any]] = [
            {"$match": match},
            {"$group": {"_id": f"${field}", "count": {"$sum": 1}}},
            {"$sort": {"count": -1, "_id": 1}},
            {"$limit": MAX_BUCKETS},
        ]
        cursor = await self._customers.aggregate(pipeline)
        return [Bucket(d["_id"], int(d["count"])) async for d in cursor]

    async def transitions(self) -> list[Transition]:
        """Stage changes recorded in history (not creations): the funnel's conversions."""
        pipeline: list[dict[str, Any]] = [
            {"$match": {"changes.field": "stage"}},
            {"$unwind": "$changes"},
            {"$match": {"changes.field": "stage", "changes.before": {"$ne": None}}},
            {
                "$group": {
                    "_id": {"from": "$changes.before", "to": "$changes.after"},
                    "count": {"$sum": 1},
                }
            },
            {"$sort": {"count": -1}},
        ]
        cursor = await self._versions.aggregate(pipeline)
        return [
            Transition(d["_id"].get("from"), d["_id"]["to"], int(d["count"])) async for d in cursor
        ]

    # --- lookups for the other features -------------------------------------------------------

    async def tag_usage(self, tag: str) -> int:
        """Live (not archived, not merged away) customers holding the tag."""
        return await self._customers.count_documents(
            {"tags": tag, "merged_into": None, "archived": {"$ne": True}}, hint="tags_created_id"
        )

    async def tag_holders(self, tag: str, limit: int) -> dict[str, tuple[int, list[str]]]:
        """Up to `limit` customers (archived included, merged-away not) holding the tag, as
        id → (version, tags): what a rename needs, in one query rather than a read per id."""
        cursor = (
            self._customers.find({"tags": tag, "merged_into": None}, {"version": 1, "tags": 1})
            .hint("tags_created_id")
            .limit(limit)
        )
        return {d["_id"]: (int(d["version"]), list(d["tags"])) async for d in cursor}

    async def owner_loads(self, owner_ids: list[str]) -> dict[str, int]:
        """Live customers per owner (0 for none): one index-served `$group` over them all."""
        pipeline: list[Document] = [
            {
                "$match": {
                    "owner_id": {"$in": owner_ids},
                    "merged_into": None,
                    "archived": {"$ne": True},
                }
            },
            {"$group": {"_id": "$owner_id", "n": {"$sum": 1}}},
        ]
        loads = dict.fromkeys(owner_ids, 0)
        cursor = await self._customers.aggregate(pipeline, hint="owner_created")
        loads.update({d["_id"]: int(d["n"]) async for d in cursor})
        return loads

    async def names_of(self, ids: list[str], session: Session | None = None) -> dict[str, str]:
        """id → name of the live customers among `ids` (one `_id $in` query)."""
        if not ids:
            return {}
        cursor = self._customers.find(
            {"_id": {"$in": ids}}, {"name": 1, "merged_into": 1, "erased": 1}, session=session
        )
        return {
            d["_id"]: d["name"]
            async for d in cursor
            if not d.get("merged_into") and not d.get("erased")
        }
