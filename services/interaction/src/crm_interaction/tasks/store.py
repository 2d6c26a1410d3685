"""MongoDB adapter of follow-up tasks: collection, indexes and document mapping."""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from crm_interaction.customers.model import ERASED_TEXT, CustomerMove
from crm_interaction.customers.store import refile, unfile
from crm_interaction.tasks.model import Recurrence, Task, TaskStatus, Urgency
from crm_kit.errors import Conflict
from crm_kit.mongo import Document, IndexSpec, Session

TASKS = "tasks"

INDEXES = [
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

    async def move_customer(self, move: CustomerMove, session: Session) -> None:
        await refile(self._collection, move, session)

    async def move_back(self, move: CustomerMove, session: Session) -> None:
        await unfile(self._collection, move, session)

    async def erase_customer(self, customer_id: str, session: Session) -> None:
        await self._collection.update_many(
            {"customerId": customer_id},
            {"$set": {"title": ERASED_TEXT, "notes": None}},
            session=session,
        )
