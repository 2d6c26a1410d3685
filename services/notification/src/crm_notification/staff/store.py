"""MongoDB adapter of the staff directory, provisioned just in time from token claims."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.auth import Principal, Role
from crm_kit.mongo import Document, IndexSpec, Session
from crm_kit.staff import STAFF, StaffClaims, StaffDirectory, staff_index

STAFF_INDEXES: list[IndexSpec] = [staff_index("team_roles", "team", "roles")]


def _seen_in_token(principal: Principal, at: datetime) -> Document:
    claims = StaffClaims.of(principal)
    return {"name": claims.name, "team": claims.team, "roles": list(claims.roles), "seen_at": at}


class StaffRepository:
    """Who exists, their team and roles: recorded from token claims on a user's requests
    (written again when their claims change), so rules can reach "the team's managers"."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._c = db[STAFF]
        self._directory = StaffDirectory(self._c, _seen_in_token, follow_claims=True)

    async def remember(self, principal: Principal, at: datetime) -> None:
        await self._directory.provision(principal, at)

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
