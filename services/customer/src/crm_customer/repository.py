"""MongoDB adapter for customers: documents ↔ domain objects, index-served queries."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from crm_customer.crypto import DataProtector
from crm_customer.custom_fields import ValueFilter, filter_terms
from crm_customer.documents import change_doc, change_values, from_document, to_document
from crm_customer.domain import Customer, CustomerKind, LifecycleStage, Source
from crm_customer.history import FieldChange, Version, VersionAction
from crm_customer.query_plan import plan
from crm_customer.search_terms import Seal, query_terms, unsealed
from crm_customer.staff_repository import STAFF_INDEXES
from crm_kit import audit
from crm_kit.errors import BadUserInput, Conflict, NotFound
from crm_kit.idempotency import IdempotencyGuards
from crm_kit.mongo import Document, IndexSpec, Session
from crm_kit.policy import restrict

CUSTOMERS = "customers"
IDEMPOTENCY = "idempotency"  # crm_kit.idempotency guards of every create in this service
VERSIONS = "customer_versions"
DUPLICATE_PAIRS = "duplicate_pairs"
MATCH_KEYS = "customer_match_keys"
MERGES = "customer_merges"
MAX_MERGE_CHAIN = 5


def _by(name: str, *keys: str) -> IndexModel:
    """An index for one filter path, ending in the default sort (created desc, id desc)."""
    return IndexModel(
        [*((k, ASCENDING) for k in keys), ("created_at", DESCENDING), ("_id", DESCENDING)],
        name=name,
    )


INDEXES: list[IndexSpec] = [
    IndexSpec(
        CUSTOMERS,
        (
            IndexModel([("created_at", DESCENDING), ("_id", DESCENDING)], name="created"),
            IndexModel([("updated_at", DESCENDING), ("_id", DESCENDING)], name="updated"),
            _by("owner_created", "owner_id"),
            _by("team_created", "team"),
            _by("stage_created", "stage"),
            _by("tier_created", "tier"),
            _by("source_created", "source"),
            _by("industry_created", "industry"),
            _by("region_created", "region"),
            _by("kind_created", "kind"),
            _by("tags_created_id", "tags"),
            _by("search_created", "search_terms"),
            _by("custom_created", "custom_terms"),  # custom field values: "key=value"
            # exact lookups by identity (blind index) or credit code, e.g. from import upserts
            IndexModel([("id_card_bidx", ASCENDING)], name="id_card_bidx", sparse=True),
            IndexModel([("uscc", ASCENDING)], name="uscc", sparse=True),
        ),
    ),
    IndexSpec(IDEMPOTENCY, ()),
    IndexSpec(MATCH_KEYS, ()),
    STAFF_INDEXES,
    IndexSpec(
        MERGES, (IndexModel([("survivor_id", ASCENDING), ("at", DESCENDING)], name="survivor"),)
    ),
    IndexSpec(
        VERSIONS,
        (
            IndexModel([("customer_id", ASCENDING), ("version", DESCENDING)], name="by_customer"),
            IndexModel([("customer_id", ASCENDING), ("at", DESCENDING)], name="by_customer_at"),
        ),
    ),
    IndexSpec(
        DUPLICATE_PAIRS,
        (IndexModel([("status", ASCENDING), ("score", DESCENDING)], name="open_by_score"),),
    ),
]


class SortOrder(StrEnum):
    CREATED_DESC = "CREATED_DESC"
    CREATED_ASC = "CREATED_ASC"
    UPDATED_DESC = "UPDATED_DESC"


_SORT_FIELD = {
    SortOrder.CREATED_DESC: ("created_at", -1),
    SortOrder.CREATED_ASC: ("created_at", 1),
    SortOrder.UPDATED_DESC: ("updated_at", -1),
}


@dataclass(frozen=True, slots=True)
class CustomerFilter:
    stage: LifecycleStage | None = None
    stages: list[LifecycleStage] = field(default_factory=list)
    owner_id: str | None = None
    team: str | None = None
    tag: str | None = None
    tags_any: list[str] = field(default_factory=list)
    tags_all: list[str] = field(default_factory=list)
    tier: str | None = None
    source: Source | None = None
    kind: CustomerKind | None = None
    industry: str | None = None
    region: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None
    text: str | None = None
    include_archived: bool = False
    archived_only: bool = False
    custom_fields: list[ValueFilter] = field(default_factory=list)

    def query(self, seal: Seal = unsealed) -> Document:
        """`seal`: the data protector's search_token, so phone and email searches match the
        sealed tokens stored for them (without it they match nothing)."""
        query: Document = {"merged_into": None}
        equal = {
            "owner_id": self.owner_id,
            "team": self.team,
            "tier": self.tier,
            "source": str(self.source) if self.source else None,
            "kind": str(self.kind) if self.kind else None,
            "industry": self.industry.upper() if self.industry else None,
            "region": self.region,
        }
        query.update({k: v for k, v in equal.items() if v is not None})
        stages = [str(s) for s in ([self.stage] if self.stage else []) + self.stages]
        if stages:
            query["stage"] = stages[0] if len(stages) == 1 else {"$in": stages}
        tags: Document = {}
        if self.tag is not None:
            tags["$all"] = [self.tag, *self.tags_all]
        elif self.tags_all:
            tags["$all"] = list(self.tags_all)
        if self.tags_any:
            tags["$in"] = list(self.tags_any)
        if tags:
            query["tags"] = tags
        for name, low, high in (
            ("created_at", self.created_from, self.created_to),
            ("updated_at", self.updated_from, self.updated_to),
        ):
            if low and high and low > high:
                raise BadUserInput.single(name, "INVALID_RANGE", "Range start is after its end")
            bounds = {k: v for k, v in (("$gte", low), ("$lt", high)) if v is not None}
            if bounds:
                query[name] = bounds
        if self.text is not None and self.text.strip():
            terms = query_terms(self.text, seal)
            if not terms:
                raise BadUserInput.single("text", "INVALID_SEARCH", "Nothing searchable")
            query["search_terms"] = {"$all": terms}
        if self.custom_fields:
            query["custom_terms"] = {"$all": filter_terms(self.custom_fields)}
        if self.archived_only:
            query["archived"] = True
        elif not self.include_archived:
            query["archived"] = {"$ne": True}
        return query


def encode_cursor(value: datetime, id: str) -> str:
    raw = f"{value.isoformat()}|{id}".encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        created, _, id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return datetime.fromisoformat(created), id
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadUserInput.single("after", "INVALID_CURSOR", "Malformed cursor") from exc


def cursor_for(customer: Customer, sort: SortOrder) -> str:
    value = customer.updated_at if sort is SortOrder.UPDATED_DESC else customer.created_at
    return encode_cursor(value, customer.id)


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Customer]
    has_next: bool
    total: int


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    id: str
    customer_ids: tuple[str, str]
    rule: str
    score: float
    status: str
    created_at: datetime


class CustomerRepository:
    def __init__(self, db: AsyncDatabase[Document], protector: DataProtector) -> None:
        self._customers = db[CUSTOMERS]
        self.guards = IdempotencyGuards(db, IDEMPOTENCY)
        self._versions = db[VERSIONS]
        self._pairs = db[DUPLICATE_PAIRS]
        self._keys = db[MATCH_KEYS]
        self._merges = db[MERGES]
        self.protector = protector

    def load(self, doc: Document) -> Customer:
        return from_document(doc, self.protector)

    def document(self, customer: Customer) -> Document:
        return to_document(customer, self.protector)

    async def get(self, id: str, session: Session | None = None) -> Customer:
        doc = await self._customers.find_one({"_id": id}, session=session)
        if doc is None:
            raise NotFound("Customer", id)
        return self.load(doc)

    async def get_many(self, ids: Sequence[str]) -> dict[str, Customer]:
        """One query for any number of ids; merged-away ids resolve to their survivor (one
        more query only when tombstones are among them)."""
        cursor = self._customers.find({"_id": {"$in": list(set(ids))}})
        found = {doc["_id"]: self.load(doc) async for doc in cursor}
        for _ in range(MAX_MERGE_CHAIN):
            pointers = {i: c.merged_into for i, c in found.items() if c.merged_into}
            if not pointers:
                break
            cursor = self._customers.find({"_id": {"$in": sorted(set(pointers.values()))}})
            survivors = {doc["_id"]: self.load(doc) async for doc in cursor}
            for old, new in pointers.items():
                if new in survivors:
                    found[old] = survivors[new]
                else:
                    del found[old]
        return found

    async def redact_history(self, customer_id: str, session: Session) -> None:
        """Erasure: past states and values go; the version skeleton (who, when) stays."""
        await self._versions.update_many(
            {"customer_id": customer_id},
            {"$set": {"state": None, "changes": [], "redacted": True}},
            session=session,
        )
        await self._merges.update_many(
            {"before._id": customer_id},
            {"$set": {"before": [], "status": "REDACTED"}},
            session=session,
        )
        await self._pairs.update_many(
            {"ids": customer_id, "status": "OPEN"}, {"$set": {"status": "ERASED"}}, session=session
        )

    async def add_merge(self, record: Document, session: Session) -> None:
        await self._merges.insert_one(record, session=session)

    async def get_merge(self, merge_id: str, session: Session) -> Document:
        doc = await self._merges.find_one({"_id": merge_id}, session=session)
        if doc is None:
            raise NotFound("CustomerMerge", merge_id)
        return doc

    async def mark_unmerged(self, merge_id: str, at: datetime, session: Session) -> None:
        await self._merges.update_one(
            {"_id": merge_id}, {"$set": {"status": "UNMERGED", "unmerged_at": at}}, session=session
        )

    async def close_pairs(self, ids: Sequence[str], status: str, session: Session) -> None:
        ordered = sorted(ids)
        pair_ids = [f"{a}:{b}" for i, a in enumerate(ordered) for b in ordered[i + 1 :]]
        await self._pairs.update_many(
            {"_id": {"$in": pair_ids}}, {"$set": {"status": status}}, session=session
        )

    async def add(self, customer: Customer, session: Session) -> Document:
        doc = self.document(customer)
        await self._customers.insert_one(doc, session=session)
        return doc

    async def save(self, customer: Customer, expected_version: int, session: Session) -> Document:
        """Replace if the stored version is still `expected_version` (optimistic locking).

        Both steps address the document by `_id` only (point operations). Inside the
        snapshot transaction a concurrent writer makes the commit fail with a write conflict,
        which is retried and then sees the new version here.
        """
        current = await self._customers.find_one(
            {"_id": customer.id}, {"version": 1}, session=session
        )
        if current is None:
            raise NotFound("Customer", customer.id)
        if current["version"] != expected_version:
            raise Conflict(
                f"Customer {customer.id} was changed by someone else "
                f"(version {current['version']}, you had {expected_version})",
                conflicting_id=customer.id,
                currentVersion=current["version"],
            )
        doc = self.document(customer)
        await self._customers.replace_one({"_id": customer.id}, doc, session=session)
        return doc

    async def page(
        self,
        flt: CustomerFilter,
        first: int,
        after: str | None,
        sort: SortOrder = SortOrder.CREATED_DESC,
        scope: Mapping[str, Any] | None = None,
    ) -> Page:
        """`scope`: the caller's access condition (crm_kit.policy), ANDed to the filter so
        neither the page nor `total` includes a record the caller may not see."""
        base = restrict(flt.query(self.protector.search_token), scope or {})
        query = dict(base)
        name, direction = _SORT_FIELD[sort]
        index = plan(base, name).index
        if after:
            value, id = decode_cursor(after)
            op = "$lt" if direction < 0 else "$gt"
            query["$or"] = [{name: {op: value}}, {name: value, "_id": {op: id}}]
        cursor = (
            self._customers.find(query)
            .sort([(name, direction), ("_id", direction)])
            .hint(index)
            .limit(first + 1)
        )
        docs = await cursor.to_list()
        total = await self._customers.count_documents(base, hint=index)
        return Page([self.load(d) for d in docs[:first]], len(docs) > first, total)

    # --- duplicates ---------------------------------------------------------------------------

    async def key_holders(
        self, keys: set[str], session: Session | None = None
    ) -> dict[str, list[str]]:
        """Which customers hold each of these match keys (point lookups by `_id`)."""
        holders: dict[str, list[str]] = {}
        for key in sorted(keys):
            doc = await self._keys.find_one({"_id": key}, session=session)
            if doc is not None and doc.get("ids"):
                holders[key] = list(doc["ids"])
        return holders

    async def register_keys(
        self, customer_id: str, old: set[str], new: set[str], session: Session
    ) -> None:
        """Keep the match-key registry in step with a customer's document (same transaction).

        A key seen for the first time is inserted (its `_id` is the uniqueness guard); a
        concurrent first insert of the same key fails the transaction with a duplicate key.
        """
        for key in sorted(old - new):
            await self._keys.update_one(
                {"_id": key}, {"$pull": {"ids": customer_id}}, session=session
            )
        for key in sorted(new - old):
            if await self._keys.find_one({"_id": key}, {"_id": 1}, session=session) is None:
                await self._keys.insert_one({"_id": key, "ids": [customer_id]}, session=session)
            else:
                await self._keys.update_one(
                    {"_id": key}, {"$addToSet": {"ids": customer_id}}, session=session
                )

    async def record_pairs(
        self,
        customer_id: str,
        matches: list[tuple[str, str, float]],
        now: datetime,
        session: Session,
    ) -> None:
        for other, rule, score in matches:
            a, b = sorted((customer_id, other))
            pair_id = f"{a}:{b}"
            existing = await self._pairs.find_one({"_id": pair_id}, session=session)
            if existing is None:
                await self._pairs.insert_one(
                    {
                        "_id": pair_id,
                        "ids": [a, b],
                        "created_at": now,
                        "status": "OPEN",
                        "score": score,
                        "rule": rule,
                    },
                    session=session,
                )
            elif score > existing["score"]:
                await self._pairs.update_one(
                    {"_id": pair_id}, {"$set": {"score": score, "rule": rule}}, session=session
                )

    async def open_pairs(self, first: int) -> list[DuplicatePair]:
        cursor = self._pairs.find({"status": "OPEN"}).sort([("score", DESCENDING)]).limit(first)
        return [
            DuplicatePair(
                id=d["_id"],
                customer_ids=(d["ids"][0], d["ids"][1]),
                rule=d["rule"],
                score=float(d["score"]),
                status=d["status"],
                created_at=d["created_at"],
            )
            async for d in cursor
        ]

    async def count_open_pairs(self) -> int:
        return await self._pairs.count_documents({"status": "OPEN"})

    async def resolve_pair(self, pair_id: str, status: str, session: Session) -> None:
        result = await self._pairs.update_one(
            {"_id": pair_id}, {"$set": {"status": status}}, session=session
        )
        if result.matched_count == 0:
            raise NotFound("DuplicatePair", pair_id)

    # --- history ------------------------------------------------------------------------------

    async def add_version(self, version: Version, state: Document, session: Session) -> None:
        stored = {k: v for k, v in state.items() if k != "search_terms"}
        await self._versions.insert_one(
            {
                "_id": f"{version.customer_id}:{version.version:010d}",
                "customer_id": version.customer_id,
                "version": version.version,
                "at": version.at,
                "actor": version.actor,
                "action": str(version.action),
                "changes": [
                    change_doc(self.protector, version.customer_id, c.field, c.before, c.after)
                    for c in version.changes
                ],
                "state": stored,
            },
            session=session,
        )
        # The audit record of this change, in the same transaction (values masked there).
        audit.record_current(
            f"customer.{str(version.action).lower()}",
            "Customer",
            version.customer_id,
            changes=[audit.Change(c.field, c.before, c.after) for c in version.changes],
            details={"version": version.version},
        )

    async def versions(
        self, customer_id: str, first: int, before_version: int | None
    ) -> tuple[list[Version], int]:
        query: Document = {"customer_id": customer_id}
        if before_version is not None:
            query["version"] = {"$lt": before_version}
        cursor = (
            self._versions.find(query, {"state": 0})
            .sort([("customer_id", ASCENDING), ("version", DESCENDING)])
            .limit(first)
        )
        items = [_version(d, self.protector) async for d in cursor]
        total = await self._versions.count_documents({"customer_id": customer_id})
        return items, total

    async def state_at(self, customer_id: str, at: datetime) -> Customer | None:
        doc = await self._versions.find_one(
            {"customer_id": customer_id, "at": {"$lte": at}},
            sort=[("customer_id", ASCENDING), ("at", DESCENDING)],
        )
        return None if doc is None or not doc.get("state") else self.load(doc["state"])

    async def state_of_version(
        self, customer_id: str, version: int, session: Session | None = None
    ) -> Customer | None:
        doc = await self._versions.find_one(
            {"_id": f"{customer_id}:{version:010d}"}, session=session
        )
        return None if doc is None or not doc.get("state") else self.load(doc["state"])


def _version(doc: Document, protector: DataProtector) -> Version:
    return Version(
        customer_id=doc["customer_id"],
        version=int(doc["version"]),
        at=doc["at"],
        actor=doc["actor"],
        action=VersionAction(doc["action"]),
        changes=[
            FieldChange(c["field"], *change_values(protector, doc["customer_id"], c))
            for c in doc["changes"]
        ],
    )
