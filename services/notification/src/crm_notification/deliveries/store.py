"""MongoDB adapter of the delivery log and the durable scheduler queue.

A due delivery is claimed with one atomic `findOneAndUpdate` that sets a lease (owner and
expiry: `crm_kit.jobs.LeasedItems` on `lease_owner` / `lease_until`); only the lease owner
may record the outcome. Several replicas therefore never send the same delivery at once, and
a crashed replica's claims expire and are picked up again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.jobs import LeasedItems, LeaseFields
from crm_kit.mongo import Document, IndexSpec, Session
from crm_notification.channels.model import Channel
from crm_notification.deliveries.model import (
    DUE_STATUSES,
    Attempt,
    Delivery,
    DeliveryStatus,
    LogFilter,
)
from crm_notification.shared.inserts import insert_absent

DELIVERIES = "deliveries"
LEASE = LeaseFields(owner="lease_owner", until="lease_until", attempts=None)

DELIVERY_INDEXES: list[IndexSpec] = [
    IndexSpec(
        DELIVERIES,
        (
            # the scheduler: due work, oldest first
            IndexModel([("status", ASCENDING), ("next_attempt_at", ASCENDING)], name="due"),
            # the ADMIN delivery log, newest first, optionally by statuses / channels / target /
            # creation time
            IndexModel([("created_at", DESCENDING), ("_id", DESCENDING)], name="newest"),
            IndexModel([("target", ASCENDING), ("created_at", DESCENDING)], name="target_newest"),
        ),
    )
]


def to_document(d: Delivery) -> Document:
    return {
        "_id": d.id,
        "channel": str(d.channel),
        "target": d.target,
        "event_id": d.event_id,
        "event_type": d.event_type,
        "customer_id": d.customer_id,
        "created_at": d.created_at,
        "next_attempt_at": d.next_attempt_at,
        "notification_id": d.notification_id,
        "notification_type": d.notification_type,
        "address": d.address,
        "title": d.title,
        "body": d.body,
        "payload": d.payload,
        "status": str(d.status),
        "attempts": d.attempts,
        "max_attempts": d.max_attempts,
        "last_error": d.last_error,
        "history": [
            {"at": a.at, "duration_ms": a.duration_ms, "ok": a.ok, "error": a.error}
            for a in d.history
        ],
        "sent_at": d.sent_at,
        "deferred_reason": d.deferred_reason,
        "replay_of": d.replay_of,
    }


def from_document(doc: Document) -> Delivery:
    return Delivery(
        id=str(doc["_id"]),
        channel=Channel(doc["channel"]),
        target=str(doc["target"]),
        event_id=str(doc["event_id"]),
        event_type=str(doc["event_type"]),
        customer_id=doc.get("customer_id"),
        created_at=doc["created_at"],
        next_attempt_at=doc["next_attempt_at"],
        notification_id=doc.get("notification_id"),
        notification_type=str(doc.get("notification_type") or ""),
        address=doc.get("address"),
        title=str(doc.get("title") or ""),
        body=str(doc.get("body") or ""),
        payload=dict(doc.get("payload") or {}),
        status=DeliveryStatus(doc["status"]),
        attempts=int(doc.get("attempts") or 0),
        max_attempts=int(doc.get("max_attempts") or 1),
        last_error=doc.get("last_error"),
        history=tuple(
            Attempt(a["at"], int(a["duration_ms"]), bool(a["ok"]), a.get("error"))
            for a in doc.get("history") or []
        ),
        sent_at=doc.get("sent_at"),
        deferred_reason=doc.get("deferred_reason"),
        replay_of=doc.get("replay_of"),
    )


def log_query(where: LogFilter) -> Document:
    """The MongoDB condition of a delivery-log filter (values typed, never operators)."""
    query: Document = {}
    if where.statuses:
        query["status"] = {"$in": [str(s) for s in where.statuses]}
    if where.channels:
        query["channel"] = {"$in": [str(c) for c in where.channels]}
    if where.target is not None:
        query["target"] = where.target
    if where.created:
        query["created_at"] = dict(where.created)
    return query


@dataclass(frozen=True, slots=True)
class Claim:
    delivery: Delivery
    owner: str


class DeliveryRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._c = db[DELIVERIES]
        self._leased = LeasedItems(self._c, fields=LEASE, order="next_attempt_at")

    async def add(self, delivery: Delivery, session: Session | None = None) -> bool:
        """Insert unless it exists (ids derive from the event): True when inserted."""
        return bool(await self.add_many([delivery], session))

    async def add_many(
        self, deliveries: Sequence[Delivery], session: Session | None = None
    ) -> set[str]:
        """Insert those not stored yet (see shared/inserts.py); the ids inserted."""
        return await insert_absent(self._c, [to_document(d) for d in deliveries], session)

    async def erase_customer(self, customer_id: str, keep_event: str, session: Session) -> int:
        """Right to erasure: rendered text and (for finished deliveries) the sent payload of
        every delivery about the customer go; status, attempts and timings stay. Deliveries of
        `keep_event` (the erasure event itself, for webhook subscribers) are kept."""
        about = {"customer_id": customer_id, "event_id": {"$ne": keep_event}}
        result = await self._c.update_many(
            about, {"$set": {"title": "[erased]", "body": ""}}, session=session
        )
        await self._c.update_many(
            {**about, "status": {"$ne": "PENDING"}}, {"$set": {"payload": None}}, session=session
        )
        return int(result.modified_count)

    async def get(self, id: str, session: Session | None = None) -> Delivery | None:
        doc = await self._c.find_one({"_id": id}, session=session)
        return from_document(doc) if doc else None

    async def claim(self, owner: str, now: datetime, lease: timedelta) -> Claim | None:
        """Atomically take the oldest due delivery whose lease is free or expired."""
        due = {
            "status": {"$in": [str(s) for s in DUE_STATUSES]},
            "next_attempt_at": {"$lte": now},
        }
        doc = await self._leased.claim(due, owner, now, lease)
        return Claim(from_document(doc), owner) if doc else None

    async def finish(self, claim: Claim, outcome: Delivery, session: Session) -> bool:
        """Record the outcome if the lease is still ours; False when another replica took it."""
        doc = to_document(outcome)
        doc.pop("_id")
        return await self._leased.finish(claim.delivery.id, claim.owner, doc, session)

    async def kill_pending_of(self, target: str, reason: str, session: Session) -> int:
        result = await self._c.update_many(
            {"target": target, "status": {"$in": [str(s) for s in DUE_STATUSES]}},
            {"$set": {"status": str(DeliveryStatus.DEAD), "last_error": reason}},
            session=session,
        )
        return result.modified_count

    async def page(
        self, where: LogFilter, *, first: int, after: tuple[datetime, str] | None
    ) -> tuple[list[Delivery], bool]:
        query = log_query(where)
        if after is not None:
            at, id = after
            older = [{"created_at": {"$lt": at}}, {"created_at": at, "_id": {"$lt": id}}]
            query = {"$and": [query, {"$or": older}]} if query else {"$or": older}
        docs = (
            await self._c.find(query)
            .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
            .limit(first + 1)
            .to_list()
        )
        return [from_document(d) for d in docs[:first]], len(docs) > first

    async def count(self, where: LogFilter) -> int:
        return await self._c.count_documents(log_query(where))

    async def by_ids(self, ids: Sequence[str]) -> list[Delivery]:
        return [from_document(d) async for d in self._c.find({"_id": {"$in": list(ids)}})]
