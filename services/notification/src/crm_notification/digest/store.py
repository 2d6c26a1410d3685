"""MongoDB adapter of digest items (the notices waiting for a user's daily digest mail)."""

from __future__ import annotations

from collections.abc import Sequence

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.mongo import Document, IndexSpec, Session
from crm_notification.digest.model import DigestItem
from crm_notification.shared.inserts import insert_absent

DIGEST_ITEMS = "digest_items"

DIGEST_INDEXES: list[IndexSpec] = [
    IndexSpec(
        DIGEST_ITEMS,
        (
            IndexModel([("digest_id", ASCENDING), ("at", ASCENDING)], name="digest_at"),
            IndexModel([("customer_id", ASCENDING)], name="customer"),
        ),
    )
]


def to_document(item: DigestItem) -> Document:
    return {
        "_id": item.id,
        "digest_id": item.digest_id,
        "user_id": item.user_id,
        "notification_type": item.notification_type,
        "customer_id": item.customer_id,
        "event_id": item.event_id,
        "title": item.title,
        "body": item.body,
        "at": item.at,
    }


def from_document(doc: Document) -> DigestItem:
    return DigestItem(
        id=str(doc["_id"]),
        digest_id=str(doc["digest_id"]),
        user_id=str(doc["user_id"]),
        notification_type=str(doc["notification_type"]),
        customer_id=doc.get("customer_id"),
        event_id=str(doc["event_id"]),
        title=str(doc.get("title") or ""),
        body=str(doc.get("body") or ""),
        at=doc["at"],
    )


class DigestRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._c = db[DIGEST_ITEMS]

    async def add(self, item: DigestItem, session: Session | None = None) -> bool:
        """Insert unless present: True when inserted."""
        return bool(await self.add_many([item], session))

    async def add_many(
        self, items: Sequence[DigestItem], session: Session | None = None
    ) -> set[str]:
        """Insert those not stored yet (see shared/inserts.py); the ids inserted."""
        return await insert_absent(self._c, [to_document(i) for i in items], session)

    async def of_digest(self, digest_id: str) -> list[DigestItem]:
        docs = await self._c.find({"digest_id": digest_id}).sort("at", ASCENDING).to_list()
        return [from_document(d) for d in docs]

    async def erase_customer(self, customer_id: str, session: Session) -> int:
        result = await self._c.update_many(
            {"customer_id": customer_id},
            {"$set": {"title": "[erased]", "body": ""}},
            session=session,
        )
        return result.modified_count
