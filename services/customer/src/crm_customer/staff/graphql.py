"""Staff directory in the customer subgraph: queries, ADMIN mutations, JIT provisioning."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Self

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.extensions import SchemaExtension

from crm_customer import access
from crm_customer.graphql.context import Context, Info
from crm_customer.staff.model import Staff, StaffDraft, StaffFilter
from crm_kit.auth import Principal
from crm_kit.errors import BadUserInput, Forbidden
from crm_kit.graphql import PageAfter, PageFirst, PageInfo, page_info
from crm_kit.paging import decode_position, encode_position, page_size
from crm_kit.policy import MAX_FILTER_TEXT, check_sizes

DEFAULT_STAFF_PAGE = 100
_DIRECTORY = "staff"  # the cursor's list: the directory by team, name and id
_ROLES = "ADMIN, MANAGER, SALES, SERVICE, ANALYST"


@strawberry.federation.type(
    keys=["id"],
    description="A member of staff: owner of customers, assignee of tickets and tasks, author "
    "and actor of records, receiver of notices. Created from a user's token on their first "
    "request, then managed by ADMIN (token claims never overwrite what an ADMIN set). Any "
    "authenticated caller reads a member that a record refers to (`owner`, `assignee`, "
    "`author`, `actor`, …; null when the id is not in the directory); `email` only as the "
    "directory shows it: ADMIN every member's, MANAGER, SALES and SERVICE their own team's.",
)
class StaffMember:
    id: strawberry.ID = strawberry.field(
        description="The staff id: the `sub` of the member's tokens (what `ownerId`, "
        "`assigneeId`, `actorId` and the like hold)."
    )
    name: str = strawberry.field(description="Display name (at most 100 characters).")
    email: str | None = strawberry.field(
        description="E-mail address, lower-cased; null: none, or the caller may not read the "
        "member in the staff directory (another team, unless ADMIN; ANALYST)."
    )
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
    def from_model(cls, s: Staff, *, email_shown: bool = True) -> Self:
        return cls(
            id=strawberry.ID(s.id),
            name=s.name,
            email=s.email if email_shown else None,
            team=s.team,
            roles=s.roles,
            active=s.active,
            created_at=s.created_at,
            updated_at=s.updated_at,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        """A reference from any subgraph; `_entities` resolves a whole batch in one read."""
        return await staff_member(info, str(id))  # type: ignore[return-value]

    @classmethod
    def referred(cls, info: Info, member: Staff) -> Self:
        """A member some record refers to: e-mail only where the directory shows it."""
        try:
            access.check_staff(info.context.principal, member.id, member.team)
        except Forbidden:
            return cls.from_model(member, email_shown=False)
        return cls.from_model(member)


def staff_loader(info: Info) -> DataLoader[str, Staff | None]:
    """Per-request DataLoader of staff records: one read per batch; None for an id not in
    the directory. Any authenticated caller may load (the caller is checked first)."""
    staff = info.context.deps.staff

    async def load(ids: list[str]) -> list[Staff | None]:
        found = await staff.get_many(ids)
        return [found.get(i) for i in ids]

    return info.context.loader("staff", load)


async def staff_member(info: Info, id: str | None) -> StaffMember | None:
    """The member a field refers to by id (batched); null when none or not in the directory."""
    if not id:
        return None
    info.context.principal  # noqa: B018 - authenticate before any data is read
    found = await staff_loader(info).load(id)
    return None if found is None else StaffMember.referred(info, found)


@strawberry.type(description="One member of a page of the staff directory.")
class StaffMemberEdge:
    cursor: str = strawberry.field(
        description="Opaque cursor of this member: pass it as `after` for the members after it."
    )
    node: StaffMember = strawberry.field(description="The member.")


@strawberry.type(
    description="A page of the staff directory, by team (no team first) and name, paged with "
    "`first` / `after`."
)
class StaffMemberConnection:
    edges: list[StaffMemberEdge] = strawberry.field(description="The members of this page.")
    page_info: PageInfo = strawberry.field(
        description="Where this page ends and whether another follows."
    )
    total_count: int = strawberry.field(
        description="How many members match the filter, over all pages."
    )


@strawberry.input(
    description="Which members of the staff directory: every condition given must hold."
)
class StaffFilterInput:
    team: str | None = strawberry.field(
        default=None,
        description="Only this team's members. Null: ADMIN every team, MANAGER, SALES and "
        "SERVICE their own; another team than the caller's is FORBIDDEN unless ADMIN.",
    )
    include_inactive: bool = strawberry.field(
        default=False,
        description="Inactive members too; false (the default): only active members.",
    )
    text: str | None = strawberry.field(
        default=None,
        description="Only members whose name or staff id starts with this text, in any case "
        f"(whitespace collapsed; blank: no condition); at most {MAX_FILTER_TEXT} characters "
        "(`filter.text` TOO_LONG).",
    )

    def to_model(self) -> StaffFilter:
        check_sizes({"filter.team": self.team, "filter.text": self.text})
        return StaffFilter(self.team, self.include_inactive, self.text)


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
    ) -> StaffMember | None:
        member = await info.context.deps.staff.get(str(id))
        access.check_staff(info.context.principal, member.id, member.team)
        return StaffMember.from_model(member)

    @strawberry.field(
        description="The staff directory, by team (no team first), name and id. ADMIN: any "
        "team; MANAGER, SALES, SERVICE: their own. Errors: BAD_USER_INPUT (`first` "
        "OUT_OF_RANGE, `after` INVALID_CURSOR, `filter.team` and `filter.text` TOO_LONG), "
        "FORBIDDEN (another team; ANALYST)."
    )
    async def staff_directory(
        self,
        info: Info,
        filter: Annotated[
            StaffFilterInput | None,
            strawberry.argument(
                description="Which members; null: the active members of every team the caller "
                "may list."
            ),
        ] = None,
        first: PageFirst = DEFAULT_STAFF_PAGE,
        after: PageAfter = None,
    ) -> StaffMemberConnection:
        flt = (filter or StaffFilterInput()).to_model()
        # TEAM scope: their own team
        flt = replace(flt, team=access.staff_team(info.context.principal, flt.team))
        size = page_size(first, DEFAULT_STAFF_PAGE, access.options())
        position = None
        if after is not None:
            last_team, name, id = decode_position(after, (object, str, str), _DIRECTORY)
            if last_team is not None and not isinstance(last_team, str):
                raise BadUserInput.single("after", "INVALID_CURSOR", "after is not a valid cursor")
            position = (last_team, name, id)
        found, total = await info.context.deps.staff.directory_page(flt, size + 1, position)
        edges = [
            StaffMemberEdge(
                cursor=encode_position([s.team, s.name, s.id], _DIRECTORY),
                node=StaffMember.from_model(s),
            )
            for s in found[:size]
        ]
        return StaffMemberConnection(
            edges=edges,
            page_info=page_info([e.cursor for e in edges], len(found) > size, after is not None),
            total_count=total,
        )


async def _save_staff_member(
    info: Info,
    input: Annotated[StaffInput, strawberry.argument(description="The staff record.")],
) -> StaffMember:
    """saveStaffMember and its deprecated alias upsertStaff."""
    saved = await info.context.deps.staff.upsert(
        info.context.principal, input.to_model(), input.idempotency_key
    )
    return StaffMember.from_model(saved)


@strawberry.type
class StaffMutation:
    save_staff_member = strawberry.mutation(
        resolver=_save_staff_member,
        description="ADMIN: create or replace a staff record by its `id` (an upsert). Errors: "
        "BAD_USER_INPUT (`id`, `name` REQUIRED; `name` TOO_LONG; `email` INVALID_EMAIL; `roles` "
        "UNKNOWN_ROLE; `idempotencyKey` REQUIRED, TOO_LONG), FORBIDDEN.",
    )
    upsert_staff = strawberry.mutation(
        resolver=_save_staff_member,
        description="ADMIN: create or edit a staff record; the former name of saveStaffMember "
        "(same input, same result, same errors).",
        deprecation_reason="Use saveStaffMember; removed in the next major release.",
    )


class ProvisionStaff(SchemaExtension):
    """Just-in-time staff records: a verified caller's first request creates theirs."""

    async def on_execute(self) -> AsyncIterator[None]:
        context: Context = self.execution_context.context
        principal = context.principal_or_error
        if isinstance(principal, Principal):
            await context.deps.staff.provision(principal)
        yield
