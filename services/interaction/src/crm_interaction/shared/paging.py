"""Keyset paging, newest first, and per-customer pages for many customers at once (one
aggregate per field per `_entities` batch).

A gateway resolves `Customer.interactions` (timeline, tickets, purchases, …) for N customers in
one `_entities` call. Asking MongoDB once per customer would cost N round trips; here the
customers' pages come from ONE aggregate command whose pipeline is the first customer's
`$match` + `$sort` + `$limit`, followed by one `$unionWith` of the same shape per further
customer. Each of those sub-pipelines is served by the `customerId`-prefixed index (an index
scan that stops after `limit` entries), so the work is O(customers × page), not O(items) as a
`$group`/`$topN` over all the customers' documents would be. Counts come from one
`$group`/`$sum`.

On the embedded server (mongoeco) aggregation stages run in Python: one customer's page costs
the same as a find (the 360 view), but a 20-customer batch took ~6× the 20 finds it replaces
(`python -m bench.interaction`); `$topN` was worse still (~10× a find for one customer with
1,000 items). The fix belongs in the embedded server (push `$unionWith` sub-pipelines down
like finds), not here: this is the shape that is cheap on MongoDB.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from crm_kit.mongo import Document
from crm_kit.paging import Keyset


@dataclass(frozen=True, slots=True)
class PageOrder:
    """A newest-first keyset order: (`time_field` desc, `_id` desc)."""

    time_field: str

    def sort(self) -> dict[str, int]:
        return {self.time_field: -1, "_id": -1}

    def after(self, position: Keyset) -> dict[str, Any]:
        return {
            "$or": [
                {self.time_field: {"$lt": position.at}},
                {self.time_field: position.at, "_id": {"$lt": position.id}},
            ]
        }


def _unique(customer_ids: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(customer_ids))


async def top_per_customer(
    collection: AsyncCollection[Document],
    customer_ids: Sequence[str],
    *,
    n: int,
    sort: Mapping[str, int],
    match: Mapping[str, Any] | None = None,
) -> dict[str, list[Document]]:
    """The first `n` documents of every customer in `sort` order, in one aggregate."""
    ids = _unique(customer_ids)
    if n <= 0 or not ids:
        return {}

    def one(customer_id: str) -> list[Document]:
        query: dict[str, Any] = {"customerId": customer_id}
        if match:
            query = {"$and": [query, dict(match)]}
        return [{"$match": query}, {"$sort": dict(sort)}, {"$limit": n}]

    pipeline = one(ids[0]) + [
        {"$unionWith": {"coll": collection.name, "pipeline": one(customer_id)}}
        for customer_id in ids[1:]
    ]
    found: dict[str, list[Document]] = {}
    cursor = await collection.aggregate(pipeline)
    async for doc in cursor:  # each customer's documents arrive together, in page order
        found.setdefault(str(doc["customerId"]), []).append(doc)
    return found


async def page_per_customer(
    collection: AsyncCollection[Document],
    customer_ids: Sequence[str],
    *,
    order: PageOrder,
    first: int,
    after: Keyset | None,
    match: Mapping[str, Any] | None = None,
) -> dict[str, tuple[list[Document], bool]]:
    """Every customer's page (`first` items after `after`) and whether more follow."""
    conditions: dict[str, Any] = dict(match or {})
    if after is not None:
        position = order.after(after)
        conditions = {"$and": [conditions, position]} if conditions else position
    found = await top_per_customer(
        collection, customer_ids, n=first + 1, sort=order.sort(), match=conditions or None
    )
    return {customer_id: (docs[:first], len(docs) > first) for customer_id, docs in found.items()}


async def count_per_customer(
    collection: AsyncCollection[Document],
    customer_ids: Sequence[str],
    match: Mapping[str, Any] | None = None,
) -> dict[str, int]:
    """How many documents each customer has (matching `match`), in one aggregate."""
    if not customer_ids:
        return {}
    query: dict[str, Any] = {"customerId": {"$in": _unique(customer_ids)}, **(match or {})}
    cursor = await collection.aggregate(
        [{"$match": query}, {"$group": {"_id": "$customerId", "n": {"$sum": 1}}}]
    )
    return {str(doc["_id"]): int(doc["n"]) async for doc in cursor}
