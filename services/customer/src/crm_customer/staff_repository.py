"""MongoDB adapter for the staff directory, with just-in-time provisioning."""

from __future__ import annotations

import contextlib
from dataclasses import asdict, replace

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from crm_customer.staff.model import Staff, from_claims
from crm_kit.auth import Principal
from crm_kit.errors import NotFound
from crm_kit.events import utcnow
from crm_kit.mongo import Document, IndexSpec, Session

STAFF = "staff"
STAFF_INDEXES = IndexSpec(
    STAFF, (IndexModel([("team", ASCENDING), ("name", ASCENDING)], name="team_name"),)
)
MAX_CACHE = 10_000


def _doc(staff: Staff) -> Document:
    doc = asdict(staff)
    doc["_id"] = doc.pop("id")
    return doc


def _staff(doc: Document) -> Staff:
    values = {k: v for k, v in doc.items() if k != "_id"}
    return Staff(id=doc["_id"], **values)


class StaffDirectory:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._staff = db[STAFF]
        self._known: set[str] = set()

    async def provision(self, principal: Principal) -> None:
        """First request of a user: create their record from the token's claims (idempotent,
        cached per process so later requests cost nothing)."""
        if principal.sub in self._known:
            return
        if await self._staff.find_one({"_id": principal.sub}, {"_id": 1}) is None:
            # a concurrent first request may have created it
            with contextlib.suppress(DuplicateKeyError):
                await self._staff.insert_one(_doc(from_claims(principal, utcnow())))
        if len(self._known) < MAX_CACHE:
            self._known.add(principal.sub)

    async def get(self, id: str) -> Staff:
        found = await self.find(id)
        if found is None:
            raise NotFound("Staff", id)
        return found

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
        doc = await self._staff.find_one({"_id": staff.id}, session=session)
        if doc is not None:
            staff = replace(staff, created_at=_staff(doc).created_at)
        await self._staff.replace_one(
            {"_id": staff.id}, _doc(staff), upsert=doc is None, session=session
        )
        self._known.add(staff.id)
        return staff
