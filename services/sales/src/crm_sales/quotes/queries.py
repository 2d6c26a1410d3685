"""Read side of quotes: one or many by id, filtered keyset pages in a chosen order within the
caller's reach, each opportunity's quotes for a batch of opportunities, and the settings.

A quote is reached as its opportunity is: a list joins each quote to its deal's owner and
team (`$lookup`) and keeps those the caller's opportunity list condition
(`access.condition`) selects, so a reassigned deal takes its quotes with it. A caller whose
condition is everything (ADMIN, ANALYST) reads without the join.

EXPIRED is never stored: a filter on it selects SENT quotes valid until before today, and a
filter on SENT only those still valid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.listing import OrderDirection
from crm_kit.mongo import Document
from crm_sales.opportunities.store import OPPORTUNITIES
from crm_sales.quotes.model import Quote, QuoteStatus
from crm_sales.quotes.store import (
    QUOTE_SETTINGS,
    QUOTES,
    SETTINGS_ID,
    quote_from_doc,
    settings_from_doc,
)
from crm_sales.quotes.terms import QuoteSettings
from crm_sales.shared import paging
from crm_sales.shared.listing import KeyKind, KeysetOrder, Page, Position, both, page_of


class QuoteOrderField(StrEnum):
    """What a quote list is ordered by (then by id, in the same direction)."""

    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"
    VALID_UNTIL = "VALID_UNTIL"
    NUMBER = "NUMBER"


_STORED = {
    QuoteOrderField.CREATED_AT: ("createdAt", KeyKind.TIME),
    QuoteOrderField.UPDATED_AT: ("updatedAt", KeyKind.TIME),
    QuoteOrderField.VALID_UNTIL: ("validUntil", KeyKind.TEXT),
    QuoteOrderField.NUMBER: ("numberKey", KeyKind.TEXT),
}


def quote_order(field: QuoteOrderField, direction: OrderDirection) -> KeysetOrder:
    stored, kind = _STORED[field]
    descending = direction is OrderDirection.DESC
    return KeysetOrder(f"QUOTE_{field}_{direction.value}", stored, kind, descending)


NEWEST_FIRST = quote_order(QuoteOrderField.CREATED_AT, OrderDirection.DESC)


def _status_condition(status: QuoteStatus, today: date) -> Document:
    day = today.isoformat()
    if status is QuoteStatus.SENT:
        return {"status": str(QuoteStatus.SENT), "validUntil": {"$gte": day}}
    if status is QuoteStatus.EXPIRED:
        return {"status": str(QuoteStatus.SENT), "validUntil": {"$lt": day}}
    return {"status": str(status)}


@dataclass(frozen=True, slots=True)
class QuoteFilter:
    """Which quotes (every condition given must hold); hashable, part of a loader key."""

    opportunity_id: str | None = None
    customer_id: str | None = None
    statuses: tuple[QuoteStatus, ...] = ()
    number: str | None = None
    current_only: bool = False  # only versions no newer one supersedes

    def query(self, today: date) -> Document:
        query: Document = {}
        if self.opportunity_id:
            query["opportunityId"] = self.opportunity_id
        if self.customer_id:
            query["customerId"] = self.customer_id
        if self.number:
            query["number"] = self.number.strip().upper()
        if self.current_only:
            query["supersededById"] = None
        if self.statuses:
            query["$or"] = [_status_condition(s, today) for s in dict.fromkeys(self.statuses)]
        return query


def _reach(condition: Mapping[str, Any]) -> list[Document]:
    """The stages keeping the quotes whose deal `condition` (on `ownerId` / `team`) selects."""
    if not condition:
        return []
    return [
        {
            "$lookup": {
                "from": OPPORTUNITIES,
                "localField": "opportunityId",
                "foreignField": "_id",
                "as": "_deal",
            }
        },
        {
            "$set": {
                "ownerId": {"$arrayElemAt": ["$_deal.ownerId", 0]},
                "team": {"$arrayElemAt": ["$_deal.team", 0]},
            }
        },
        {"$match": dict(condition)},
    ]


class QuoteQueries:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._quotes = db[QUOTES]
        self._settings = db[QUOTE_SETTINGS]

    async def get(self, quote_id: str) -> Quote | None:
        doc = await self._quotes.find_one({"_id": quote_id})
        return quote_from_doc(doc) if doc is not None else None

    async def get_many(self, quote_ids: Sequence[str]) -> dict[str, Quote]:
        cursor = self._quotes.find({"_id": {"$in": list(dict.fromkeys(quote_ids))}})
        return {str(d["_id"]): quote_from_doc(d) async for d in cursor}

    async def settings(self) -> QuoteSettings:
        return settings_from_doc(await self._settings.find_one({"_id": SETTINGS_ID}))

    async def page(
        self,
        where: QuoteFilter,
        *,
        reach: Mapping[str, Any],
        order: KeysetOrder,
        first: int,
        after: Position | None,
        today: date,
    ) -> Page[Quote]:
        """`first` quotes after `after` in `order`, among those the caller reaches."""
        if first <= 0:
            return Page([], [], False)
        match = both(where.query(today), order.after(after))
        pipeline = [
            {"$match": match},
            {"$sort": order.sort()},
            *_reach(reach),
            {"$limit": first + 1},
        ]
        docs = [d async for d in await self._quotes.aggregate(pipeline)]
        return page_of(docs[:first], len(docs) > first, order, quote_from_doc)

    async def count(self, where: QuoteFilter, *, reach: Mapping[str, Any], today: date) -> int:
        pipeline = [{"$match": where.query(today)}, *_reach(reach), {"$count": "n"}]
        found = [d async for d in await self._quotes.aggregate(pipeline)]
        return int(found[0]["n"]) if found else 0

    async def per_opportunity(
        self, ids: Sequence[str], *, order: KeysetOrder, first: int, after: Position | None
    ) -> dict[str, Page[Quote]]:
        """The quotes of each of many opportunities (`Opportunity.quotes` of one response),
        one aggregate for all."""
        found = await paging.page_per_key(
            self._quotes, "opportunityId", ids, order=order, first=first, after=after
        )
        return {k: page_of(docs, more, order, quote_from_doc) for k, (docs, more) in found.items()}

    async def counts_per_opportunity(self, ids: Sequence[str]) -> dict[str, int]:
        return await paging.count_per_key(self._quotes, "opportunityId", ids)
