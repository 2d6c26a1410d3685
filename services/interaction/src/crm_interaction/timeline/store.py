"""MongoDB adapter of the timeline: its collection, indexes and document mapping. Entries are
written by each feature's use cases, in the transaction that changes the item. Beside it, the
sales opportunities merged into others (`opportunity_merges`, read by `_id` only): where a
merged deal's closings go, however late they arrive."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from crm_interaction.customers.model import ERASED_TEXT, CustomerMove
from crm_interaction.customers.store import refile, unfile
from crm_interaction.timeline.model import (
    OpportunityMerge,
    TimelineEntry,
    TimelineKind,
    entry_id,
)
from crm_kit.mongo import Document, IndexSpec, Session

TIMELINE = "timeline"
OPPORTUNITY_MERGES = "opportunity_merges"
CLOSING_KINDS = (TimelineKind.OPPORTUNITY_WON, TimelineKind.OPPORTUNITY_LOST)

INDEXES = [
    IndexSpec(
        TIMELINE,
        (
            IndexModel(
                [("customerId", ASCENDING), ("at", DESCENDING), ("_id", DESCENDING)],
                name="customer_at_id",
            ),
            IndexModel(
                [
                    ("customerId", ASCENDING),
                    ("kind", ASCENDING),
                    ("at", DESCENDING),
                    ("_id", DESCENDING),
                ],
                name="customer_kind_at_id",
            ),
        ),
    ),
]


def entry_to_doc(e: TimelineEntry) -> Document:
    doc: Document = {
        "_id": e.id,
        "customerId": e.customer_id,
        "kind": str(e.kind),
        "refId": e.ref_id,
        "at": e.at,
        "title": e.title,
        "summary": e.summary,
        "status": e.status,
        "actorId": e.actor_id,
    }
    if e.ref_version is not None:
        doc["refVersion"] = e.ref_version
    return doc


def entry_from_doc(d: Document) -> TimelineEntry:
    return TimelineEntry(
        id=str(d["_id"]),
        customer_id=d["customerId"],
        kind=TimelineKind(d["kind"]),
        ref_id=d["refId"],
        at=d["at"],
        title=d.get("title") or "",
        summary=d.get("summary"),
        status=d.get("status"),
        actor_id=d.get("actorId"),
        ref_version=d.get("refVersion"),
    )


class TimelineRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = db[TIMELINE]

    async def put(self, entry: TimelineEntry, session: Session) -> None:
        await self._collection.replace_one(
            {"_id": entry.id}, entry_to_doc(entry), upsert=True, session=session
        )

    async def put_newer(self, entry: TimelineEntry, replaces: str, session: Session) -> bool:
        """Store `entry` in place of itself and of the entry `replaces` (another kind of the
        same item), unless either is stored at the same or a newer `ref_version`: True when
        written. One `_id $in` read, then a delete and an upsert."""
        assert entry.ref_version is not None
        cursor = self._collection.find(
            {"_id": {"$in": [entry.id, replaces]}}, {"refVersion": 1}, session=session
        )
        async for stored in cursor:
            version = stored.get("refVersion")
            if isinstance(version, int) and version >= entry.ref_version:
                return False
        await self._collection.delete_one({"_id": replaces}, session=session)
        await self.put(entry, session)
        return True

    async def remove(self, entry_id: str, session: Session) -> None:
        await self._collection.delete_one({"_id": entry_id}, session=session)

    async def closings_of(self, opportunity_id: str, session: Session) -> list[TimelineEntry]:
        """The opportunity's won or lost entry (one at most, by `put_newer`), by `_id`."""
        ids = [entry_id(kind, opportunity_id) for kind in CLOSING_KINDS]
        cursor = self._collection.find({"_id": {"$in": ids}}, session=session)
        return [entry_from_doc(d) async for d in cursor]

    async def move_customer(self, move: CustomerMove, session: Session) -> None:
        await refile(self._collection, move, session)

    async def move_back(self, move: CustomerMove, session: Session) -> None:
        await unfile(self._collection, move, session)

    async def erase_customer(self, customer_id: str, session: Session) -> None:
        await self._collection.update_many(
            {"customerId": customer_id},
            {"$set": {"title": ERASED_TEXT, "summary": None}},
            session=session,
        )


class OpportunityMergeRepository:
    """Which opportunity each merged deal went into, and the survivor's version then."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = db[OPPORTUNITY_MERGES]

    async def record(self, merge: OpportunityMerge, session: Session) -> bool:
        """Remember the merge; False when it was remembered before (a repeat of the news)."""
        result = await self._collection.update_one(
            {"_id": merge.merged_id},
            {
                "$setOnInsert": {
                    "survivorId": merge.survivor_id,
                    "survivorVersion": merge.survivor_version,
                }
            },
            upsert=True,
            session=session,
        )
        return result.upserted_id is not None

    async def merged_into(self, opportunity_id: str, session: Session) -> OpportunityMerge | None:
        """The merge that took `opportunity_id` away, if one did."""
        doc = await self._collection.find_one({"_id": opportunity_id}, session=session)
        if doc is None:
            return None
        return OpportunityMerge(str(doc["survivorId"]), int(doc["survivorVersion"]), opportunity_id)
