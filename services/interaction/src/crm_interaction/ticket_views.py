"""Read side of tickets and tasks: filtered keyset pages and batched per-customer lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from crm_interaction.stores import TASKS, task_from_doc
from crm_interaction.tasks import Task, TaskStatus
from crm_interaction.ticket_store import TICKETS, ticket_from_doc
from crm_interaction.tickets import OPEN_STATUSES, Priority, Ticket, TicketStatus, TicketType
from crm_interaction.views import Keyset
from crm_kit.mongo import Document

BATCH_LIMIT = 1000  # open items fetched per `_entities` batch


@dataclass(frozen=True, slots=True)
class TicketFilter:
    customer_id: str | None = None
    statuses: tuple[TicketStatus, ...] = ()
    priorities: tuple[Priority, ...] = ()
    types: tuple[TicketType, ...] = ()
    team: str | None = None
    assignee_id: str | None = None
    breached_only: bool = False

    def query(self) -> dict[str, Any]:
        query: dict[str, Any] = {}
        if self.customer_id:
            query["customerId"] = self.customer_id
        if self.assignee_id:
            query["assigneeId"] = self.assignee_id
        if self.statuses:
            query["status"] = {"$in": [str(s) for s in self.statuses]}
        if self.priorities:
            query["priority"] = {"$in": [str(p) for p in self.priorities]}
        if self.types:
            query["type"] = {"$in": [str(t) for t in self.types]}
        if self.team:
            query["team"] = self.team
        if self.breached_only:
            query["$or"] = [{"firstResponseBreached": True}, {"resolutionBreached": True}]
        return query


class TicketViews:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._tickets = db[TICKETS]
        self._tasks = db[TASKS]

    async def get(self, ticket_id: str) -> Ticket | None:
        doc = await self._tickets.find_one({"_id": ticket_id})
        return ticket_from_doc(doc) if doc is not None else None

    async def page(
        self, where: TicketFilter, first: int, after: Keyset | None
    ) -> tuple[list[Ticket], bool]:
        """Newest first by (createdAt, id)."""
        query = where.query()
        if after is not None:
            position = {
                "$or": [
                    {"createdAt": {"$lt": after.occurred_at}},
                    {"createdAt": after.occurred_at, "_id": {"$lt": after.id}},
                ]
            }
            query = {"$and": [query, position]} if query else position
        docs = (
            await self._tickets.find(query)
            .sort([("createdAt", DESCENDING), ("_id", DESCENDING)])
            .limit(first + 1)
            .to_list()
        )
        return [ticket_from_doc(d) for d in docs[:first]], len(docs) > first

    async def count(self, where: TicketFilter) -> int:
        return await self._tickets.count_documents(where.query())

    async def created_between(
        self, start: datetime, end: datetime, team: str | None, limit: int = 50_000
    ) -> list[Ticket]:
        query: dict[str, Any] = {"createdAt": {"$gte": start, "$lt": end}}
        if team:
            query["team"] = team
        docs = await self._tickets.find(query).limit(limit).to_list()
        return [ticket_from_doc(d) for d in docs]

    async def open_by_agent(self, team: str | None) -> dict[str, int]:
        match: dict[str, Any] = {
            "status": {"$in": [str(s) for s in OPEN_STATUSES]},
            "assigneeId": {"$ne": None},
        }
        if team:
            match["team"] = team
        cursor = await self._tickets.aggregate(
            [{"$match": match}, {"$group": {"_id": "$assigneeId", "n": {"$sum": 1}}}]
        )
        return {str(d["_id"]): int(d["n"]) async for d in cursor}

    async def open_for_customers(self, customer_ids: Sequence[str]) -> dict[str, list[Ticket]]:
        """Every customer's open tickets, newest first, in one query."""
        docs = (
            await self._tickets.find(
                {
                    "customerId": {"$in": list(dict.fromkeys(customer_ids))},
                    "status": {"$in": [str(s) for s in OPEN_STATUSES]},
                }
            )
            .sort([("createdAt", DESCENDING), ("_id", DESCENDING)])
            .limit(BATCH_LIMIT)
            .to_list()
        )
        out: dict[str, list[Ticket]] = {}
        for doc in docs:
            ticket = ticket_from_doc(doc)
            out.setdefault(ticket.customer_id, []).append(ticket)
        return out

    async def open_tasks_for_customers(self, customer_ids: Sequence[str]) -> dict[str, list[Task]]:
        docs = (
            await self._tasks.find(
                {
                    "customerId": {"$in": list(dict.fromkeys(customer_ids))},
                    "status": str(TaskStatus.OPEN),
                }
            )
            .sort([("dueAt", ASCENDING), ("_id", ASCENDING)])
            .limit(BATCH_LIMIT)
            .to_list()
        )
        out: dict[str, list[Task]] = {}
        for doc in docs:
            task = task_from_doc(doc)
            out.setdefault(task.customer_id, []).append(task)
        return out
