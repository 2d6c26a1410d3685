"""Staff directory in the customer subgraph: queries, ADMIN mutations, JIT provisioning."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Self

import strawberry
from strawberry.extensions import SchemaExtension

from crm_customer import access
from crm_customer.graphql.context import Context, Info
from crm_customer.staff.model import Staff, StaffDraft
from crm_kit.auth import Principal

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

    def to_model(self) -> StaffDraft:
        return StaffDraft(
            str(self.id), self.name, self.email, self.team, list(self.roles), self.active
        )


@strawberry.type
class StaffQuery:
    @strawberry.field(description="One staff member.")
    async def staff_member(self, info: Info, id: strawberry.ID) -> StaffMember:
        member = await info.context.deps.staff.get(str(id))
        access.check_staff(info.context.principal, member.id, member.team)
        return StaffMember.from_model(member)

    @strawberry.field(description="The staff directory, by team and name.")
    async def staff_directory(
        self, info: Info, team: str | None = None, active_only: bool = True, first: int = 100
    ) -> list[StaffMember]:
        team = access.staff_team(info.context.principal, team)  # TEAM scope: their own team
        found = await info.context.deps.staff.directory(
            team, active_only, max(1, min(first, MAX_PAGE))
        )
        return [StaffMember.from_model(s) for s in found]


@strawberry.type
class StaffMutation:
    @strawberry.mutation(description="ADMIN: create or edit a staff record.")
    async def upsert_staff(self, info: Info, input: StaffInput) -> StaffMember:
        saved = await info.context.deps.staff.upsert(
            info.context.principal, input.to_model(), input.idempotency_key
        )
        return StaffMember.from_model(saved)


class ProvisionStaff(SchemaExtension):
    """Just-in-time staff records: a verified caller's first request creates theirs."""

    async def on_execute(self) -> AsyncIterator[None]:
        context: Context = self.execution_context.context
        principal = context.principal_or_error
        if isinstance(principal, Principal):
            await context.deps.staff.provision(principal)
        yield
