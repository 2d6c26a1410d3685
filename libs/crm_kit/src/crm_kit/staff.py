"""The staff directory's mechanism: records of the people a service knows from tokens only.

A verified caller's requests provision their record just in time from the token's claims,
keyed by the token's `sub`. Each service decides who gets a record, the stored shape
(`StaffShape`) and whether later claims overwrite it: `follow_claims=False` keeps the
first record (someone else manages it afterwards), `follow_claims=True` writes every change of
name, team or roles. What a service does with its directory (who manages it, who may read it,
its GraphQL types) stays in the service.

A process remembers whom it has recorded (bounded), so later requests cost nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Self

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from crm_kit.auth import Principal
from crm_kit.mongo import Document, IndexSpec

STAFF = "staff"
MAX_REMEMBERED = 10_000

type StaffShape = Callable[[Principal, datetime], Document]  # the stored fields, without `_id`


@dataclass(frozen=True, slots=True)
class StaffClaims:
    """Who a verified token says its bearer is."""

    id: str
    name: str
    team: str
    roles: tuple[str, ...]  # sorted

    @classmethod
    def of(cls, principal: Principal) -> Self:
        roles = tuple(sorted(str(r) for r in principal.roles))
        return cls(principal.sub, principal.name, principal.team, roles)


def staff_index(name: str, *fields: str, collection: str = STAFF) -> IndexSpec:
    """The directory's lookup index: ascending over `fields`."""
    return IndexSpec(collection, (IndexModel([(f, ASCENDING) for f in fields], name=name),))


class StaffDirectory:
    """Just-in-time provisioning of staff records in one collection (`_id` = the token's
    `sub`)."""

    def __init__(
        self,
        collection: AsyncCollection[Document],
        shape: StaffShape,
        *,
        follow_claims: bool = False,
    ) -> None:
        self._c = collection
        self._shape = shape
        self._follow = follow_claims
        self._recorded: dict[str, StaffClaims | None] = {}  # None: recorded by someone else

    async def provision(self, principal: Principal, at: datetime) -> None:
        """Record the caller (idempotent; a concurrent first request may win quietly)."""
        claims = StaffClaims.of(principal)
        if self._is_recorded(claims):
            return
        if self._follow:
            await self._c.update_one(
                {"_id": claims.id}, {"$set": self._shape(principal, at)}, upsert=True
            )
        elif not await self.exists(claims.id):
            with contextlib.suppress(DuplicateKeyError):
                await self._c.insert_one({"_id": claims.id, **self._shape(principal, at)})
        self._remember(claims.id, claims)

    def recorded(self, staff_id: str) -> None:
        """A record was written by other means (an ADMIN's edit): provisioning can skip it."""
        self._remember(staff_id, None)

    async def exists(self, staff_id: str) -> bool:
        return await self._c.find_one({"_id": staff_id}, {"_id": 1}) is not None

    def _is_recorded(self, claims: StaffClaims) -> bool:
        if claims.id not in self._recorded:
            return False
        return not self._follow or self._recorded[claims.id] == claims

    def _remember(self, staff_id: str, claims: StaffClaims | None) -> None:
        if len(self._recorded) >= MAX_REMEMBERED:
            self._recorded.clear()
        self._recorded[staff_id] = claims
