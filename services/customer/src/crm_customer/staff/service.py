"""Staff use cases: just-in-time provisioning from token claims, and the ADMIN's edits."""

from __future__ import annotations

from dataclasses import dataclass

from pymongo.errors import DuplicateKeyError

from crm_customer.staff.model import Staff, StaffDraft, StaffFilter, validated
from crm_customer.staff.store import StaffRepository
from crm_kit.auth import Principal, Role
from crm_kit.errors import NotFound
from crm_kit.events import utcnow
from crm_kit.idempotency import IdempotencyGuards, key_for
from crm_kit.uow import Transaction, UnitOfWork


@dataclass(frozen=True, slots=True)
class StaffService:
    uow: UnitOfWork
    staff: StaffRepository
    guards: IdempotencyGuards

    async def provision(self, principal: Principal) -> None:
        """First request of a user: create their record from the token's claims (idempotent,
        remembered per process so later requests cost nothing). Claims never overwrite what an
        ADMIN set."""
        await self.staff.provision(principal, utcnow())

    async def get(self, id: str) -> Staff:
        found = await self.staff.find(id)
        if found is None:
            raise NotFound("Staff", id)
        return found

    async def get_many(self, ids: list[str]) -> dict[str, Staff]:
        """The records with these ids (one read); an id not in the directory is left out."""
        return await self.staff.find_many(ids)

    async def directory(self, team: str | None, active_only: bool, first: int) -> list[Staff]:
        return await self.staff.list(team, active_only, first)

    async def directory_page(
        self,
        flt: StaffFilter,
        first: int,
        after: tuple[str | None, str, str] | None,
    ) -> tuple[list[Staff], int]:
        """A page of the directory (see StaffRepository.page) and the total."""
        return await self.staff.page(flt, first, after)

    async def upsert(
        self, actor: Principal, draft: StaffDraft, idempotency_key: str | None = None
    ) -> Staff:
        """ADMIN: create or edit a staff record; a retry with the same key returns the first
        result."""
        actor.require_role(Role.ADMIN)
        # Scope kept from the former name: saveStaffMember and its alias upsertStaff share keys.
        key = key_for("upsertStaff", actor, idempotency_key or None, draft)
        if done := await self.guards.first_result_id(key, "StaffMember"):
            return await self.get(done)
        existing = await self.staff.find(draft.id)
        record = validated(
            draft,
            actor=actor.sub,
            now=utcnow(),
            created_at=existing.created_at if existing else None,
        )
        if key is None:
            return self._known_now(await self.staff.put(record))

        async def work(tx: Transaction) -> Staff:  # the key is claimed with the write
            await self.guards.claim(key, record.id, utcnow(), tx.session)
            return await self.staff.put(record, tx.session)

        try:
            return self._known_now(await self.uow.run(work))
        except DuplicateKeyError:  # a concurrent retry with the same key won
            return await self.get(record.id)

    def _known_now(self, staff: Staff) -> Staff:
        self.staff.recorded(staff.id)
        return staff
