"""Read side of the timeline: a customer's feed, newest first (optionally of some kinds and
within a time range), one index-served query per page; many customers' pages in one aggregate
(see `shared.paging`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from crm_interaction.shared import paging
from crm_interaction.shared.listing import Bounds
from crm_interaction.timeline.model import TimelineEntry, TimelineKind
from crm_interaction.timeline.store import TIMELINE, entry_from_doc
from crm_kit.mongo import Document
from crm_kit.paging import Keyset

NEWEST_FIRST = paging.PageOrder("at")  # the timeline's order


@dataclass(frozen=True, slots=True)
class TimelineFilter:
    """Which items of a feed: of one of `kinds` (any when empty), at a time within `at`."""

    kinds: tuple[TimelineKind, ...] = ()
    at: Bounds = ()

    def query(self) -> dict[str, Any]:
        query: dict[str, Any] = {}
        if self.kinds:
            query["kind"] = {"$in": [str(k) for k in self.kinds]}
        if self.at:
            query["at"] = dict(self.at)
        return query


EVERY_ITEM = TimelineFilter()


class TimelineQueries:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = db[TIMELINE]

    async def page(
        self,
        customer_id: str,
        first: int,
        after: Keyset | None,
        where: TimelineFilter = EVERY_ITEM,
    ) -> tuple[list[TimelineEntry], bool]:
        """Newest first; one query served by (customerId[, kind], at desc, _id desc)."""
        query: dict[str, Any] = {"customerId": customer_id, **where.query()}
        if after is not None:
            query |= NEWEST_FIRST.after(after)  # an `$or`: the query has none
        docs = (
            await self._collection.find(query).sort(NEWEST_FIRST.sort()).limit(first + 1).to_list()
        )
        return [entry_from_doc(d) for d in docs[:first]], len(docs) > first

    async def count(self, customer_id: str, where: TimelineFilter = EVERY_ITEM) -> int:
        query: dict[str, Any] = {"customerId": customer_id, **where.query()}
        return await self._collection.count_documents(query)

    async def pages(
        self,
        customer_ids: Sequence[str],
        first: int,
        after: Keyset | None,
        where: TimelineFilter = EVERY_ITEM,
    ) -> dict[str, tuple[list[TimelineEntry], bool]]:
        """`page` for many customers in one aggregate (see shared.paging)."""
        found = await paging.page_per_customer(
            self._collection,
            customer_ids,
            order=NEWEST_FIRST,
            first=first,
            after=after,
            match=where.query() or None,
        )
        return {c: ([entry_from_doc(d) for d in docs], more) for c, (docs, more) in found.items()}

    async def counts(
        self, customer_ids: Sequence[str], where: TimelineFilter = EVERY_ITEM
    ) -> dict[str, int]:
        return await paging.count_per_customer(self._collection, customer_ids, where.query())
