"""MongoDB adapter of the staff directory, provisioned just in time from token claims."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.auth import Principal, Role
from crm_kit.mongo import Document, IndexSpec, Session

STAFF = "staff"

STAFF_INDEXES: list[IndexSpec] = [
    IndexSpec(STAFF, (IndexModel([("team", ASCENDING), ("roles", ASCENDING)], name="team_roles"),)),
]


class StaffRepository:
    """Who exists, their team and roles: recorded from token claims on a user's requests
    (once per process per user), so rules can reach "the team's managers"."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._c = db[STAFF]
        self._seen: dict[str, tuple[str, str, tuple[str, ...]]] = {}

    async def remember(self, principal: Principal, at: datetime) -> None:
        roles = tuple(sorted(str(r) for r in principal.roles))
        key = (principal.name, principal.team, roles)
        if self._seen.get(principal.sub) == key:
            return
        await self._c.update_one(
            {"_id": principal.sub},
            {
                "$set": {
                    "name": principal.name,
                    "team": principal.team,
                    "roles": list(roles),
                    "seen_at": at,
                }
            },
            upsert=True,
        )
        if len(self._seen) > 10_000:
            self._seen.clear()
        self._seen[principal.sub] = key

    async def managers_of(self, teams: Sequence[str], session: Session | None = None) -> list[str]:
        if not teams:
            return []
        cursor = self._c.find(
            {"team": {"$in": list(teams)}, "roles": str(Role.MANAGER)}, {"_id": 1}, session=session
        )
        return sorted([str(d["_id"]) async for d in cursor])

    async def known(self, user_ids: Sequence[str], session: Session | None = None) -> set[str]:
        cursor = self._c.find({"_id": {"$in": list(user_ids)}}, {"_id": 1}, session=session)
        return {str(d["_id"]) async for d in cursor}
