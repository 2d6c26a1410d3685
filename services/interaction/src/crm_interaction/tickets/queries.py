"""Read side of tickets: one ticket, its comments, filtered keyset pages in a chosen order
(`TicketOrderField`, see `shared.listing`) and batched per-customer lists (see
`shared.paging`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from crm_interaction.shared import paging
from crm_interaction.shared.listing import Bounds, KeysetOrder, Page, Position, find_page, page_of
from crm_interaction.tickets.model import OPEN_STATUSES, Comment, Ticket, TicketStatus, TicketType
from crm_interaction.tickets.sla import Priority
from crm_interaction.tickets.store import COMMENTS, TICKETS, comment_from_doc, ticket_from_doc
from crm_kit.listing import OrderDirection
from crm_kit.mongo import Document
from crm_kit.policy import restrict

BATCH_LIMIT = 200  # open items fetched per customer in an `_entities` batch
NEWEST_FIRST = paging.PageOrder("createdAt")  # Customer.openTickets


class TicketOrderField(StrEnum):
    """What a ticket list is ordered by (then by the ticket's id, in the same direction)."""

    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"
    RESOLUTION_DUE_AT = "RESOLUTION_DUE_AT"
    PRIORITY = "PRIORITY"


# the stored key of each order, indexed (see `store`)
_STORED = {
    TicketOrderField.CREATED_AT: "createdAt",
    TicketOrderField.UPDATED_AT: "updatedAt",
    TicketOrderField.RESOLUTION_DUE_AT: "resolutionDueKey",
    TicketOrderField.PRIORITY: "priorityRank",
}


def ticket_order(field: TicketOrderField, direction: OrderDirection) -> KeysetOrder:
    """The keyset order of `orderBy: {field, direction}`: a resolution due time that is null
    (paused, resolved, closed) counts as later than any; a priority by its rank."""
    ranked = field is TicketOrderField.PRIORITY
    return KeysetOrder.of("TICKET", field, direction, _STORED[field], ranked=ranked)


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
    """Which tickets: every condition given must hold. `assigned_to` (myTickets) and `access`
    (the caller's scope; None: every ticket) restrict whatever the other conditions say."""

    customer_id: str | None = None
    statuses: tuple[TicketStatus, ...] = ()
    priorities: tuple[Priority, ...] = ()
    types: tuple[TicketType, ...] = ()
    team: str | None = None
    assignee_id: str | None = None
    breached_only: bool = False
    created: Bounds = ()
    assigned_to: str | None = None
    access: TicketAccess | None = None

    def query(self) -> dict[str, Any]:
        query = {**self._equalities(), **self._lists()}
        if self.created:
            query["createdAt"] = dict(self.created)
        if self.breached_only:
            query["$or"] = [{"firstResponseBreached": True}, {"resolutionBreached": True}]
        if self.assigned_to is not None:  # ANDed: an `assigneeId` of the filter only narrows
            query = restrict(query, {"assigneeId": self.assigned_to})
        if self.access is not None:
            query = restrict(query, self.access.condition())
        return query

    def _equalities(self) -> dict[str, Any]:
        given = (
            ("customerId", self.customer_id),
            ("assigneeId", self.assignee_id),
            ("team", self.team),
        )
        return {name: value for name, value in given if value}

    def _lists(self) -> dict[str, Any]:
        given = (("status", self.statuses), ("priority", self.priorities), ("type", self.types))
        return {name: {"$in": [str(v) for v in values]} for name, values in given if values}


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
        self, where: TicketFilter, order: KeysetOrder, first: int, after: Position | None
    ) -> Page[Ticket]:
        """`first` tickets of `where` after `after`, in `order`."""
        docs, more = await find_page(self._tickets, where.query(), order, first, after)
        return page_of(docs, more, order, ticket_from_doc)

    async def count(self, where: TicketFilter) -> int:
        return await self._tickets.count_documents(where.query())

    async def pages(
        self,
        where: TicketFilter,
        customer_ids: Sequence[str],
        order: KeysetOrder,
        first: int,
        after: Position | None,
    ) -> dict[str, Page[Ticket]]:
        """`page` of `where` for many customers in one aggregate (see shared.paging): each
        customer's tickets only, whatever `where` says of the customer."""
        found = await paging.page_per_customer(
            self._tickets,
            customer_ids,
            order=order,
            first=first,
            after=after,
            match=where.query() or None,
        )
        return {c: page_of(docs, more, order, ticket_from_doc) for c, (docs, more) in found.items()}

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
