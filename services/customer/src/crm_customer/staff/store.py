"""MongoDB adapter of the staff directory (`_id` = the staff id, the token's `sub`)."""

from __future__ import annotations

import contextlib
from dataclasses import asdict, replace

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from crm_customer.staff.model import Staff
from crm_kit.mongo import Document, IndexSpec, Session

STAFF = "staff"
STAFF_INDEXES = IndexSpec(
    STAFF, (IndexModel([("team", ASCENDING), ("name", ASCENDING)], name="team_name"),)
)


def _doc(staff: Staff) -> Document:
    doc = asdict(staff)
    doc["_id"] = doc.pop("id")
    return doc


def _staff(doc: Document) -> Staff:
    values = {k: v for k, v in doc.items() if k != "_id"}
    return Staff(id=doc["_id"], **values)


class StaffRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._staff = db[STAFF]

    async def exists(self, id: str) -> bool:
        return await self._staff.find_one({"_id": id}, {"_id": 1}) is not None

    async def add_once(self, staff: Staff) -> None:
        """Insert unless a record with this id exists (a concurrent insert wins quietly)."""
        with contextlib.suppress(DuplicateKeyError):
            await self._staff.insert_one(_doc(staff))

    async def find(self, id: str) -> Staff | None:
        doc = await self._staff.find_one({"_id": id})
        return None if doc is None else _staff(doc)

    async def list(self, team: str | None, active_only: bool, first: int) -> list[Staff]:
        query: Document = {}
        if team:
            query["team"] = team
        if active_only:
            query["active"] = True
        cursor = self._staff.find(query).sort([("team", ASCENDING), ("name", ASCENDING)])
        return [_staff(d) async for d in cursor.limit(first)]

    async def put(self, staff: Staff, session: Session | None = None) -> Staff:
        """Insert or replace; a replaced record keeps its creation time."""
        doc = await self._staff.find_one({"_id": staff.id}, session=session)
        if doc is not None:
            staff = replace(staff, created_at=_staff(doc).created_at)
        await self._staff.replace_one(
            {"_id": staff.id}, _doc(staff), upsert=doc is None, session=session
        )
        return staff
