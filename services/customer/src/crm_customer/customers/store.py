"""MongoDB adapter of the customer record: documents ↔ records, optimistic locking, and the
idempotency guards of the service's creates. Its indexes serve every listing path."""

from __future__ import annotations

from collections.abc import Collection

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from crm_customer.customers.documents import from_document, to_document
from crm_customer.customers.model import Customer
from crm_customer.protection.crypto import DataProtector
from crm_kit.errors import Conflict, NotFound
from crm_kit.idempotency import IdempotencyGuards
from crm_kit.mongo import Document, IndexSpec, Session

CUSTOMERS = "customers"
IDEMPOTENCY = "idempotency"  # crm_kit.idempotency guards of every create in this service
DUPLICATE_KEY = 11000


def _by(name: str, *keys: str) -> IndexModel:
    """An index for one filter path, ending in the default sort (created desc, id desc)."""
    return IndexModel(
        [*((k, ASCENDING) for k in keys), ("created_at", DESCENDING), ("_id", DESCENDING)],
        name=name,
    )


CUSTOMER_INDEXES: list[IndexSpec] = [
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
]


class CustomerRepository:
    def __init__(self, db: AsyncDatabase[Document], protector: DataProtector) -> None:
        self._customers = db[CUSTOMERS]
        self.guards = IdempotencyGuards(db, IDEMPOTENCY)
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
