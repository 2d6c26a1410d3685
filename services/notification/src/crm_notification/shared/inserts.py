"""Insert-if-absent for documents whose `_id` derives from the event (notifications, deliveries,
digest items): a replay finds its documents and adds nothing.

Looks first, in one `$in` query, instead of relying on duplicate-key errors: inside a MongoDB
transaction such an error aborts the whole transaction. A plain insert also stays cheap on the
embedded MongoDB, where updates and upserts cost O(collection size)."""

from __future__ import annotations

from collections.abc import Sequence

from pymongo.asynchronous.collection import AsyncCollection

from crm_kit.mongo import Document, Session


async def insert_absent(
    collection: AsyncCollection[Document], docs: Sequence[Document], session: Session | None
) -> set[str]:
    """Insert every document whose `_id` is not stored yet (the first of repeated ids in
    `docs`); the ids inserted."""
    ids = list(dict.fromkeys(str(d["_id"]) for d in docs))
    if not ids:
        return set()
    cursor = collection.find({"_id": {"$in": ids}}, {"_id": 1}, session=session)
    present = {str(d["_id"]) async for d in cursor}
    fresh: dict[str, Document] = {}
    for doc in docs:
        id = str(doc["_id"])
        if id not in present and id not in fresh:
            fresh[id] = doc
    if fresh:
        await collection.insert_many(list(fresh.values()), session=session)
    return set(fresh)


def first_time(inserted: set[str], id: str) -> bool:
    """Whether `id` was inserted now; a repeated id in one batch counts once (its first)."""
    if id not in inserted:
        return False
    inserted.discard(id)
    return True
