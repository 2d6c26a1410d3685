"""MongoDB adapters of tickets, their comments and the service agents per team: collections,
indexes and document mapping.

Every order a ticket list offers (`queries.TicketOrderField`) sorts by a stored key, then by
`_id`: the creation and last-change times as they are, and two keys stored with the ticket for
the purpose, `resolutionDueKey` (the resolution due time; `LATEST` when there is none — paused,
resolved, closed — so it sorts after every time) and `priorityRank` (LOW 0 … URGENT 3). Each
key has an index (key, `_id`) for `tickets`, and one prefixed by `customerId` for
`Customer.tickets` and by `assigneeId` for `myTickets`: a page is an index walk that stops after
`first` items, never a sort in memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from crm_interaction.customers.model import ERASED_TEXT, CustomerMove
from crm_interaction.customers.store import refile, unfile
from crm_interaction.shared.listing import LATEST
from crm_interaction.tickets.model import OPEN_STATUSES, Comment, Ticket, TicketStatus, TicketType
from crm_interaction.tickets.sla import Priority
from crm_kit.auth import Principal
from crm_kit.errors import Conflict
from crm_kit.mongo import Document, IndexSpec, Session
from crm_kit.staff import StaffDirectory, staff_index

TICKETS = "tickets"
COMMENTS = "ticket_comments"
AGENTS = "service_agents"
TEAM_CURSORS = "team_cursors"

PRIORITY_RANKS = tuple(str(p) for p in reversed(Priority))  # LOW (0) … URGENT (3)
ORDER_KEYS = ("createdAt", "updatedAt", "resolutionDueKey", "priorityRank")
# what each list always matches by equality: nothing (`tickets`), its customer, its assignee
_ORDER_PREFIXES = {"": (), "customer_": ("customerId",), "assignee_": ("assigneeId",)}


def _order_indexes() -> tuple[IndexModel, ...]:
    """(prefix…, key, `_id`) for every list and order key; walked forwards for ASC and
    backwards for DESC."""
    return tuple(
        IndexModel(
            [*((f, ASCENDING) for f in prefix), (key, ASCENDING), ("_id", ASCENDING)],
            name=f"{name}{key}_id",
        )
        for name, prefix in _ORDER_PREFIXES.items()
        for key in ORDER_KEYS
    )


INDEXES = [
    IndexSpec(
        TICKETS,
        (
            IndexModel(
                [("customerId", ASCENDING), ("status", ASCENDING), ("createdAt", DESCENDING)],
                name="customer_status_created",
            ),
            IndexModel(
                [("assigneeId", ASCENDING), ("status", ASCENDING), ("createdAt", DESCENDING)],
                name="assignee_status_created",
            ),
            IndexModel([("status", ASCENDING), ("createdAt", DESCENDING)], name="status_created"),
            *_order_indexes(),
        ),
    ),
    IndexSpec(
        COMMENTS,
        (IndexModel([("ticketId", ASCENDING), ("createdAt", ASCENDING)], name="ticket_created"),),
    ),
    staff_index("team", "team", "active", collection=AGENTS),
]

_TIMES = (
    "createdAt",
    "updatedAt",
    "firstResponseDueAt",
    "firstRespondedAt",
    "resolutionClockSince",
    "resolutionDueAt",
    "resolvedAt",
    "closedAt",
    "ratedAt",
)


def sort_keys(t: Ticket) -> Document:
    """The keys the ticket lists sort by that are not fields of the ticket itself."""
    return {
        "resolutionDueKey": t.resolution_due_at or LATEST,
        "priorityRank": PRIORITY_RANKS.index(str(t.priority)),
    }


def ticket_to_doc(t: Ticket) -> Document:
    """The whole stored ticket, its sort keys included: every write of a ticket is a whole
    document, so the keys never fall behind the fields they come from."""
    return {
        "_id": t.id,
        "customerId": t.customer_id,
        "type": str(t.type),
        "priority": str(t.priority),
        "status": str(t.status),
        "subject": t.subject,
        "description": t.description,
        "team": t.team,
        "assigneeId": t.assignee_id,
        "createdBy": t.created_by,
        "createdAt": t.created_at,
        "updatedAt": t.updated_at,
        "version": t.version,
        "firstResponseDueAt": t.first_response_due_at,
        "firstRespondedAt": t.first_responded_at,
        "firstResponseBreached": t.first_response_breached,
        "resolutionMinutes": t.resolution_minutes,
        "resolutionUsedSeconds": t.resolution_used_seconds,
        "resolutionClockSince": t.resolution_clock_since,
        "resolutionDueAt": t.resolution_due_at,
        "resolutionBreached": t.resolution_breached,
        "resolvedAt": t.resolved_at,
        "closedAt": t.closed_at,
        "resolution": t.resolution,
        "reopenCount": t.reopen_count,
        "rating": t.rating,
        "ratingComment": t.rating_comment,
        "ratedAt": t.rated_at,
        **sort_keys(t),
    }


def ticket_from_doc(d: Document) -> Ticket:
    return Ticket(
        id=str(d["_id"]),
        customer_id=d["customerId"],
        type=TicketType(d["type"]),
        priority=Priority(d["priority"]),
        status=TicketStatus(d["status"]),
        subject=d["subject"],
        description=d.get("description") or "",
        team=d.get("team"),
        assignee_id=d.get("assigneeId"),
        created_by=d["createdBy"],
        created_at=d["createdAt"],
        updated_at=d["updatedAt"],
        version=int(d["version"]),
        first_response_due_at=d["firstResponseDueAt"],
        first_responded_at=d.get("firstRespondedAt"),
        first_response_breached=bool(d.get("firstResponseBreached")),
        resolution_minutes=int(d["resolutionMinutes"]),
        resolution_used_seconds=float(d.get("resolutionUsedSeconds") or 0),
        resolution_clock_since=d.get("resolutionClockSince"),
        resolution_due_at=d.get("resolutionDueAt"),
        resolution_breached=bool(d.get("resolutionBreached")),
        resolved_at=d.get("resolvedAt"),
        closed_at=d.get("closedAt"),
        resolution=d.get("resolution"),
        reopen_count=int(d.get("reopenCount") or 0),
        rating=d.get("rating"),
        rating_comment=d.get("ratingComment"),
        rated_at=d.get("ratedAt"),
    )


def comment_from_doc(d: Document) -> Comment:
    return Comment(
        id=str(d["_id"]),
        ticket_id=d["ticketId"],
        author_id=d["authorId"],
        body=d["body"],
        customer_visible=bool(d["customerVisible"]),
        created_at=d["createdAt"],
    )


class TicketRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = db[TICKETS]
        self._comments = db[COMMENTS]

    async def add(self, ticket: Ticket, session: Session) -> None:
        await self._collection.insert_one(ticket_to_doc(ticket), session=session)

    async def get(self, ticket_id: str, session: Session | None = None) -> Ticket | None:
        doc = await self._collection.find_one({"_id": ticket_id}, session=session)
        return ticket_from_doc(doc) if doc is not None else None

    async def save(self, ticket: Ticket, previous_version: int, session: Session) -> None:
        """Replace the stored ticket if it is still at `previous_version` (else CONFLICT)."""
        doc = ticket_to_doc(ticket)
        result = await self._collection.replace_one(
            {"_id": ticket.id, "version": previous_version}, doc, session=session
        )
        if result.matched_count != 1:
            raise Conflict(
                "The ticket was changed meanwhile; reload and retry", conflicting_id=ticket.id
            )

    async def add_comment(self, comment: Comment, session: Session) -> None:
        await self._comments.insert_one(
            {
                "_id": comment.id,
                "ticketId": comment.ticket_id,
                "authorId": comment.author_id,
                "body": comment.body,
                "customerVisible": comment.customer_visible,
                "createdAt": comment.created_at,
            },
            session=session,
        )

    async def comment(self, comment_id: str) -> Comment | None:
        doc = await self._comments.find_one({"_id": comment_id})
        return comment_from_doc(doc) if doc is not None else None

    async def open_load(self, agent_ids: Sequence[str], session: Session) -> dict[str, int]:
        """Open tickets per agent (for least-loaded assignment)."""
        cursor = await self._collection.aggregate(
            [
                {
                    "$match": {
                        "assigneeId": {"$in": list(agent_ids)},
                        "status": {"$in": [str(s) for s in OPEN_STATUSES]},
                    }
                },
                {"$group": {"_id": "$assigneeId", "n": {"$sum": 1}}},
            ],
            session=session,
        )
        return {str(d["_id"]): int(d["n"]) async for d in cursor}

    async def move_customer(self, move: CustomerMove, session: Session) -> None:
        await refile(self._collection, move, session)

    async def move_back(self, move: CustomerMove, session: Session) -> None:
        await unfile(self._collection, move, session)

    async def erase_customer(self, customer_id: str, session: Session) -> None:
        """Comments go; subjects become `[erased]`; descriptions, resolutions and rating
        comments are emptied (statuses, times and ratings stay for statistics)."""
        ticket_ids = [
            str(d["_id"])
            async for d in self._collection.find(
                {"customerId": customer_id}, {"_id": 1}, session=session
            )
        ]
        if ticket_ids:
            await self._comments.delete_many({"ticketId": {"$in": ticket_ids}}, session=session)
        await self._collection.update_many(
            {"customerId": customer_id},
            {
                "$set": {
                    "subject": ERASED_TEXT,
                    "description": "",
                    "resolution": None,
                    "ratingComment": None,
                }
            },
            session=session,
        )


def _agent_from_token(principal: Principal, at: datetime) -> Document:
    return {"team": principal.team, "active": True, "updatedAt": at}


class AgentRepository:
    """Service agents per team: provisioned just in time from SERVICE tokens, or by managers."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._agents = db[AGENTS]
        self._cursors = db[TEAM_CURSORS]
        self._directory = StaffDirectory(self._agents, _agent_from_token)

    async def upsert(self, agent_id: str, team: str, active: bool, at: datetime) -> None:
        await self._agents.update_one(
            {"_id": agent_id},
            {"$set": {"team": team, "active": active, "updatedAt": at}},
            upsert=True,
        )

    async def seen(self, principal: Principal, at: datetime) -> None:
        """First sight of an agent (a SERVICE token with a team): register it; later sightings
        change nothing."""
        await self._directory.provision(principal, at)

    async def team(self, team: str, session: Session) -> list[str]:
        docs = await self._agents.find(
            {"team": team, "active": True}, {"_id": 1}, session=session
        ).to_list()
        return [str(d["_id"]) for d in docs]

    async def last_assigned(self, team: str, session: Session) -> str | None:
        doc = await self._cursors.find_one({"_id": team}, session=session)
        return str(doc["last"]) if doc is not None else None

    async def remember(self, team: str, agent_id: str, session: Session) -> None:
        await self._cursors.update_one(
            {"_id": team}, {"$set": {"last": agent_id}}, upsert=True, session=session
        )
