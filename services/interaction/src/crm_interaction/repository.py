"""MongoDB adapters for the write side, their collections and indexes.

Uniqueness is enforced through `_id` only (guard documents), never through unique
secondary indexes: that is what shards well in production and stays cheap on mongoeco.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from crm_interaction.customers.model import CustomerView
from crm_interaction.interactions import details as record_details
from crm_interaction.interactions.model import Channel, Direction, Interaction
from crm_kit.errors import Conflict
from crm_kit.idempotency import IdempotencyGuards  # noqa: F401 - bench/interaction imports it from here
from crm_kit.mongo import Document, IndexSpec, Session

CUSTOMERS = "customers"
INTERACTIONS = "interactions"
HISTORY = "interaction_history"

# (customerId, occurredAt desc, _id desc) serves a customer's newest-first page, its count
# and the per-customer "latest occurredAt" (a DISTINCT_SCAN on MongoDB).
INTERACTIONS_BY_CUSTOMER = IndexModel(
    [("customerId", ASCENDING), ("occurredAt", DESCENDING), ("_id", DESCENDING)],
    name="customer_occurred_id",
)

INDEXES: list[IndexSpec] = [
    IndexSpec(INTERACTIONS, (INTERACTIONS_BY_CUSTOMER,)),
    # access control: the customers a caller's OWN/TEAM scope reaches (ticket lists)
    IndexSpec(
        CUSTOMERS,
        (
            IndexModel([("ownerId", ASCENDING)], name="owner"),
            IndexModel([("team", ASCENDING)], name="team"),
        ),
    ),
    IndexSpec(
        HISTORY,
        (IndexModel([("interactionId", ASCENDING), ("version", ASCENDING)], name="interaction"),),
    ),
    # idempotency_guards are only ever read by _id.
]


def interaction_to_doc(interaction: Interaction) -> Document:
    return {
        "_id": interaction.id,
        "customerId": interaction.customer_id,
        "channel": str(interaction.channel),
        "direction": str(interaction.direction),
        "subject": interaction.subject,
        "content": interaction.content,
        "occurredAt": interaction.occurred_at,
        "durationSeconds": interaction.duration_seconds,
        "loggedBy": interaction.logged_by,
        "createdAt": interaction.created_at,
        "version": interaction.version,
        "updatedAt": interaction.updated_at,
        **record_details.to_doc(interaction.details),
    }


def interaction_from_doc(doc: Document) -> Interaction:
    return Interaction(
        id=str(doc["_id"]),
        customer_id=doc["customerId"],
        channel=Channel(doc["channel"]),
        direction=Direction(doc["direction"]),
        subject=doc.get("subject"),
        content=doc["content"],
        occurred_at=doc["occurredAt"],
        duration_seconds=doc.get("durationSeconds"),
        logged_by=doc["loggedBy"],
        created_at=doc["createdAt"],
        version=int(doc.get("version") or 1),
        updated_at=doc.get("updatedAt"),
        details=record_details.from_doc(doc),
    )


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
        lifecycle=doc.get("lifecycle", "ACTIVE"),
        merged_into=doc.get("mergedInto"),
    )


class CustomerProjection:
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
        if lifecycle == "ERASED":
            fields["displayName"] = ""
        if stored is None:
            doc: dict[str, Any] = {"_id": customer_id, "displayName": "", "ownerId": None}
            doc.update({"team": None, "stage": "", "version": 0, "updatedAt": at, **fields})
            await self._collection.insert_one(doc, session=session)
        else:
            await self._collection.update_one(
                {"_id": customer_id}, {"$set": fields}, session=session
            )


def _versions(version: int) -> list[int | None]:
    """Interactions logged before versioning have no version field: they are version 1."""
    return [version, None] if version == 1 else [version]


class InteractionRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = db[INTERACTIONS]
        self._history = db[HISTORY]

    async def add(self, interaction: Interaction, session: Session) -> None:
        await self._collection.insert_one(interaction_to_doc(interaction), session=session)

    async def get(self, interaction_id: str, session: Session | None = None) -> Interaction | None:
        doc = await self._collection.find_one({"_id": interaction_id}, session=session)
        return interaction_from_doc(doc) if doc is not None else None

    async def replace(
        self, interaction: Interaction, previous_version: int, session: Session
    ) -> None:
        result = await self._collection.replace_one(
            {"_id": interaction.id, "version": {"$in": _versions(previous_version)}},
            interaction_to_doc(interaction),
            session=session,
        )
        if result.matched_count != 1:
            raise Conflict("The interaction was changed meanwhile", conflicting_id=interaction.id)

    async def delete(self, interaction: Interaction, session: Session) -> None:
        result = await self._collection.delete_one(
            {"_id": interaction.id, "version": {"$in": _versions(interaction.version)}},
            session=session,
        )
        if result.deleted_count != 1:
            raise Conflict("The interaction was changed meanwhile", conflicting_id=interaction.id)

    async def record(
        self, before: Interaction, action: str, actor: str, at: datetime, session: Session
    ) -> None:
        """Keep the state before an edit or deletion."""
        await self._history.insert_one(
            {
                "_id": f"{before.id}:{before.version:06d}",
                "interactionId": before.id,
                "customerId": before.customer_id,
                "version": before.version,
                "action": action,
                "actorId": actor,
                "at": at,
                "before": interaction_to_doc(before),
            },
            session=session,
        )

    async def history(self, interaction_id: str) -> list[Document]:
        return (
            await self._history.find({"interactionId": interaction_id})
            .sort("version", ASCENDING)
            .to_list()
        )

    async def erase_content(self, customer_id: str, session: Session) -> None:
        await self._history.delete_many({"customerId": customer_id}, session=session)
        await self._collection.update_many(
            {"customerId": customer_id},
            {
                "$set": {
                    "content": "",
                    "subject": None,
                    "erased": True,
                    # contact persons' names, the next step and attachments are personal too
                    "participants": [],
                    "nextStep": None,
                    "attachments": [],
                }
            },
            session=session,
        )
