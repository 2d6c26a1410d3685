"""Pages and counts for many keys at once (the customers or staff members of one `_entities`
call): one aggregate for every key's page, one for every key's count.

The pages come from ONE aggregate whose pipeline is the first key's `$match` + `$sort` +
`$limit`, followed by one `$unionWith` of the same shape per further key: each sub-pipeline is
served by an index prefixed with the key field and stops after `limit` entries, so the work is
O(keys × page), not O(records). Counts come from one `$group`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from crm_kit.mongo import Document
from crm_kit.policy import restrict
from crm_sales.shared.listing import KeysetOrder, Position, both


def _unique(keys: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(keys))


async def page_per_key(
    collection: AsyncCollection[Document],
    key_field: str,
    keys: Sequence[str],
    *,
    order: KeysetOrder,
    first: int,
    after: Position | None,
    match: Mapping[str, Any] | None = None,
) -> dict[str, tuple[list[Document], bool]]:
    """Every key's page (`first` records after `after`, `match` ANDed) and whether more
    follow, in one aggregate."""
    ids = _unique(keys)
    if first <= 0 or not ids:
        return {}

    def one(key: str) -> list[Document]:
        query = both(both({key_field: key}, match), order.after(after))
        return [{"$match": query}, {"$sort": order.sort()}, {"$limit": first + 1}]

    pipeline = one(ids[0]) + [
        {"$unionWith": {"coll": collection.name, "pipeline": one(key)}} for key in ids[1:]
    ]
    found: dict[str, list[Document]] = {}
    async for doc in await collection.aggregate(pipeline):
        found.setdefault(str(doc[key_field]), []).append(doc)
    return {key: (docs[:first], len(docs) > first) for key, docs in found.items()}


async def count_per_key(
    collection: AsyncCollection[Document],
    key_field: str,
    keys: Sequence[str],
    match: Mapping[str, Any] | None = None,
) -> dict[str, int]:
    """How many records each key has (matching `match`), in one aggregate."""
    if not keys:
        return {}
    query = restrict(match or {}, {key_field: {"$in": _unique(keys)}})
    cursor = await collection.aggregate(
        [{"$match": query}, {"$group": {"_id": f"${key_field}", "n": {"$sum": 1}}}]
    )
    return {str(doc["_id"]): int(doc["n"]) async for doc in cursor}
