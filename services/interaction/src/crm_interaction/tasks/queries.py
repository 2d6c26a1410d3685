"""Read side of follow-up tasks: one task, filtered keyset pages in a chosen order
(`TaskOrderField`, see `shared.listing`), and every customer's open tasks or pages of tasks
for an `_entities` batch in one aggregate (see `shared.paging`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from crm_interaction.shared import paging
from crm_interaction.shared.listing import Bounds, KeysetOrder, Page, Position, find_page, page_of
from crm_interaction.tasks.model import Task, TaskStatus
from crm_interaction.tasks.store import TASKS, task_from_doc
from crm_kit.listing import OrderDirection
from crm_kit.mongo import Document

BATCH_LIMIT = 200  # open tasks fetched per customer in an `_entities` batch


class TaskOrderField(StrEnum):
    """What a task list is ordered by (then by the task's id, in the same direction)."""

    DUE_AT = "DUE_AT"
    CREATED_AT = "CREATED_AT"


_STORED = {TaskOrderField.DUE_AT: "dueAt", TaskOrderField.CREATED_AT: "createdAt"}


def task_order(field: TaskOrderField, direction: OrderDirection) -> KeysetOrder:
    """The keyset order of `orderBy: {field, direction}`. Every task has a due time (createTask
    requires one), so (dueAt, id) is a total order the index serves."""
    return KeysetOrder.of("TASK", field, direction, _STORED[field])


@dataclass(frozen=True, slots=True)
class TaskFilter:
    """Which tasks: in one of `statuses` (any when empty), due within `due`, and assigned to
    `assignee_id` when given (myTasks: the caller)."""

    statuses: tuple[TaskStatus, ...] = ()
    due: Bounds = ()
    assignee_id: str | None = None

    def query(self) -> dict[str, Any]:
        query: dict[str, Any] = {}
        if self.assignee_id is not None:
            query["assigneeId"] = self.assignee_id
        if self.statuses:
            query["status"] = {"$in": [str(s) for s in self.statuses]}
        if self.due:
            query["dueAt"] = dict(self.due)
        return query


class TaskQueries:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = db[TASKS]

    async def get(self, task_id: str) -> Task | None:
        doc = await self._collection.find_one({"_id": task_id})
        return task_from_doc(doc) if doc is not None else None

    async def page(
        self, where: TaskFilter, order: KeysetOrder, first: int, after: Position | None
    ) -> Page[Task]:
        """`first` tasks of `where` after `after`, in `order`."""
        docs, more = await find_page(self._collection, where.query(), order, first, after)
        return page_of(docs, more, order, task_from_doc)

    async def count(self, where: TaskFilter) -> int:
        return await self._collection.count_documents(where.query())

    async def open_for_customers(self, customer_ids: Sequence[str]) -> dict[str, list[Task]]:
        """Every customer's open tasks (up to BATCH_LIMIT each), soonest due first."""
        found = await paging.top_per_customer(
            self._collection,
            customer_ids,
            n=BATCH_LIMIT,
            sort={"dueAt": 1, "_id": 1},
            match={"status": str(TaskStatus.OPEN)},
        )
        return {c: [task_from_doc(d) for d in docs] for c, docs in found.items()}

    async def pages(
        self,
        customer_ids: Sequence[str],
        where: TaskFilter,
        order: KeysetOrder,
        first: int,
        after: Position | None,
    ) -> dict[str, Page[Task]]:
        """Each customer's page of the tasks of `where`, in `order`, in one aggregate."""
        found = await paging.page_per_customer(
            self._collection,
            customer_ids,
            order=order,
            first=first,
            after=after,
            match=where.query() or None,
        )
        return {c: page_of(docs, more, order, task_from_doc) for c, (docs, more) in found.items()}

    async def counts(self, customer_ids: Sequence[str], where: TaskFilter) -> dict[str, int]:
        """How many tasks of `where` each customer has, in one aggregate."""
        return await paging.count_per_customer(self._collection, customer_ids, where.query())
