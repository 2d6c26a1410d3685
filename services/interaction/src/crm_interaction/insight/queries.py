"""Batched facts behind `Customer.insight`: a fixed number of aggregates per `_entities` call
(interactions by channel, latest contact, tickets, purchases), whatever the customer count;
and the base's RFM quintiles, computed by the database and cached for a few minutes."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from crm_interaction.insight import rfm
from crm_interaction.insight.model import CustomerFacts, Insight, SpendFacts, compute
from crm_interaction.interactions.queries import InteractionQueries
from crm_interaction.interactions.store import INTERACTIONS
from crm_interaction.purchases.model import COUNTED_STATUSES, from_minor
from crm_interaction.purchases.store import PURCHASES
from crm_interaction.shared.clock import Clock
from crm_interaction.tickets.model import OPEN_STATUSES, TicketType
from crm_interaction.tickets.store import TICKETS
from crm_kit.mongo import Document

DAY = timedelta(days=1)
RFM_TTL = timedelta(minutes=10)
QUINTILES = [0.2, 0.4, 0.6, 0.8]


def _since(field: str, start: datetime, end: datetime | None = None) -> dict[str, Any]:
    """1 when `field` is in [start, end), else 0 (for $sum)."""
    condition: list[Any] = [{"$gte": [f"${field}", start]}]
    if end is not None:
        condition.append({"$lt": [f"${field}", end]})
    return {"$cond": [{"$and": condition}, 1, 0]}


def _count_if(*conditions: Any) -> dict[str, Any]:
    """$sum of 1 for the documents meeting every condition."""
    condition = conditions[0] if len(conditions) == 1 else {"$and": list(conditions)}
    return {"$sum": {"$cond": [condition, 1, 0]}}


def _percentiles(value: Any) -> dict[str, Any]:
    return {"$percentile": {"input": value, "p": QUINTILES, "method": "approximate"}}


def _counted_last_year(now: datetime) -> dict[str, Any]:
    return {
        "$match": {
            "status": {"$in": [str(s) for s in COUNTED_STATUSES]},
            "purchasedAt": {"$gte": now - 365 * DAY, "$lte": now},
        }
    }


def _base_pipeline(now: datetime) -> list[dict[str, Any]]:
    """Per customer (count, last purchase) → percentiles over the base."""
    return [
        _counted_last_year(now),
        {"$group": {"_id": "$customerId", "n": {"$sum": 1}, "last": {"$max": "$purchasedAt"}}},
        {
            "$group": {
                "_id": None,
                "customers": {"$sum": 1},
                "n": _percentiles("$n"),
                "ageMs": _percentiles({"$subtract": [now, "$last"]}),
            }
        },
    ]


def _spend_base_pipeline(now: datetime) -> list[dict[str, Any]]:
    """Per customer and currency (spend) → percentiles per currency."""
    return [
        _counted_last_year(now),
        {
            "$group": {
                "_id": {"c": "$customerId", "cur": "$currency"},
                "m": {"$sum": "$amountMinor"},
            }
        },
        {"$group": {"_id": "$_id.cur", "m": _percentiles("$m")}},
    ]


def _ticket_pipeline(ids: list[str], now: datetime) -> list[dict[str, Any]]:
    rated = {"$gt": ["$rating", 0]}
    return [
        {"$match": {"customerId": {"$in": ids}}},
        {
            "$group": {
                "_id": "$customerId",
                "open": _count_if({"$in": ["$status", [str(s) for s in OPEN_STATUSES]]}),
                "ratingSum": {"$sum": {"$cond": [rated, "$rating", 0]}},
                "ratingCount": {"$sum": {"$cond": [rated, 1, 0]}},
                "low180": _count_if(
                    rated, {"$lte": ["$rating", 2]}, {"$gte": ["$ratedAt", now - 180 * DAY]}
                ),
                "complaints90": _count_if(
                    {"$eq": ["$type", str(TicketType.COMPLAINT)]},
                    {"$gte": ["$createdAt", now - 90 * DAY]},
                ),
            }
        },
    ]


def _spend_pipeline(ids: list[str], now: datetime) -> list[dict[str, Any]]:
    def minor_if(start: datetime, end: datetime | None = None) -> dict[str, Any]:
        window = _since("purchasedAt", start, end)
        return {"$cond": [{"$eq": [window, 1]}, "$amountMinor", 0]}

    return [
        {
            "$match": {
                "customerId": {"$in": ids},
                "status": {"$in": [str(s) for s in COUNTED_STATUSES]},
            }
        },
        {
            "$group": {
                "_id": {"c": "$customerId", "cur": "$currency"},
                "total": {"$sum": "$amountMinor"},
                "y1": {"$sum": minor_if(now - 365 * DAY)},
                "d90": {"$sum": minor_if(now - 90 * DAY)},
                "p90": {"$sum": minor_if(now - 180 * DAY, now - 90 * DAY)},
                "n365": {"$sum": _since("purchasedAt", now - 365 * DAY)},
                "n": {"$sum": 1},
                "last": {"$max": "$purchasedAt"},
            }
        },
    ]


def _spend_facts(doc: Document) -> SpendFacts:
    return SpendFacts(
        currency=str(doc["_id"]["cur"]),
        total_minor=int(doc["total"]),
        last_365_minor=int(doc["y1"]),
        last_90_minor=int(doc["d90"]),
        prior_90_minor=int(doc["p90"]),
        count_365=int(doc["n365"]),
        count_total=int(doc["n"]),
        last_purchase_at=doc.get("last"),
    )


class InsightQueries:
    def __init__(
        self,
        db: AsyncDatabase[Document],
        interactions: InteractionQueries,
        clock: Clock,
        rfm_ttl: timedelta = RFM_TTL,
    ) -> None:
        self._db = db
        self._interactions = interactions
        self._clock = clock
        self._rfm_ttl = rfm_ttl
        self._rfm: rfm.Distribution | None = None
        self._rfm_lock = asyncio.Lock()

    async def for_customers(self, customer_ids: Sequence[str]) -> dict[str, Insight]:
        """Each customer's insight, scored against the base's current distribution."""
        now = self._clock()
        base = await self.distribution(now)
        facts = await self.facts(customer_ids, now)
        return {customer_id: compute(facts[customer_id], now, base) for customer_id in facts}

    async def distribution(self, now: datetime) -> rfm.Distribution:
        """The base's RFM quintiles, recomputed by the database at most every `rfm_ttl`
        (per process; concurrent requests wait for one computation)."""
        if self._fresh(now):
            assert self._rfm is not None
            return self._rfm
        async with self._rfm_lock:
            if not self._fresh(now):
                self._rfm = await self._compute_distribution(now)
            assert self._rfm is not None
            return self._rfm

    def forget_distribution(self) -> None:
        self._rfm = None

    def _fresh(self, now: datetime) -> bool:
        at = self._rfm.computed_at if self._rfm is not None else None
        return at is not None and at <= now < at + self._rfm_ttl

    async def _compute_distribution(self, now: datetime) -> rfm.Distribution:
        """Two aggregates over the last year's counted purchases."""
        by_customer = await self._db[PURCHASES].aggregate(_base_pipeline(now))
        overall = await by_customer.to_list()
        by_currency = await self._db[PURCHASES].aggregate(_spend_base_pipeline(now))
        monetary = {
            str(doc["_id"]): tuple(float(from_minor(int(v), str(doc["_id"]))) for v in doc["m"])
            async for doc in by_currency
        }
        if not overall:
            return rfm.Distribution(computed_at=now)
        doc = overall[0]
        return rfm.Distribution(
            customers=int(doc["customers"]),
            recency_days=tuple(float(v) / 86_400_000 for v in doc["ageMs"]),
            frequency=tuple(float(v) for v in doc["n"]),
            monetary=monetary,
            computed_at=now,
        )

    async def facts(self, customer_ids: Sequence[str], now: datetime) -> dict[str, CustomerFacts]:
        ids = list(dict.fromkeys(customer_ids))
        last_contact, channels, tickets, spend = await asyncio.gather(
            self._interactions.last_occurred_at(ids),
            self._channels(ids, now),
            self._tickets(ids, now),
            self._spend(ids, now),
        )
        result: dict[str, CustomerFacts] = {}
        for customer_id in ids:
            t = tickets.get(customer_id, {})
            result[customer_id] = CustomerFacts(
                customer_id=customer_id,
                last_contact_at=last_contact.get(customer_id),
                channels=channels.get(customer_id, {}),
                open_tickets=int(t.get("open", 0)),
                rating_sum=int(t.get("ratingSum", 0)),
                rating_count=int(t.get("ratingCount", 0)),
                low_ratings_180=int(t.get("low180", 0)),
                complaints_90=int(t.get("complaints90", 0)),
                spend=tuple(spend.get(customer_id, ())),
            )
        return result

    async def _channels(
        self, ids: list[str], now: datetime
    ) -> dict[str, dict[str, tuple[int, int]]]:
        cursor = await self._db[INTERACTIONS].aggregate(
            [
                {"$match": {"customerId": {"$in": ids}, "occurredAt": {"$gte": now - 90 * DAY}}},
                {
                    "$group": {
                        "_id": {"c": "$customerId", "ch": "$channel"},
                        "d30": {"$sum": _since("occurredAt", now - 30 * DAY)},
                        "d90": {"$sum": 1},
                    }
                },
            ]
        )
        out: dict[str, dict[str, tuple[int, int]]] = {}
        async for doc in cursor:
            key = doc["_id"]
            out.setdefault(str(key["c"]), {})[str(key["ch"])] = (int(doc["d30"]), int(doc["d90"]))
        return out

    async def _tickets(self, ids: list[str], now: datetime) -> dict[str, Document]:
        cursor = await self._db[TICKETS].aggregate(_ticket_pipeline(ids, now))
        return {str(doc["_id"]): doc async for doc in cursor}

    async def _spend(self, ids: list[str], now: datetime) -> dict[str, list[SpendFacts]]:
        cursor = await self._db[PURCHASES].aggregate(_spend_pipeline(ids, now))
        out: dict[str, list[SpendFacts]] = {}
        async for doc in cursor:
            out.setdefault(str(doc["_id"]["c"]), []).append(_spend_facts(doc))
        return out
