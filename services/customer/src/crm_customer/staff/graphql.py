"""Staff directory in the customer subgraph: queries, ADMIN mutations, JIT provisioning."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Self

import strawberry
from strawberry.extensions import SchemaExtension

from crm_customer import access
from crm_customer.graphql.context import Context, Info
from crm_customer.staff.model import Staff, StaffDraft
from crm_kit.auth import Principal

MAX_PAGE = 200
_ROLES = "ADMIN, MANAGER, SALES, SERVICE, ANALYST"


@strawberry.type(
    description="A member of staff: owner of customers, receiver of notices. Created from a "
    "user's token on their first request, then managed by ADMIN (token claims never overwrite "
    "what an ADMIN set). ADMIN reads every member; MANAGER, SALES and SERVICE their own team."
)
class StaffMember:
    id: strawberry.ID = strawberry.field(
        description="The staff id: the `sub` of the member's tokens (what `ownerId` holds)."
    )
    name: str = strawberry.field(description="Display name (at most 100 characters).")
    email: str | None = strawberry.field(description="E-mail address, lower-cased; null: none.")
    team: str | None = strawberry.field(description="The member's team; null: none.")
    roles: list[str] = strawberry.field(
        description=f"Recorded roles ({_ROLES}); assignment rules pick among a team's active "
        "SALES. What a request may do comes from its token's roles."
    )
    active: bool = strawberry.field(
        description="Inactive members cannot be given customers (INACTIVE_STAFF) nor picked "
        "by assignment rules."
    )
    created_at: datetime = strawberry.field(
        description="When the record was created (ISO 8601 date-time, UTC)."
    )
    updated_at: datetime = strawberry.field(
        description="When the record last changed (ISO 8601 date-time, UTC)."
    )

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


@strawberry.input(
    description="A staff record as ADMIN writes it: new, or replacing the one with this id."
)
class StaffInput:
    id: strawberry.ID = strawberry.field(
        description="The staff id: the `sub` of their tokens (REQUIRED)."
    )
    name: str = strawberry.field(
        description="1–100 characters, whitespace collapsed (REQUIRED, TOO_LONG)."
    )
    email: str | None = strawberry.field(default=None, description="E-mail (INVALID_EMAIL).")
    team: str | None = strawberry.field(default=None, description="Team; blank: none.")
    roles: list[str] = strawberry.field(
        default_factory=list, description=f"Any of {_ROLES} (UNKNOWN_ROLE otherwise)."
    )
    active: bool = strawberry.field(default=True, description="false deactivates the member.")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="1–200 characters. Retrying with the same key returns the first result.",
    )

    def to_model(self) -> StaffDraft:
        return StaffDraft(
            str(self.id), self.name, self.email, self.team, list(self.roles), self.active
        )


@strawberry.type
class StaffQuery:
    @strawberry.field(
        description="One staff member. Errors: NOT_FOUND, FORBIDDEN (outside the caller's "
        "team, unless ADMIN; ANALYST)."
    )
    async def staff_member(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The staff id.")],
    ) -> StaffMember:
        member = await info.context.deps.staff.get(str(id))
        access.check_staff(info.context.principal, member.id, member.team)
        return StaffMember.from_model(member)

    @strawberry.field(
        description="The staff directory, by team and name. ADMIN: any team; MANAGER, SALES, "
        "SERVICE: their own. Errors: FORBIDDEN (another team; ANALYST)."
    )
    async def staff_directory(
        self,
        info: Info,
        team: Annotated[
            str | None,
            strawberry.argument(
                description="Only this team (null: ADMIN every team, others their own)."
            ),
        ] = None,
        active_only: Annotated[
            bool, strawberry.argument(description="Only active members (default true).")
        ] = True,
        first: Annotated[
            int,
            strawberry.argument(
                description=f"At most this many, 1–{MAX_PAGE} (a value outside is brought "
                "within); default 100."
            ),
        ] = 100,
    ) -> list[StaffMember]:
        team = access.staff_team(info.context.principal, team)  # TEAM scope: their own team
        found = await info.context.deps.staff.directory(
            team, active_only, max(1, min(first, MAX_PAGE))
        )
        return [StaffMember.from_model(s) for s in found]


@strawberry.type
class StaffMutation:
    @strawberry.mutation(
        description="ADMIN: create or edit a staff record. Errors: BAD_USER_INPUT (`id`, `name` "
        "REQUIRED; `name` TOO_LONG; `email` INVALID_EMAIL; `roles` UNKNOWN_ROLE; "
        "`idempotencyKey` REQUIRED, TOO_LONG), FORBIDDEN."
    )
    async def upsert_staff(
        self,
        info: Info,
        input: Annotated[StaffInput, strawberry.argument(description="The staff record.")],
    ) -> StaffMember:
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
