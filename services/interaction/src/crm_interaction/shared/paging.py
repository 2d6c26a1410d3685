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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pymongo.asynchronous.collection import AsyncCollection

from crm_interaction.shared.listing import both
from crm_kit.mongo import Document
from crm_kit.paging import Keyset
from crm_kit.policy import restrict


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

    def stages(self, match: Mapping[str, Any], after: Keyset | None) -> list[Document]:
        """The stages before `$sort`: `match` and, on a later page, past `after`."""
        return [{"$match": both(match, self.after(after) if after is not None else None)}]


class Order[P](Protocol):
    """A keyset order of a per-customer page (`PageOrder`, `listing.KeysetOrder`)."""

    def sort(self) -> dict[str, int]: ...

    def stages(self, match: Mapping[str, Any], after: P | None) -> list[Document]: ...


def _unique(customer_ids: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(customer_ids))


async def top_per_customer(
    collection: AsyncCollection[Document],
    customer_ids: Sequence[str],
    *,
    n: int,
    sort: Mapping[str, int],
    match: Mapping[str, Any] | None = None,
    head: Callable[[Document], list[Document]] | None = None,
) -> dict[str, list[Document]]:
    """The first `n` documents of every customer in `sort` order, in one aggregate. `head`
    makes the stages before `$sort` from a customer's condition (default: one `$match`)."""
    ids = _unique(customer_ids)
    if n <= 0 or not ids:
        return {}

    def one(customer_id: str) -> list[Document]:
        query = both({"customerId": customer_id}, match)
        stages = head(query) if head is not None else [{"$match": query}]
        return [*stages, {"$sort": dict(sort)}, {"$limit": n}]

    pipeline = one(ids[0]) + [
        {"$unionWith": {"coll": collection.name, "pipeline": one(customer_id)}}
        for customer_id in ids[1:]
    ]
    found: dict[str, list[Document]] = {}
    cursor = await collection.aggregate(pipeline)
    async for doc in cursor:  # each customer's documents arrive together, in page order
        found.setdefault(str(doc["customerId"]), []).append(doc)
    return found


async def page_per_customer[P](
    collection: AsyncCollection[Document],
    customer_ids: Sequence[str],
    *,
    order: Order[P],
    first: int,
    after: P | None,
    match: Mapping[str, Any] | None = None,
) -> dict[str, tuple[list[Document], bool]]:
    """Every customer's page (`first` items after `after`) and whether more follow."""
    found = await top_per_customer(
        collection,
        customer_ids,
        n=first + 1,
        sort=order.sort(),
        match=match,
        head=lambda query: order.stages(query, after),
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
    # ANDed: a `customerId` in `match` narrows the customers, never adds one
    query = restrict(match or {}, {"customerId": {"$in": _unique(customer_ids)}})
    cursor = await collection.aggregate(
        [{"$match": query}, {"$group": {"_id": "$customerId", "n": {"$sum": 1}}}]
    )
    return {str(doc["_id"]): int(doc["n"]) async for doc in cursor}
