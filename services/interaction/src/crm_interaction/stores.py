"""MongoDB adapters for tasks, purchases and the timeline, with their indexes."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from crm_interaction.purchases.model import LineItem, Purchase, PurchaseStatus
from crm_interaction.shared import paging
from crm_interaction.shared.paging import Keyset
from crm_interaction.tasks.model import Recurrence, Task, TaskStatus, Urgency
from crm_interaction.timeline.model import TimelineEntry, TimelineKind
from crm_kit.errors import Conflict
from crm_kit.mongo import Document, IndexSpec, Session

TASKS = "tasks"
PURCHASES = "purchases"
TIMELINE = "timeline"
NEWEST_FIRST = paging.PageOrder("at")  # the timeline's order

STORE_INDEXES = [
    IndexSpec(
        TASKS,
        (
            IndexModel(
                [("customerId", ASCENDING), ("status", ASCENDING), ("dueAt", ASCENDING)],
                name="customer_status_due",
            ),
            IndexModel(
                [("assigneeId", ASCENDING), ("status", ASCENDING), ("dueAt", ASCENDING)],
                name="assignee_status_due",
            ),
        ),
    ),
    IndexSpec(
        PURCHASES,
        (
            IndexModel(
                [("customerId", ASCENDING), ("purchasedAt", DESCENDING)],
                name="customer_purchased",
            ),
        ),
    ),
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


def task_to_doc(t: Task) -> Document:
    return {
        "_id": t.id,
        "customerId": t.customer_id,
        "title": t.title,
        "notes": t.notes,
        "assigneeId": t.assignee_id,
        "dueAt": t.due_at,
        "urgency": str(t.urgency),
        "reminderOffsets": list(t.reminder_offsets),
        "status": str(t.status),
        "createdBy": t.created_by,
        "createdAt": t.created_at,
        "updatedAt": t.updated_at,
        "version": t.version,
        "completedAt": t.completed_at,
        "recurrence": str(t.recurrence),
    }


def task_from_doc(d: Document) -> Task:
    return Task(
        id=str(d["_id"]),
        customer_id=d["customerId"],
        title=d["title"],
        notes=d.get("notes"),
        assignee_id=d["assigneeId"],
        due_at=d["dueAt"],
        urgency=Urgency(d["urgency"]),
        reminder_offsets=tuple(int(o) for o in d.get("reminderOffsets") or ()),
        status=TaskStatus(d["status"]),
        created_by=d["createdBy"],
        created_at=d["createdAt"],
        updated_at=d["updatedAt"],
        version=int(d["version"]),
        completed_at=d.get("completedAt"),
        recurrence=Recurrence(d.get("recurrence") or "NONE"),
    )


def purchase_to_doc(p: Purchase) -> Document:
    return {
        "_id": p.id,
        "customerId": p.customer_id,
        "orderNumber": p.order_number,
        "items": [
            {"sku": i.sku, "name": i.name, "quantity": i.quantity, "unitPrice": str(i.unit_price)}
            for i in p.items
        ],
        "amount": str(p.amount),
        "amountMinor": p.amount_minor,
        "currency": p.currency,
        "status": str(p.status),
        "purchasedAt": p.purchased_at,
        "source": p.source,
        "externalId": p.external_id,
        "recordedBy": p.recorded_by,
        "recordedAt": p.recorded_at,
        "version": p.version,
    }


def purchase_from_doc(d: Document) -> Purchase:
    return Purchase(
        id=str(d["_id"]),
        customer_id=d["customerId"],
        order_number=d["orderNumber"],
        items=tuple(
            LineItem(i["sku"], i.get("name", ""), int(i["quantity"]), Decimal(i["unitPrice"]))
            for i in d.get("items") or ()
        ),
        amount=Decimal(d["amount"]),
        currency=d["currency"],
        status=PurchaseStatus(d["status"]),
        purchased_at=d["purchasedAt"],
        source=d["source"],
        external_id=d["externalId"],
        recorded_by=d["recordedBy"],
        recorded_at=d["recordedAt"],
        version=int(d["version"]),
    )


def entry_to_doc(e: TimelineEntry) -> Document:
    return {
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
    )


class TaskRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = db[TASKS]

    async def add(self, task: Task, session: Session) -> None:
        await self._collection.insert_one(task_to_doc(task), session=session)

    async def get(self, task_id: str, session: Session | None = None) -> Task | None:
        doc = await self._collection.find_one({"_id": task_id}, session=session)
        return task_from_doc(doc) if doc is not None else None

    async def save(self, task: Task, previous_version: int, session: Session) -> None:
        result = await self._collection.replace_one(
            {"_id": task.id, "version": previous_version}, task_to_doc(task), session=session
        )
        if result.matched_count != 1:
            raise Conflict("The task was changed meanwhile", conflicting_id=task.id)

    async def for_assignee(
        self, assignee_id: str, statuses: Sequence[str], limit: int
    ) -> list[Task]:
        docs = (
            await self._collection.find(
                {"assigneeId": assignee_id, "status": {"$in": list(statuses)}}
            )
            .sort([("dueAt", ASCENDING)])
            .limit(limit)
            .to_list()
        )
        return [task_from_doc(d) for d in docs]

    async def count_for_assignee(self, assignee_id: str, statuses: Sequence[str]) -> int:
        return await self._collection.count_documents(
            {"assigneeId": assignee_id, "status": {"$in": list(statuses)}}
        )


class PurchaseRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = db[PURCHASES]

    async def get(self, purchase_id: str, session: Session | None = None) -> Purchase | None:
        doc = await self._collection.find_one({"_id": purchase_id}, session=session)
        return purchase_from_doc(doc) if doc is not None else None

    async def put(self, purchase: Purchase, session: Session) -> None:
        await self._collection.replace_one(
            {"_id": purchase.id}, purchase_to_doc(purchase), upsert=True, session=session
        )

    async def latest(self, customer_ids: Sequence[str], limit: int) -> dict[str, list[Purchase]]:
        """Each customer's newest `limit` purchases, in one aggregate."""
        found = await paging.top_per_customer(
            self._collection, customer_ids, n=limit, sort={"purchasedAt": -1, "_id": -1}
        )
        return {c: [purchase_from_doc(d) for d in docs] for c, docs in found.items()}


class TimelineRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = db[TIMELINE]

    async def put(self, entry: TimelineEntry, session: Session) -> None:
        await self._collection.replace_one(
            {"_id": entry.id}, entry_to_doc(entry), upsert=True, session=session
        )

    async def remove(self, entry_id: str, session: Session) -> None:
        await self._collection.delete_one({"_id": entry_id}, session=session)

    async def page(
        self,
        customer_id: str,
        first: int,
        after: Keyset | None,
        kinds: Sequence[TimelineKind] | None,
    ) -> tuple[list[TimelineEntry], bool]:
        """Newest first; one query served by (customerId[, kind], at desc, _id desc)."""
        query: dict[str, Any] = {"customerId": customer_id}
        if kinds:
            query["kind"] = {"$in": [str(k) for k in kinds]}
        if after is not None:
            query |= NEWEST_FIRST.after(after)
        docs = (
            await self._collection.find(query).sort(NEWEST_FIRST.sort()).limit(first + 1).to_list()
        )
        return [entry_from_doc(d) for d in docs[:first]], len(docs) > first

    async def count(self, customer_id: str, kinds: Sequence[TimelineKind] | None) -> int:
        query: dict[str, Any] = {"customerId": customer_id}
        if kinds:
            query["kind"] = {"$in": [str(k) for k in kinds]}
        return await self._collection.count_documents(query)

    async def pages(
        self,
        customer_ids: Sequence[str],
        first: int,
        after: Keyset | None,
        kinds: Sequence[TimelineKind] | None,
    ) -> dict[str, tuple[list[TimelineEntry], bool]]:
        """`page` for many customers in one aggregate (see shared.paging)."""
        found = await paging.page_per_customer(
            self._collection,
            customer_ids,
            order=NEWEST_FIRST,
            first=first,
            after=after,
            match={"kind": {"$in": [str(k) for k in kinds]}} if kinds else None,
        )
        return {c: ([entry_from_doc(d) for d in docs], more) for c, (docs, more) in found.items()}

    async def counts(
        self, customer_ids: Sequence[str], kinds: Sequence[TimelineKind] | None
    ) -> dict[str, int]:
        match = {"kind": {"$in": [str(k) for k in kinds]}} if kinds else None
        return await paging.count_per_customer(self._collection, customer_ids, match)
