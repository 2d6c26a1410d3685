"""The staff sales knows (MongoDB, collection `staff`): the people who use the sales service,
recorded just in time from their tokens by the kit's directory (`crm_kit.staff`), with the
name, team and roles of their latest token (`follow_claims`: a move to another team follows).

Sales has no say over who works here (the customer service's ADMIN keeps the directory of
record, and no event reports a departure), so a member counts as active while their tokens
keep coming: seen within `ACTIVE_DAYS`. Tokens live for hours, so someone who has not used the
service for that long is away or gone, and rules stop handing them deals.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.assignment_rules import MAX_TEAM
from crm_kit.auth import Principal
from crm_kit.mongo import Document, IndexSpec, Session
from crm_kit.staff import MAX_REMEMBERED, STAFF, StaffClaims, StaffDirectory, staff_index

ACTIVE_DAYS = 30

INDEXES: list[IndexSpec] = [staff_index("team_roles_seen", "team", "roles", "seenAt")]


def _seen_in_token(principal: Principal, at: datetime) -> Document:
    claims = StaffClaims.of(principal)
    return {"name": claims.name, "team": claims.team, "roles": list(claims.roles), "seenAt": at}


def active_since(now: datetime) -> datetime:
    """The earliest sighting that still makes a member active at `now`."""
    return now - timedelta(days=ACTIVE_DAYS)


class SalesStaffRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._c = db[STAFF]
        self._directory = StaffDirectory(self._c, _seen_in_token, follow_claims=True)
        self._refreshed: dict[str, date] = {}  # staff id → the day this process last wrote seenAt

    async def provision(self, principal: Principal, at: datetime) -> None:
        """Record the caller (first sight, or changed claims) and move their `seenAt` on."""
        await self._directory.provision(principal, at)
        await self._refresh(principal.sub, at)

    async def _refresh(self, staff_id: str, at: datetime) -> None:
        """`seenAt` once a day per member and process: the kit's directory writes only on
        first sight and on changed claims, and a day is finer than `ACTIVE_DAYS` needs."""
        if self._refreshed.get(staff_id) == at.date():
            return
        await self._c.update_one({"_id": staff_id, "seenAt": {"$lt": at}}, {"$set": {"seenAt": at}})
        if len(self._refreshed) >= MAX_REMEMBERED:
            self._refreshed.clear()
        self._refreshed[staff_id] = at.date()

    async def members(self, team: str, role: str, now: datetime, session: Session) -> list[str]:
        """The active members of `team` with `role`, by id (read in the caller's transaction)."""
        query = {"team": team, "roles": role, "seenAt": {"$gte": active_since(now)}}
        cursor = self._c.find(query, {"_id": 1}, session=session).sort("_id", 1).limit(MAX_TEAM)
        return [str(d["_id"]) async for d in cursor]

    async def is_active(self, staff_id: str, now: datetime, session: Session) -> bool:
        query = {"_id": staff_id, "seenAt": {"$gte": active_since(now)}}
        return await self._c.find_one(query, {"_id": 1}, session=session) is not None

    async def has_team(self, team: str) -> bool:
        """Whether anyone sales has seen belongs to `team` (a rule for another names nobody)."""
        return await self._c.find_one({"team": team}, {"_id": 1}) is not None
