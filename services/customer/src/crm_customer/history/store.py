"""MongoDB adapter of the version history: every version of a customer with its full state
(encrypted like the record) for as-of reads and restore, and its field changes (contact data
sealed). Each stored version also writes its audit record, in the same transaction."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from crm_customer.customers.documents import change_doc, change_values, from_document
from crm_customer.customers.model import Customer
from crm_customer.customers.store import insert_all
from crm_customer.history.model import FieldChange, Version, VersionAction
from crm_customer.protection.crypto import DataProtector
from crm_kit import audit
from crm_kit.mongo import Document, IndexSpec, Session

VERSIONS = "customer_versions"

HISTORY_INDEXES: list[IndexSpec] = [
    IndexSpec(
        VERSIONS,
        (
            IndexModel([("customer_id", ASCENDING), ("version", DESCENDING)], name="by_customer"),
            IndexModel([("customer_id", ASCENDING), ("at", DESCENDING)], name="by_customer_at"),
        ),
    ),
]


def version_id(customer_id: str, version: int) -> str:
    return f"{customer_id}:{version:010d}"


class HistoryRepository:
    def __init__(self, db: AsyncDatabase[Document], protector: DataProtector) -> None:
        self._versions = db[VERSIONS]
        self.protector = protector

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

    async def state_of_version(
        self, customer_id: str, version: int, session: Session | None = None
    ) -> Customer | None:
        doc = await self._versions.find_one(
            {"_id": version_id(customer_id, version)}, session=session
        )
        if doc is None or not doc.get("state"):
            return None
        return from_document(doc["state"], self.protector)

    async def redact(self, customer_id: str, session: Session) -> None:
        """Erasure: past states and values go; the version skeleton (who, when) stays."""
        await self._versions.update_many(
            {"customer_id": customer_id},
            {"$set": {"state": None, "changes": [], "redacted": True}},
            session=session,
        )


def version_from(doc: Document, protector: DataProtector) -> Version:
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


def _version_doc(protector: DataProtector, version: Version, state: Document) -> Document:
    return {
        "_id": version_id(version.customer_id, version.version),
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
