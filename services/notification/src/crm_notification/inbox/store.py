"""MongoDB adapter of notifications. Every query below is served by one of its indexes.

Uniqueness comes from `_id` (derived from the event id), never from a unique secondary index.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.mongo import Document, IndexSpec, Session
from crm_kit.paging import Keyset
from crm_notification.channels.model import Channel
from crm_notification.inbox.model import (
    InboxFilter,
    Language,
    Notification,
    NotificationBatch,
    NotificationType,
    Page,
)
from crm_notification.shared.clock import to_millis
from crm_notification.shared.inserts import insert_absent

NOTIFICATIONS = "notifications"
NEWEST_FIRST: list[tuple[str, int]] = [("created_at", DESCENDING), ("_id", DESCENDING)]

NOTIFICATION_INDEXES: list[IndexSpec] = [
    IndexSpec(
        NOTIFICATIONS,
        (
            # myNotifications (its `types` and `created` filters too), totalCount
            IndexModel([("recipient_id", ASCENDING), *NEWEST_FIRST], name="recipient_newest"),
            # myNotifications(filter: {unreadOnly: true}), unreadCount, markNotificationsRead(all)
            IndexModel(
                [("recipient_id", ASCENDING), ("read", ASCENDING), *NEWEST_FIRST],
                name="recipient_read_newest",
            ),
            # Customer.notifications for ADMIN/MANAGER
            IndexModel([("customer_id", ASCENDING), *NEWEST_FIRST], name="customer_newest"),
            # Customer.notifications for everyone else (their own only)
            IndexModel(
                [("customer_id", ASCENDING), ("recipient_id", ASCENDING), *NEWEST_FIRST],
                name="customer_recipient_newest",
            ),
        ),
    )
]


ERASED_TEXT = "[erased]"


def to_document(n: Notification) -> Document:
    return {
        "_id": n.id,
        "type": str(n.type),
        "channel": str(n.channel),
        "recipient_id": n.recipient_id,
        "customer_id": n.customer_id,
        "title": n.title,
        "body": n.body,
        "language": str(n.language),
        "source_event_id": n.source_event_id,
        "created_at": n.created_at,
        "read": n.read,
        "read_at": n.read_at,
        "archived": n.archived,
        "batch": _batch_document(n.batch),
        "link": n.link,
    }


def _batch_document(batch: NotificationBatch | None) -> Document | None:
    if batch is None:
        return None
    return {"kind": batch.kind, "id": batch.id, "count": batch.count}


def _batch_of(doc: Document | None) -> NotificationBatch | None:
    if not doc:
        return None
    return NotificationBatch(str(doc["kind"]), str(doc["id"]), int(doc["count"]))


def from_document(doc: Document) -> Notification:
    return Notification(
        id=str(doc["_id"]),
        type=NotificationType(doc["type"]),
        channel=Channel(doc["channel"]),
        recipient_id=str(doc["recipient_id"]),
        customer_id=doc.get("customer_id"),
        title=str(doc["title"]),
        body=str(doc["body"]),
        language=Language(doc.get("language") or Language.ZH_CN),
        source_event_id=str(doc.get("source_event_id") or ""),
        created_at=doc["created_at"],
        read=bool(doc.get("read")),
        read_at=doc.get("read_at"),
        archived=bool(doc.get("archived")),
        batch=_batch_of(doc.get("batch")),
        link=doc.get("link"),
    )


def _after(position: Keyset | None) -> Document:
    """Strictly older than `position` in (created_at desc, _id desc) order."""
    if position is None:
        return {}
    at = to_millis(position.at)
    return {
        "$or": [
            {"created_at": {"$lt": at}},
            {"created_at": at, "_id": {"$lt": position.id}},
        ]
    }


def _and(*filters: Document) -> Document:
    parts = [f for f in filters if f]
    if not parts:
        return {}
    return parts[0] if len(parts) == 1 else {"$and": parts}


class NotificationRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._c: AsyncCollection[Document] = db[NOTIFICATIONS]

    async def add(self, notification: Notification, session: Session) -> bool:
        """Insert unless a notification with the same id exists; True when inserted."""
        return bool(await self.add_many([notification], session))

    async def add_many(self, notifications: Sequence[Notification], session: Session) -> set[str]:
        """Insert those not stored yet (see shared/inserts.py); the ids inserted. (Two concurrent
        first deliveries of one event are already kept apart by the consumer's inbox record.)"""
        return await insert_absent(self._c, [to_document(n) for n in notifications], session)

    async def erase_customer(self, customer_id: str, session: Session) -> int:
        """Right to erasure: notifications about the customer keep ids, times and read state;
        their text (which names the customer) is removed."""
        result = await self._c.update_many(
            {"customer_id": customer_id},
            {"$set": {"title": ERASED_TEXT, "body": ""}},
            session=session,
        )
        return int(result.modified_count)

    async def get(self, id: str, session: Session | None = None) -> Notification | None:
        doc = await self._c.find_one({"_id": id}, session=session)
        return from_document(doc) if doc else None

    async def refold(self, n: Notification, at: datetime, session: Session) -> None:
        """A collapsed notice after one more change of its batch: its count, texts, link."""
        await self._c.update_one(
            {"_id": n.id},
            {
                "$set": {
                    "title": n.title,
                    "body": n.body,
                    "batch": _batch_document(n.batch),
                    "link": n.link,
                    "updated_at": to_millis(at),
                }
            },
            session=session,
        )

    # -- one recipient's inbox -------------------------------------------------------------

    @staticmethod
    def _inbox(recipient_id: str, where: InboxFilter) -> Document:
        """The inbox proper (documents without `archived` count as not archived) or the
        archive, narrowed by the rest of `where` (served by `recipient_newest`, or
        `recipient_read_newest` for unread ones)."""
        query: Document = {"recipient_id": recipient_id}
        if where.unread_only:
            query["read"] = False
        query["archived"] = True if where.archived else {"$ne": True}
        if where.types:
            query["type"] = {"$in": [str(t) for t in where.types]}
        if where.created:
            query["created_at"] = dict(where.created)
        return query

    async def inbox_page(
        self, recipient_id: str, where: InboxFilter, *, first: int, after: Keyset | None
    ) -> Page:
        base = self._inbox(recipient_id, where)
        if first == 0:
            return Page([], has_next=await self._exists(base, after))
        query = _and(base, _after(after))
        docs = await self._c.find(query).sort(NEWEST_FIRST).limit(first + 1).to_list()
        return Page([from_document(d) for d in docs[:first]], has_next=len(docs) > first)

    async def inbox_count(self, recipient_id: str, where: InboxFilter) -> int:
        return await self._c.count_documents(self._inbox(recipient_id, where))

    async def archive(self, recipient_id: str, ids: Sequence[str], at: datetime) -> int:
        """Move the recipient's notifications in `ids` to the archive (read, out of the inbox)."""
        if not ids:
            return 0
        result = await self._c.update_many(
            {"recipient_id": recipient_id, "_id": {"$in": list(ids)}, "archived": {"$ne": True}},
            {"$set": {"archived": True, "archived_at": to_millis(at), "read": True}},
        )
        return result.modified_count

    async def mark_read(self, recipient_id: str, ids: Sequence[str] | None, at: datetime) -> int:
        """Mark the recipient's unread notifications read (all of them when `ids` is None)."""
        query: Document = {"recipient_id": recipient_id, "read": False}
        if ids is not None:
            if not ids:
                return 0
            query["_id"] = {"$in": list(ids)}
        result = await self._c.update_many(
            query, {"$set": {"read": True, "read_at": to_millis(at)}}
        )
        return result.modified_count

    async def _exists(self, base: Document, after: Keyset | None) -> bool:
        return await self._c.find_one(_and(base, _after(after)), {"_id": 1}) is not None

    # -- notifications about customers (one query for many customers) ---------------------

    @staticmethod
    def _about(customer_ids: Sequence[str], recipient_id: str | None) -> Document:
        query: Document = {"customer_id": {"$in": list(customer_ids)}}
        if recipient_id is not None:
            query["recipient_id"] = recipient_id
        return query

    async def pages_about_customers(
        self,
        customer_ids: Sequence[str],
        *,
        recipient_id: str | None,
        first: int,
        after: Keyset | None,
    ) -> dict[str, Page]:
        """The newest `first` notifications about each customer, in one aggregation.

        `recipient_id=None` means every recipient's (callers decide who may see that).
        """
        if not customer_ids:
            return {}
        pipeline: list[Document] = [
            {"$match": _and(self._about(customer_ids, recipient_id), _after(after))},
            {
                "$group": {
                    "_id": "$customer_id",
                    "items": {
                        "$topN": {
                            "n": first + 1,
                            "sortBy": {"created_at": -1, "_id": -1},
                            "output": "$$ROOT",
                        }
                    },
                }
            },
        ]
        found: dict[str, Page] = {}
        cursor = await self._c.aggregate(pipeline)
        async for group in cursor:
            docs: list[Document] = group["items"]
            found[str(group["_id"])] = Page(
                [from_document(d) for d in docs[:first]], has_next=len(docs) > first
            )
        return {cid: found.get(cid, Page([], has_next=False)) for cid in customer_ids}

    async def counts_about_customers(
        self, customer_ids: Sequence[str], *, recipient_id: str | None, unread_only: bool
    ) -> dict[str, int]:
        if not customer_ids:
            return {}
        match = self._about(customer_ids, recipient_id)
        if unread_only:
            match["read"] = False
        pipeline: list[Document] = [
            {"$match": match},
            {"$group": {"_id": "$customer_id", "n": {"$sum": 1}}},
        ]
        counts: dict[str, int] = {}
        cursor = await self._c.aggregate(pipeline)
        async for group in cursor:
            counts[str(group["_id"])] = int(group["n"])
        return {cid: counts.get(cid, 0) for cid in customer_ids}
