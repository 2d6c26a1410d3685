"""Read side of tickets: one ticket, its comments, filtered keyset pages and batched
per-customer lists (see `shared.paging`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from crm_interaction.shared import paging
from crm_interaction.tickets.model import OPEN_STATUSES, Comment, Ticket, TicketStatus, TicketType
from crm_interaction.tickets.sla import Priority
from crm_interaction.tickets.store import COMMENTS, TICKETS, comment_from_doc, ticket_from_doc
from crm_kit.mongo import Document
from crm_kit.paging import Keyset
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


class TicketQueries:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._tickets = db[TICKETS]
        self._comments = db[COMMENTS]

    async def get(self, ticket_id: str) -> Ticket | None:
        doc = await self._tickets.find_one({"_id": ticket_id})
        return ticket_from_doc(doc) if doc is not None else None

    async def comments(self, ticket_id: str, customer_visible_only: bool) -> list[Comment]:
        """Oldest first."""
        query: dict[str, Any] = {"ticketId": ticket_id}
        if customer_visible_only:
            query["customerVisible"] = True
        docs = await self._comments.find(query).sort("createdAt", ASCENDING).to_list()
        return [comment_from_doc(d) for d in docs]

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
