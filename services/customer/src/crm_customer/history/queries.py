"""The read side of the version history: a customer's versions (newest first) and the record
as it was at a point in time."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from crm_customer.customers.documents import from_document
from crm_customer.customers.model import Customer
from crm_customer.history.model import Version
from crm_customer.history.store import VERSIONS, version_from
from crm_customer.protection.crypto import DataProtector
from crm_kit.mongo import Document


class HistoryQueries:
    def __init__(self, db: AsyncDatabase[Document], protector: DataProtector) -> None:
        self._versions = db[VERSIONS]
        self._protector = protector

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
        items = [version_from(d, self._protector) async for d in cursor]
        total = await self._versions.count_documents({"customer_id": customer_id})
        return items, total

    async def state_at(self, customer_id: str, at: datetime) -> Customer | None:
        doc = await self._versions.find_one(
            {"customer_id": customer_id, "at": {"$lte": at}},
            sort=[("customer_id", ASCENDING), ("at", DESCENDING)],
        )
        if doc is None or not doc.get("state"):
            return None
        return from_document(doc["state"], self._protector)

    async def created_at(self, customer_id: str) -> datetime | None:
        """When the first version under this id was recorded (None: no history here)."""
        doc = await self._versions.find_one(
            {"customer_id": customer_id},
            {"at": 1},
            sort=[("customer_id", ASCENDING), ("version", ASCENDING)],
        )
        return None if doc is None else doc["at"]
