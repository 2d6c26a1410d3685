"""MongoDB adapter of communication records and their history: collections, indexes and
document mapping.

Uniqueness is enforced through `_id` only (guard documents), never through unique
secondary indexes: that is what shards well in production and stays cheap on mongoeco.
"""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from crm_interaction.customers.model import CustomerMove
from crm_interaction.customers.store import refile, unfile
from crm_interaction.interactions import details as record_details
from crm_interaction.interactions.model import Channel, Direction, Interaction, Revision
from crm_kit.errors import Conflict
from crm_kit.mongo import Document, IndexSpec, Session

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


def revision_from_doc(doc: Document) -> Revision:
    before = doc["before"]
    return Revision(
        version=int(doc["version"]),
        action=str(doc["action"]),
        actor_id=str(doc["actorId"]),
        at=doc["at"],
        subject=before.get("subject"),
        content=str(before.get("content", "")),
        occurred_at=before["occurredAt"],
        details=record_details.from_doc(before),
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

    async def move_customer(self, move: CustomerMove, session: Session) -> None:
        for collection in (self._collection, self._history):
            await refile(collection, move, session)

    async def move_back(self, move: CustomerMove, session: Session) -> None:
        for collection in (self._collection, self._history):
            await unfile(collection, move, session)

    async def erase_customer(self, customer_id: str, session: Session) -> None:
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
