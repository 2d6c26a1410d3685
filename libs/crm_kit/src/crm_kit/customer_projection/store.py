"""MongoDB adapter of a customer projection (collection `customers`, `_id` = the customer id),
and the re-keying of a feature's records when customers merge (`refile`) and unmerge
(`unfile`), remembered in `customer_merge_moves`.

Uniqueness is enforced through `_id` only (guard documents), never through unique secondary
indexes: that is what shards well in production and stays cheap on mongoeco.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.customer_projection.model import ACTIVE, ERASED, CustomerMove, CustomerView
from crm_kit.mongo import Document, IndexSpec, Session

CUSTOMERS = "customers"
# Which documents each merge moved, from which customer: what an un-merge moves back.
MERGE_MOVES = "customer_merge_moves"
# Moved ids per record of MERGE_MOVES: far below MongoDB's document size limit.
MOVED_IDS_PER_RECORD = 5000

INDEXES: list[IndexSpec] = [
    IndexSpec(
        MERGE_MOVES,
        (IndexModel([("mergeId", ASCENDING), ("collection", ASCENDING)], name="merge"),),
    ),
]


async def refile(
    collection: AsyncCollection[Document], move: CustomerMove, session: Session
) -> None:
    """File a feature's documents of the merged customers under the survivor, recording which
    ones moved from whom under the merge's id: an un-merge moves back exactly these
    (`unfile`). Ids are recorded, not marks on the documents: a feature rewrites its
    documents whole on every change, which would drop a mark."""
    moves = collection.database[MERGE_MOVES]
    for customer_id in move.merged:
        cursor = collection.find({"customerId": customer_id}, {"_id": 1}, session=session)
        ids = [d["_id"] async for d in cursor]
        records = [
            {
                "_id": f"{move.merge_id}:{collection.name}:{customer_id}:{part}",
                "mergeId": move.merge_id,
                "collection": collection.name,
                "from": customer_id,
                "to": move.survivor,
                "ids": ids[start : start + MOVED_IDS_PER_RECORD],
            }
            for part, start in enumerate(range(0, len(ids), MOVED_IDS_PER_RECORD))
        ]
        if records:
            await moves.insert_many(records, session=session)
    await collection.update_many(
        {"customerId": {"$in": list(move.merged)}},
        {"$set": {"customerId": move.survivor}},
        session=session,
    )


async def unfile(
    collection: AsyncCollection[Document], move: CustomerMove, session: Session
) -> None:
    """Undo `refile` for this merge: each document it moved from one of `move.merged` and
    still filed under the survivor goes back; what the survivor got since stays. Applied
    twice, the second finds nothing left to move."""
    moves = collection.database[MERGE_MOVES]
    query: Document = {
        "mergeId": move.merge_id,
        "collection": collection.name,
        "from": {"$in": list(move.merged)},
    }
    for moved in await moves.find(query, session=session).to_list():
        await collection.update_many(
            {"_id": {"$in": moved["ids"]}, "customerId": move.survivor},
            {"$set": {"customerId": moved["from"]}},
            session=session,
        )
    await moves.delete_many(query, session=session)


def view_to_doc(view: CustomerView) -> Document:
    """The kit's fields of a snapshot. The lifecycle is left out: only lifecycle events set
    it, so a newer snapshot never revives an archived, merged or erased customer."""
    return {
        "_id": view.id,
        "ownerId": view.owner_id,
        "team": view.team,
        "stage": view.stage,
        "version": view.version,
        "updatedAt": view.updated_at,
    }


def view_fields(doc: Document) -> dict[str, Any]:
    """The kit's fields of a stored customer, as `CustomerView`'s arguments."""
    return {
        "id": str(doc["_id"]),
        "owner_id": doc.get("ownerId"),
        "team": doc.get("team"),
        "stage": doc.get("stage", ""),
        "version": int(doc["version"]),
        "updated_at": doc["updatedAt"],
        "lifecycle": doc.get("lifecycle", ACTIVE),
        "merged_into": doc.get("mergedInto"),
    }


def view_from_doc(doc: Document) -> CustomerView:
    return CustomerView(**view_fields(doc))


@dataclass(frozen=True, slots=True)
class ViewDocs[V: CustomerView]:
    """How one service stores its view of a customer: the whole document each way, and its own
    fields holding nothing (`blank`) — what an erasure leaves of them, and what a customer
    the projection has not seen yet starts with."""

    to_doc: Callable[[V], Document]
    from_doc: Callable[[Document], V]
    blank: Mapping[str, Any] = field(default_factory=dict)


PLAIN_VIEWS: ViewDocs[CustomerView] = ViewDocs(view_to_doc, view_from_doc)
"""The kit's `CustomerView` and nothing else."""


def lifecycle_update(
    lifecycle: str, merged_into: str | None, at: datetime, blank: Mapping[str, Any]
) -> Document:
    """The upsert that marks a customer archived / merged / erased / active. A customer never
    seen gets a stub at version 0, so that its first snapshot still applies; an erasure
    blanks the service's own fields (the kit's hold nothing personal)."""
    fields: Document = {"lifecycle": lifecycle, "mergedInto": merged_into}
    if lifecycle == ERASED:
        fields |= blank
    stub: Document = {"ownerId": None, "team": None, "stage": "", "version": 0, "updatedAt": at}
    stub |= blank
    # A path in both `$set` and `$setOnInsert` is a conflict MongoDB refuses.
    return {"$set": fields, "$setOnInsert": {k: v for k, v in stub.items() if k not in fields}}


class CustomerRepository[V: CustomerView]:
    """A service's copy of customers; applies snapshots only when they are newer."""

    def __init__(self, db: AsyncDatabase[Document], docs: ViewDocs[V]) -> None:
        self._collection = db[CUSTOMERS]
        self._docs = docs

    async def get(self, customer_id: str, session: Session | None = None) -> V | None:
        doc = await self._collection.find_one({"_id": customer_id}, session=session)
        return self._docs.from_doc(doc) if doc is not None else None

    async def get_many(self, customer_ids: Sequence[str]) -> dict[str, V]:
        cursor = self._collection.find({"_id": {"$in": list(dict.fromkeys(customer_ids))}})
        return {str(d["_id"]): self._docs.from_doc(d) async for d in cursor}

    async def apply(self, view: V, session: Session) -> bool:
        """Store the snapshot unless a same-or-newer version is stored; True when applied."""
        stored = await self._collection.find_one({"_id": view.id}, {"version": 1}, session=session)
        if stored is None:
            await self._collection.insert_one(self._docs.to_doc(view), session=session)
            return True
        if not view.is_newer_than(stored.get("version")):
            return False
        fields = self._docs.to_doc(view)
        del fields["_id"]
        # conditional on the version read: a concurrent apply makes this one match nothing
        await self._collection.update_one(
            {"_id": view.id, "version": stored.get("version")}, {"$set": fields}, session=session
        )
        return True

    async def set_lifecycle(
        self,
        customer_id: str,
        lifecycle: str,
        merged_into: str | None,
        at: datetime,
        session: Session,
    ) -> None:
        """Mark archived / merged / erased / active (see `lifecycle_update`)."""
        update = lifecycle_update(lifecycle, merged_into, at, self._docs.blank)
        await self._collection.update_one(
            {"_id": customer_id}, update, upsert=True, session=session
        )
