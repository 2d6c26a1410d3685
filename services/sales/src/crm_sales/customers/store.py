"""MongoDB adapter of the customer projection, and the re-keying of records on a merge.

Uniqueness is enforced through `_id` only, never through unique secondary indexes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.mongo import Document, IndexSpec, Session
from crm_sales.customers.model import ACTIVE, CustomerMove, CustomerView

CUSTOMERS = "customers"
# Which records each merge moved, from which customer: what an un-merge moves back.
MERGE_MOVES = "customer_merge_moves"
MOVED_IDS_PER_RECORD = 5000  # far below MongoDB's document size limit

INDEXES: list[IndexSpec] = [
    IndexSpec(
        MERGE_MOVES,
        (IndexModel([("mergeId", ASCENDING), ("collection", ASCENDING)], name="merge"),),
    ),
]


async def refile(
    collection: AsyncCollection[Document], move: CustomerMove, session: Session
) -> None:
    """File a feature's records of the merged customers under the survivor, recording which
    ones moved from whom under the merge's id, so that an un-merge moves back exactly these."""
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
    """Undo `refile` for this merge: what it moved and is still under the survivor goes back;
    applied twice, the second finds nothing left to move."""
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


def customer_to_doc(view: CustomerView) -> Document:
    return {
        "_id": view.id,
        "ownerId": view.owner_id,
        "team": view.team,
        "stage": view.stage,
        "version": view.version,
        "updatedAt": view.updated_at,
    }


def customer_from_doc(doc: Document) -> CustomerView:
    return CustomerView(
        id=str(doc["_id"]),
        owner_id=doc.get("ownerId"),
        team=doc.get("team"),
        stage=doc.get("stage", ""),
        version=int(doc["version"]),
        updated_at=doc["updatedAt"],
        lifecycle=doc.get("lifecycle", ACTIVE),
        merged_into=doc.get("mergedInto"),
    )


class CustomerRepository:
    """This service's copy of customers; applies snapshots only when they are newer."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = db[CUSTOMERS]

    async def get(self, customer_id: str, session: Session | None = None) -> CustomerView | None:
        doc = await self._collection.find_one({"_id": customer_id}, session=session)
        return customer_from_doc(doc) if doc is not None else None

    async def get_many(self, customer_ids: Sequence[str]) -> dict[str, CustomerView]:
        cursor = self._collection.find({"_id": {"$in": list(dict.fromkeys(customer_ids))}})
        return {str(d["_id"]): customer_from_doc(d) async for d in cursor}

    async def apply(self, view: CustomerView, session: Session) -> bool:
        """Store the snapshot unless a same-or-newer version is stored; True when applied."""
        stored = await self._collection.find_one({"_id": view.id}, {"version": 1}, session=session)
        if stored is None:
            await self._collection.insert_one(customer_to_doc(view), session=session)
            return True
        if not view.is_newer_than(stored.get("version")):
            return False
        fields = customer_to_doc(view)
        del fields["_id"]
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
        """Mark archived / merged / erased / active; a customer never seen gets a stub record
        (version 0, so its first snapshot still applies)."""
        fields: dict[str, Any] = {"lifecycle": lifecycle, "mergedInto": merged_into}
        await self._collection.update_one(
            {"_id": customer_id},
            {
                "$set": fields,
                "$setOnInsert": {
                    "ownerId": None,
                    "team": None,
                    "stage": "",
                    "version": 0,
                    "updatedAt": at,
                },
            },
            upsert=True,
            session=session,
        )
