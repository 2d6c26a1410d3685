"""Staff directory in the customer subgraph: queries, ADMIN mutations, JIT provisioning."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Self

import strawberry
from pymongo.errors import DuplicateKeyError
from strawberry.extensions import SchemaExtension

from crm_customer import access as policy
from crm_customer.graphql.context import Context, Info
from crm_customer.staff.model import Staff, validated
from crm_kit.auth import Principal, Role
from crm_kit.events import utcnow
from crm_kit.idempotency import key_for
from crm_kit.uow import Transaction

MAX_PAGE = 200


@strawberry.type(description="A member of staff: owner of customers, receiver of notices.")
class StaffMember:
    id: strawberry.ID
    name: str
    email: str | None
    team: str | None
    roles: list[str]
    active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, s: Staff) -> Self:
        return cls(
            id=strawberry.ID(s.id),
            name=s.name,
            email=s.email,
            team=s.team,
            roles=s.roles,
            active=s.active,
            created_at=s.created_at,
            updated_at=s.updated_at,
        )


@strawberry.input
class StaffInput:
    id: strawberry.ID
    name: str
    email: str | None = None
    team: str | None = None
    roles: list[str] = strawberry.field(default_factory=list)
    active: bool = True
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the first result."
    )


@strawberry.type
class StaffQuery:
    @strawberry.field(description="One staff member.")
    async def staff_member(self, info: Info, id: strawberry.ID) -> StaffMember:
        member = await info.context.deps.staff.get(str(id))
        policy.check_staff(info.context.principal, member.id, member.team)
        return StaffMember.from_model(member)

    @strawberry.field(description="The staff directory, by team and name.")
    async def staff_directory(
        self, info: Info, team: str | None = None, active_only: bool = True, first: int = 100
    ) -> list[StaffMember]:
        team = policy.staff_team(info.context.principal, team)  # TEAM scope: their own team
        found = await info.context.deps.staff.list(team, active_only, max(1, min(first, MAX_PAGE)))
        return [StaffMember.from_model(s) for s in found]


@strawberry.type
class StaffMutation:
    @strawberry.mutation(description="ADMIN: create or edit a staff record.")
    async def upsert_staff(self, info: Info, input: StaffInput) -> StaffMember:
        actor = info.context.principal
        actor.require_role(Role.ADMIN)
        staff = info.context.deps.staff
        customers = info.context.deps.customers
        key = key_for("upsertStaff", actor, input.idempotency_key or None)
        if done := await customers.guards.first_result_id(key, "StaffMember"):
            return StaffMember.from_model(await staff.get(done))
        existing = await staff.find(str(input.id))
        record = validated(
            str(input.id),
            input.name,
            email=input.email,
            team=input.team,
            roles=list(input.roles),
            active=input.active,
            actor=actor.sub,
            now=utcnow(),
            created_at=existing.created_at if existing else None,
        )
        if key is None:
            return StaffMember.from_model(await staff.put(record))

        async def work(tx: Transaction) -> Staff:  # the key is claimed with the write
            await customers.guards.claim(key, record.id, utcnow(), tx.session)
            return await staff.put(record, tx.session)

        try:
            return StaffMember.from_model(await info.context.deps.commands.uow.run(work))
        except DuplicateKeyError:  # a concurrent retry with the same key won
            return StaffMember.from_model(await staff.get(record.id))


class ProvisionStaff(SchemaExtension):
    """Just-in-time staff records: a verified caller's first request creates theirs."""

    async def on_execute(self) -> AsyncIterator[None]:
        context: Context = self.execution_context.context
        principal = context.principal_or_error
        if isinstance(principal, Principal):
            await context.deps.staff.provision(principal)
        yield
