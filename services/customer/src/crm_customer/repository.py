"""MongoDB adapter for customers: documents ↔ domain objects, index-served queries."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from crm_customer.domain import Customer, CustomerKind, LifecycleStage, Source
from crm_kit.errors import BadUserInput, Conflict, NotFound
from crm_kit.mongo import Document, IndexSpec, Session

CUSTOMERS = "customers"
IDEMPOTENCY = "idempotency"

INDEXES: list[IndexSpec] = [
    IndexSpec(
        CUSTOMERS,
        (
            IndexModel([("created_at", DESCENDING), ("_id", DESCENDING)], name="created"),
            IndexModel(
                [("owner_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)],
                name="owner_created",
            ),
            IndexModel(
                [("team", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)],
                name="team_created",
            ),
            IndexModel(
                [("stage", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)],
                name="stage_created",
            ),
            IndexModel([("tags", ASCENDING), ("created_at", DESCENDING)], name="tags_created"),
        ),
    ),
    IndexSpec(IDEMPOTENCY, ()),
]


def to_document(customer: Customer) -> Document:
    return {
        "_id": customer.id,
        "kind": str(customer.kind),
        "name": customer.name,
        "stage": str(customer.stage),
        "tier": customer.tier,
        "tags": customer.tags,
        "phones": customer.phones,
        "emails": customer.emails,
        "source": str(customer.source) if customer.source else None,
        "owner_id": customer.owner_id,
        "team": customer.team,
        "version": customer.version,
        "archived": customer.archived,
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
        "created_by": customer.created_by,
        "updated_by": customer.updated_by,
    }


def from_document(doc: Document) -> Customer:
    return Customer(
        id=doc["_id"],
        kind=CustomerKind(doc["kind"]),
        name=doc["name"],
        stage=LifecycleStage(doc["stage"]),
        tier=doc.get("tier"),
        tags=list(doc.get("tags") or []),
        phones=list(doc.get("phones") or []),
        emails=list(doc.get("emails") or []),
        source=Source(doc["source"]) if doc.get("source") else None,
        owner_id=doc.get("owner_id"),
        team=doc.get("team"),
        version=int(doc.get("version", 1)),
        archived=bool(doc.get("archived", False)),
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
        created_by=doc.get("created_by", ""),
        updated_by=doc.get("updated_by", ""),
    )


@dataclass(frozen=True, slots=True)
class CustomerFilter:
    stage: LifecycleStage | None = None
    owner_id: str | None = None
    team: str | None = None
    tag: str | None = None
    include_archived: bool = False

    def query(self) -> Document:
        query: Document = {}
        if self.stage is not None:
            query["stage"] = str(self.stage)
        if self.owner_id is not None:
            query["owner_id"] = self.owner_id
        if self.team is not None:
            query["team"] = self.team
        if self.tag is not None:
            query["tags"] = self.tag
        if not self.include_archived:
            query["archived"] = {"$ne": True}
        return query


def encode_cursor(created_at: datetime, id: str) -> str:
    raw = f"{created_at.isoformat()}|{id}".encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        created, _, id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return datetime.fromisoformat(created), id
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadUserInput.single("after", "INVALID_CURSOR", "Malformed cursor") from exc


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Customer]
    has_next: bool
    total: int


class CustomerRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._customers = db[CUSTOMERS]
        self._idempotency = db[IDEMPOTENCY]

    async def get(self, id: str, session: Session | None = None) -> Customer:
        doc = await self._customers.find_one({"_id": id}, session=session)
        if doc is None:
            raise NotFound("Customer", id)
        return from_document(doc)

    async def get_many(self, ids: Sequence[str]) -> dict[str, Customer]:
        """One query for any number of ids."""
        cursor = self._customers.find({"_id": {"$in": list(set(ids))}})
        return {doc["_id"]: from_document(doc) async for doc in cursor}

    async def add(self, customer: Customer, session: Session) -> None:
        await self._customers.insert_one(to_document(customer), session=session)

    async def save(self, customer: Customer, expected_version: int, session: Session) -> None:
        """Replace if the stored version is still `expected_version` (optimistic locking)."""
        result = await self._customers.replace_one(
            {"_id": customer.id, "version": expected_version},
            to_document(customer),
            session=session,
        )
        if result.matched_count == 0:
            current = await self._customers.find_one(
                {"_id": customer.id}, {"version": 1}, session=session
            )
            if current is None:
                raise NotFound("Customer", customer.id)
            raise Conflict(
                f"Customer {customer.id} was changed by someone else "
                f"(version {current['version']}, you had {expected_version})",
                conflicting_id=customer.id,
                currentVersion=current["version"],
            )

    async def page(self, flt: CustomerFilter, first: int, after: str | None) -> Page:
        base = flt.query()
        query = dict(base)
        if after:
            created, id = decode_cursor(after)
            query["$or"] = [
                {"created_at": {"$lt": created}},
                {"created_at": created, "_id": {"$lt": id}},
            ]
        cursor = (
            self._customers.find(query)
            .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
            .limit(first + 1)
        )
        docs = await cursor.to_list()
        total = await self._customers.count_documents(base)
        return Page([from_document(d) for d in docs[:first]], len(docs) > first, total)

    async def idempotent_result(self, key: str) -> str | None:
        doc = await self._idempotency.find_one({"_id": key})
        return None if doc is None else str(doc["result_id"])

    async def claim_idempotency_key(
        self, key: str, result_id: str, created_at: datetime, session: Session
    ) -> None:
        # The guard's _id is the key: uniqueness without a unique secondary index.
        await self._idempotency.insert_one(
            {"_id": key, "result_id": result_id, "created_at": created_at}, session=session
        )
