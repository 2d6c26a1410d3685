"""Dashboard statistics over the customers matching a filter (aggregations, read-only)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from crm_customer.customers.filters import CustomerFilter
from crm_customer.customers.search import Seal, unsealed
from crm_customer.repository import CUSTOMERS, VERSIONS
from crm_kit.mongo import Document
from crm_kit.policy import restrict

GROUPS = ("stage", "source", "industry", "region", "owner_id", "kind", "tier")
MAX_BUCKETS = 50


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


class StatisticsReader:
    def __init__(self, db: AsyncDatabase[Document], seal: Seal = unsealed) -> None:
        """`seal`: the data protector's search_token (phone/email text filters)."""
        self._customers = db[CUSTOMERS]
        self._versions = db[VERSIONS]
        self._seal = seal

    async def _group(self, field: str, match: Document) -> list[Bucket]:
        pipeline: list[dict[str, Any]] = [
            {"$match": match},
            {"$group": {"_id": f"${field}", "count": {"$sum": 1}}},
            {"$sort": {"count": -1, "_id": 1}},
            {"$limit": MAX_BUCKETS},
        ]
        cursor = await self._customers.aggregate(pipeline)
        return [Bucket(d["_id"], int(d["count"])) async for d in cursor]

    async def read(
        self,
        flt: CustomerFilter,
        now: datetime,
        weeks: int = 12,
        scope: Mapping[str, Any] | None = None,
    ) -> Statistics:
        match = restrict(flt.query(self._seal), scope or {})  # the caller's access condition
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
