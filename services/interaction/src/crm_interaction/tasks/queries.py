"""Read side of follow-up tasks: one task, a caller's tasks soonest due first (keyset pages),
and every customer's open tasks or pages of tasks for an `_entities` batch in one aggregate
(see `shared.paging`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from crm_interaction.shared import paging
from crm_interaction.tasks.model import Task, TaskStatus
from crm_interaction.tasks.store import TASKS, task_from_doc
from crm_kit.mongo import Document
from crm_kit.paging import Keyset

BATCH_LIMIT = 200  # open tasks fetched per customer in an `_entities` batch
NEWEST_DUE_FIRST = paging.PageOrder("dueAt")  # Customer.tasks


def _statuses(statuses: Sequence[str]) -> dict[str, Any]:
    return {"status": {"$in": list(statuses)}} if statuses else {}


class TaskQueries:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = db[TASKS]

    async def get(self, task_id: str) -> Task | None:
        doc = await self._collection.find_one({"_id": task_id})
        return task_from_doc(doc) if doc is not None else None

    async def for_assignee(
        self, assignee_id: str, statuses: Sequence[str], limit: int, after: Keyset | None = None
    ) -> list[Task]:
        """Soonest due first, (dueAt, _id) ascending; `after` starts past that position."""
        query: dict[str, Any] = {"assigneeId": assignee_id, "status": {"$in": list(statuses)}}
        if after is not None:
            query["$or"] = [
                {"dueAt": {"$gt": after.at}},
                {"dueAt": after.at, "_id": {"$gt": after.id}},
            ]
        docs = (
            await self._collection.find(query)
            .sort([("dueAt", ASCENDING), ("_id", ASCENDING)])
            .limit(limit)
            .to_list()
        )
        return [task_from_doc(d) for d in docs]

    async def count_for_assignee(self, assignee_id: str, statuses: Sequence[str]) -> int:
        return await self._collection.count_documents(
            {"assigneeId": assignee_id, "status": {"$in": list(statuses)}}
        )

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
        statuses: Sequence[str],
        first: int,
        after: Keyset | None,
    ) -> dict[str, tuple[list[Task], bool]]:
        """Each customer's page of tasks in `statuses` (all when empty), newest due first."""
        found = await paging.page_per_customer(
            self._collection,
            customer_ids,
            order=NEWEST_DUE_FIRST,
            first=first,
            after=after,
            match=_statuses(statuses),
        )
        return {c: ([task_from_doc(d) for d in docs], more) for c, (docs, more) in found.items()}

    async def counts(self, customer_ids: Sequence[str], statuses: Sequence[str]) -> dict[str, int]:
        """How many tasks in `statuses` (all when empty) each customer has, in one aggregate."""
        return await paging.count_per_customer(self._collection, customer_ids, _statuses(statuses))
