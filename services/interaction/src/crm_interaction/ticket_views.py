"""Read side of tickets and tasks: filtered keyset pages and batched per-customer lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from crm_interaction import analytics_views
from crm_interaction.analytics import model as analytics
from crm_interaction.shared import paging
from crm_interaction.shared.paging import Keyset
from crm_interaction.stores import TASKS, task_from_doc
from crm_interaction.tasks.model import Task, TaskStatus
from crm_interaction.ticket_store import TICKETS, ticket_from_doc
from crm_interaction.tickets.model import OPEN_STATUSES, Ticket, TicketStatus, TicketType
from crm_interaction.tickets.sla import Priority
from crm_kit.mongo import Document
from crm_kit.policy import restrict

BATCH_LIMIT = 200  # open items fetched per customer in an `_entities` batch
NEWEST_FIRST = paging.PageOrder("createdAt")


@dataclass(frozen=True, slots=True)
class TicketAccess:
    """The caller's ticket scope as a MongoDB condition (decided in `crm_interaction.access`;
    hashable: it is part of list/count keys)."""

    user: str
    team: str | None
    customer_ids: tuple[str, ...]

    def condition(self) -> Document:
        either: list[Document] = [{"assigneeId": {"$eq": self.user}}]
        if self.team:
            either.append({"team": {"$eq": self.team}})
        if self.customer_ids:
            either.append({"customerId": {"$in": list(self.customer_ids)}})
        return {"$or": either}


@dataclass(frozen=True, slots=True)
class TicketFilter:
    customer_id: str | None = None
    statuses: tuple[TicketStatus, ...] = ()
    priorities: tuple[Priority, ...] = ()
    types: tuple[TicketType, ...] = ()
    team: str | None = None
    assignee_id: str | None = None
    breached_only: bool = False
    access: TicketAccess | None = None  # the caller's scope (None: every ticket)

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
        if self.access is not None:
            query = restrict(query, self.access.condition())
        return query


class TicketViews:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._tickets = db[TICKETS]
        self._tasks = db[TASKS]

    async def page(
        self, where: TicketFilter, first: int, after: Keyset | None
    ) -> tuple[list[Ticket], bool]:
        """Newest first by (createdAt, id)."""
        query = where.query()
        if after is not None:
            position = NEWEST_FIRST.after(after)
            query = {"$and": [query, position]} if query else position
        docs = await self._tickets.find(query).sort(NEWEST_FIRST.sort()).limit(first + 1).to_list()
        return [ticket_from_doc(d) for d in docs[:first]], len(docs) > first

    async def count(self, where: TicketFilter) -> int:
        return await self._tickets.count_documents(where.query())

    async def service_analytics(
        self, start: datetime, end: datetime, team: str | None
    ) -> analytics.ServiceAnalytics:
        """One `$facet` aggregate over the period's tickets plus the agents' open load."""
        cursor = await self._tickets.aggregate(analytics_views.pipeline(start, end, team))
        [facets] = await cursor.to_list()
        return analytics_views.from_facets(facets, await self.open_by_agent(team))

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

    async def pages(
        self, where: TicketFilter, customer_ids: Sequence[str], first: int, after: Keyset | None
    ) -> dict[str, tuple[list[Ticket], bool]]:
        """`page` of `where` for many customers in one aggregate (see shared.paging)."""
        found = await paging.page_per_customer(
            self._tickets,
            customer_ids,
            order=NEWEST_FIRST,
            first=first,
            after=after,
            match=where.query() or None,
        )
        return {c: ([ticket_from_doc(d) for d in docs], more) for c, (docs, more) in found.items()}

    async def counts(self, where: TicketFilter, customer_ids: Sequence[str]) -> dict[str, int]:
        return await paging.count_per_customer(self._tickets, customer_ids, where.query())

    async def open_for_customers(self, customer_ids: Sequence[str]) -> dict[str, list[Ticket]]:
        """Every customer's open tickets (up to BATCH_LIMIT each), newest first, one aggregate."""
        found = await paging.top_per_customer(
            self._tickets,
            customer_ids,
            n=BATCH_LIMIT,
            sort=NEWEST_FIRST.sort(),
            match={"status": {"$in": [str(s) for s in OPEN_STATUSES]}},
        )
        return {c: [ticket_from_doc(d) for d in docs] for c, docs in found.items()}

    async def open_tasks_for_customers(self, customer_ids: Sequence[str]) -> dict[str, list[Task]]:
        """Every customer's open tasks (up to BATCH_LIMIT each), soonest due first."""
        found = await paging.top_per_customer(
            self._tasks,
            customer_ids,
            n=BATCH_LIMIT,
            sort={"dueAt": 1, "_id": 1},
            match={"status": str(TaskStatus.OPEN)},
        )
        return {c: [task_from_doc(d) for d in docs] for c, docs in found.items()}
