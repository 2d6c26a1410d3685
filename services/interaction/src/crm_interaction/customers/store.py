"""MongoDB adapter of the customer projection, its collection and indexes.

Uniqueness is enforced through `_id` only (guard documents), never through unique
secondary indexes: that is what shards well in production and stays cheap on mongoeco.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from crm_interaction.customers.model import ACTIVE, ERASED, CustomerMove, CustomerView
from crm_kit.mongo import Document, IndexSpec, Session

CUSTOMERS = "customers"
# Which documents each merge moved, from which customer: what an un-merge moves back.
MERGE_MOVES = "customer_merge_moves"
# Moved ids per record of MERGE_MOVES: far below MongoDB's document size limit.
MOVED_IDS_PER_RECORD = 5000

INDEXES: list[IndexSpec] = [
    # access control: the customers a caller's OWN/TEAM scope reaches (ticket lists)
    IndexSpec(
        CUSTOMERS,
        (
            IndexModel([("ownerId", ASCENDING)], name="owner"),
            IndexModel([("team", ASCENDING)], name="team"),
        ),
    ),
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


def customer_to_doc(view: CustomerView) -> Document:
    return {
        "_id": view.id,
        "displayName": view.display_name,
        "ownerId": view.owner_id,
        "team": view.team,
        "stage": view.stage,
        "version": view.version,
        "updatedAt": view.updated_at,
    }


def customer_from_doc(doc: Document) -> CustomerView:
    return CustomerView(
        id=str(doc["_id"]),
        display_name=doc.get("displayName", ""),
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

    async def ids_in_scope(self, owner_id: str, team: str | None, limit: int) -> list[str]:
        """Customers owned by `owner_id` (or in `team`): an access scope as ids."""
        either: list[Document] = [{"ownerId": {"$eq": owner_id}}]
        if team:
            either.append({"team": {"$eq": team}})
        cursor = self._collection.find({"$or": either}, {"_id": 1}).limit(limit)
        return [str(d["_id"]) async for d in cursor]

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
        """Mark archived / merged / erased; a customer never seen before gets a stub record."""
        stored = await self._collection.find_one({"_id": customer_id}, {"_id": 1}, session=session)
        fields: dict[str, Any] = {"lifecycle": lifecycle, "mergedInto": merged_into}
        if lifecycle == ERASED:
            fields["displayName"] = ""
        if stored is None:
            doc: dict[str, Any] = {"_id": customer_id, "displayName": "", "ownerId": None}
            doc.update({"team": None, "stage": "", "version": 0, "updatedAt": at, **fields})
            await self._collection.insert_one(doc, session=session)
        else:
            await self._collection.update_one(
                {"_id": customer_id}, {"$set": fields}, session=session
            )
