"""MongoDB adapter of the staff directory (`_id` = the staff id, the token's `sub`): the kit's
just-in-time provisioning (claims never overwrite what an ADMIN set) and the ADMIN's edits."""

from __future__ import annotations

import builtins
import re
from dataclasses import asdict, replace
from datetime import datetime

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from crm_customer.staff.model import Staff, StaffFilter, from_claims
from crm_kit.auth import Principal
from crm_kit.mongo import Document, Session
from crm_kit.staff import STAFF, StaffDirectory, staff_index

STAFF_INDEXES = staff_index("team_name", "team", "name")


def _doc(staff: Staff) -> Document:
    doc = asdict(staff)
    doc["_id"] = doc.pop("id")
    return doc


def _provisioned(principal: Principal, now: datetime) -> Document:
    doc = _doc(from_claims(principal, now))
    del doc["_id"]
    return doc


def directory_query(flt: StaffFilter) -> Document:
    """The condition of a directory filter; `text` is a literal prefix (escaped, never a
    pattern from the client) of the name or the id, in any case."""
    query: Document = {}
    if flt.team:
        query["team"] = flt.team
    if not flt.include_inactive:
        query["active"] = True
    text = " ".join((flt.text or "").split())
    if text:
        prefix = {"$regex": f"^{re.escape(text)}", "$options": "i"}
        query["$or"] = [{"name": prefix}, {"_id": prefix}]
    return query


def _staff(doc: Document) -> Staff:
    values = {k: v for k, v in doc.items() if k != "_id"}
    return Staff(id=doc["_id"], **values)


class StaffRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._staff = db[STAFF]
        self._directory = StaffDirectory(self._staff, _provisioned)

    async def provision(self, principal: Principal, at: datetime) -> None:
        """A caller's first request: their record from the token's claims, unless one exists."""
        await self._directory.provision(principal, at)

    def recorded(self, id: str) -> None:
        """A record was written (by an ADMIN): later provisioning skips it without a look."""
        self._directory.recorded(id)

    async def find(self, id: str) -> Staff | None:
        doc = await self._staff.find_one({"_id": id})
        return None if doc is None else _staff(doc)

    async def find_many(self, ids: list[str]) -> dict[str, Staff]:
        """The records with these ids, in one read; an unknown id is left out."""
        cursor = self._staff.find({"_id": {"$in": list(dict.fromkeys(ids))}})
        return {d["_id"]: _staff(d) async for d in cursor}

    async def list(self, team: str | None, active_only: bool, first: int) -> list[Staff]:
        query: Document = {}
        if team:
            query["team"] = team
        if active_only:
            query["active"] = True
        cursor = self._staff.find(query).sort([("team", ASCENDING), ("name", ASCENDING)])
        return [_staff(d) async for d in cursor.limit(first)]

    async def page(
        self,
        flt: StaffFilter,
        first: int,
        after: tuple[str | None, str, str] | None,
    ) -> tuple[builtins.list[Staff], int]:
        """A page of the directory by team (no team first), name and id, after the (team,
        name, id) of a page's last member; and how many match over all pages."""
        query = directory_query(flt)
        total = await self._staff.count_documents(query)
        if after is not None:
            last_team, name, id = after
            later = {"$or": [{"name": {"$gt": name}}, {"name": name, "_id": {"$gt": id}}]}
            if last_team is None:  # a null team sorts before every team
                rest: Document = {"$or": [{"team": None, **later}, {"team": {"$type": "string"}}]}
            else:
                rest = {"$or": [{"team": {"$gt": last_team}}, {"team": last_team, **later}]}
            query = {"$and": [query, rest]}
        cursor = self._staff.find(query).sort(
            [("team", ASCENDING), ("name", ASCENDING), ("_id", ASCENDING)]
        )
        return [_staff(d) async for d in cursor.limit(first)], total

    async def put(self, staff: Staff, session: Session | None = None) -> Staff:
        """Insert or replace; a replaced record keeps its creation time."""
        doc = await self._staff.find_one({"_id": staff.id}, session=session)
        if doc is not None:
            staff = replace(staff, created_at=_staff(doc).created_at)
        await self._staff.replace_one(
            {"_id": staff.id}, _doc(staff), upsert=doc is None, session=session
        )
        return staff
