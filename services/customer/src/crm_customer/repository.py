"""MongoDB adapter for customers: documents ↔ domain objects, index-served queries."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from crm_customer.customers.documents import change_doc, change_values, from_document, to_document
from crm_customer.customers.filters import (
    SORT_FIELD,
    CustomerFilter,
    SortOrder,
    decode_cursor,
    plan,
)
from crm_customer.customers.model import Customer
from crm_customer.history.model import FieldChange, Version, VersionAction
from crm_customer.protection.crypto import DataProtector
from crm_customer.staff_repository import STAFF_INDEXES
from crm_kit import audit
from crm_kit.errors import Conflict, NotFound
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
DUPLICATE_KEY = 11000


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

    async def load_many(
        self, ids: Collection[str], session: Session | None = None
    ) -> dict[str, Customer]:
        """The stored records of `ids` as they are (tombstones too): one `_id $in` query."""
        if not ids:
            return {}
        cursor = self._customers.find({"_id": {"$in": sorted(set(ids))}}, session=session)
        return {doc["_id"]: self.load(doc) async for doc in cursor}

    async def get_many(self, ids: Sequence[str]) -> dict[str, Customer]:
        """One query for any number of ids; merged-away ids resolve to their survivor (one
        more query only when tombstones are among them)."""
        found = await self.load_many(ids)
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

    async def add_documents(self, docs: list[Document], session: Session) -> None:
        """Insert new customers' documents (made by `document`) in one command."""
        await insert_all(self._customers, docs, session)

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
        name, direction = SORT_FIELD[sort]
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
        self, keys: Collection[str], session: Session | None = None
    ) -> dict[str, list[str]]:
        """Which customers hold each of these match keys (one `_id $in` lookup)."""
        return {k: ids for k, ids in (await self.key_documents(keys, session)).items() if ids}

    async def key_documents(
        self, keys: Collection[str], session: Session | None = None
    ) -> dict[str, list[str]]:
        """key → holder ids of the registered keys among `keys` (also those now held by no
        one): one `_id $in` lookup, served by the primary key on any collection size."""
        if not keys:
            return {}
        cursor = self._keys.find({"_id": {"$in": sorted(set(keys))}}, session=session)
        return {d["_id"]: list(d.get("ids") or []) async for d in cursor}

    async def register_keys(
        self,
        customer_id: str,
        old: set[str],
        new: set[str],
        session: Session,
        registered: Collection[str] | None = None,
    ) -> None:
        """Keep the match-key registry in step with a customer's document (same transaction).
        `registered`: the keys among `new - old` known to exist (read in this transaction)."""
        added = {k: [customer_id] for k in new - old}
        await self.register_many(added, session, registered)
        pulls = [UpdateOne({"_id": k}, {"$pull": {"ids": customer_id}}) for k in sorted(old - new)]
        if pulls:
            await self._keys.bulk_write(pulls, ordered=True, session=session)

    async def register_many(
        self,
        added: Mapping[str, list[str]],
        session: Session,
        registered: Collection[str] | None = None,
    ) -> None:
        """Add holders to keys (key → customer ids) in at most three commands.

        A key seen for the first time is inserted (its `_id` is the uniqueness guard): a
        concurrent first insert of the same key fails the transaction with a duplicate key.
        Existing keys get the ids added. `registered` (keys known to exist, read in this
        transaction) saves the lookup.
        """
        if not added:
            return
        if registered is None:
            registered = set(await self.key_documents(added, session))
        fresh = [
            {"_id": k, "ids": list(ids)} for k, ids in sorted(added.items()) if k not in registered
        ]
        if fresh:
            await self._keys.insert_many(fresh, session=session)
        grown = [
            UpdateOne({"_id": k}, {"$addToSet": {"ids": {"$each": list(ids)}}})
            for k, ids in sorted(added.items())
            if k in registered
        ]
        if grown:
            await self._keys.bulk_write(grown, ordered=True, session=session)

    async def record_pairs(
        self,
        customer_id: str,
        matches: list[tuple[str, str, float]],
        now: datetime,
        session: Session,
    ) -> None:
        await self.record_pairs_many(
            [(customer_id, other, rule, score) for other, rule, score in matches], now, session
        )

    async def record_pairs_many(
        self, pairs: list[tuple[str, str, str, float]], now: datetime, session: Session
    ) -> None:
        """Open candidate pairs (a, b, rule, score); a pair seen before keeps its best score.
        One lookup and at most two writes for any number of pairs."""
        best: dict[str, tuple[str, str, str, float]] = {}
        for one, other, rule, score in pairs:
            a, b = sorted((one, other))
            pair_id = f"{a}:{b}"
            if pair_id not in best or score > best[pair_id][3]:
                best[pair_id] = (a, b, rule, score)
        if not best:
            return
        cursor = self._pairs.find({"_id": {"$in": sorted(best)}}, {"score": 1}, session=session)
        stored = {d["_id"]: float(d["score"]) async for d in cursor}
        fresh = [
            {"_id": pid, "ids": [a, b], "created_at": now, "status": "OPEN", "score": score,
             "rule": rule}
            for pid, (a, b, rule, score) in sorted(best.items())
            if pid not in stored
        ]  # fmt: skip
        await insert_all(self._pairs, fresh, session)
        better = [
            UpdateOne({"_id": pid}, {"$set": {"score": score, "rule": rule}})
            for pid, (_, _, rule, score) in sorted(best.items())
            if pid in stored and score > stored[pid]
        ]
        if better:
            await self._pairs.bulk_write(better, ordered=True, session=session)

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
        await self.add_versions([(version, state)], session)

    async def add_versions(
        self, versions: list[tuple[Version, Document]], session: Session
    ) -> None:
        """Store versions with their full state (one insert), and the audit record of each
        change in the same transaction (values masked there)."""
        if not versions:
            return
        docs = [_version_doc(self.protector, v, state) for v, state in versions]
        await insert_all(self._versions, docs, session)
        for version, _ in versions:
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


async def insert_all(
    collection: AsyncCollection[Document], docs: list[Document], session: Session
) -> None:
    """Insert documents in one command; a duplicate `_id` raises DuplicateKeyError (as
    `insert_one` does) so callers treat a lost race the same way for one or many."""
    if not docs:
        return
    try:
        await collection.insert_many(docs, session=session)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors") or []
        if errors and all(e.get("code") == DUPLICATE_KEY for e in errors):
            raise DuplicateKeyError(str(errors[0].get("errmsg", "")), DUPLICATE_KEY) from exc
        raise


def _version_doc(protector: DataProtector, version: Version, state: Document) -> Document:
    return {
        "_id": f"{version.customer_id}:{version.version:010d}",
        "customer_id": version.customer_id,
        "version": version.version,
        "at": version.at,
        "actor": version.actor,
        "action": str(version.action),
        "changes": [
            change_doc(protector, version.customer_id, c.field, c.before, c.after)
            for c in version.changes
        ],
        "state": {k: v for k, v in state.items() if k != "search_terms"},
    }
