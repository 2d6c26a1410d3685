"""GraphQL of the assignment rules: the rules, a preview of who they would pick, and the
ADMIN's edits."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

import strawberry

from crm_customer.assignment.model import MAX_CRITERIA, MAX_RULES, Assignment, Rule, Strategy
from crm_customer.graphql.context import Info
from crm_customer.staff.graphql import StaffMember, staff_member
from crm_kit.assignment_rules import STRATEGY_DESCRIPTION, STRATEGY_VALUES
from crm_kit.auth import Role
from crm_kit.graphql import described_enum

# The kit's enum and texts: the sales service exposes the same enum (see crm_kit.assignment_rules).
AssignmentStrategyEnum = described_enum(
    Strategy, name="AssignmentStrategy", description=STRATEGY_DESCRIPTION, values=STRATEGY_VALUES
)
_ANY = "empty: any"
_CRITERIA = f"at most {MAX_CRITERIA} (TOO_MANY), blanks and repeats dropped"


@strawberry.type(
    description="Owner by rule: the first active rule (by position) whose set criteria all "
    "match the new customer's province, city and industry picks one of its team's active SALES "
    "staff, ROUND_ROBIN or LEAST_LOADED (fewest live customers)."
)
class AssignmentRule:
    id: strawberry.ID = strawberry.field(description="The rule's id.")
    name: str = strawberry.field(description="The rule's name.")
    position: int = strawberry.field(
        description="Rules are tried by position, ascending (then by id)."
    )
    team: str = strawberry.field(description="The team whose active SALES staff get customers.")
    strategy: AssignmentStrategyEnum = strawberry.field(  # type: ignore[valid-type]
        description="How the owner is picked."
    )
    provinces: list[str] = strawberry.field(
        description=f"Matches a customer whose region (first address's province) is one of "
        f"these; {_ANY}."
    )
    cities: list[str] = strawberry.field(
        description=f"Matches a customer whose first address's city is one of these; {_ANY}."
    )
    industries: list[str] = strawberry.field(
        description=f"Matches a customer whose GB/T 4754 section is one of these; {_ANY}."
    )
    active: bool = strawberry.field(description="Inactive rules are skipped.")
    updated_at: datetime | None = strawberry.field(
        description="When last saved (ISO 8601 date-time, UTC); null when not recorded."
    )
    updated_by: strawberry.ID | None = strawberry.field(
        description="Who saved it last (staff id; see `lastEditor`); null when not recorded."
    )

    @classmethod
    def from_model(cls, r: Rule) -> Self:
        return cls(
            id=strawberry.ID(r.id),
            name=r.name,
            position=r.position,
            team=r.team,
            strategy=r.strategy,
            provinces=list(r.provinces),
            cities=list(r.cities),
            industries=list(r.industries),
            active=r.active,
            updated_at=r.updated_at,
            updated_by=strawberry.ID(r.updated_by) if r.updated_by else None,
        )

    @strawberry.field(
        description="The staff member who saved it last (`updatedBy` resolved; loaded in "
        "batches); null when not recorded or the id is not in the staff directory."
    )
    async def last_editor(self, info: Info) -> StaffMember | None:
        return await staff_member(info, self.updated_by)


@strawberry.input(description="An assignment rule as ADMIN saves it.")
class AssignmentRuleInput:
    id: strawberry.ID | None = strawberry.field(
        default=None,
        description=f"None: a new rule (at most {MAX_RULES}: `id` TOO_MANY); else the rule it "
        "replaces (NOT_FOUND when unknown).",
    )
    name: str = strawberry.field(description="Required (REQUIRED); whitespace collapsed.")
    team: str = strawberry.field(description="The team to assign to (REQUIRED).")
    strategy: AssignmentStrategyEnum = strawberry.field(  # type: ignore[valid-type]
        default=Strategy.ROUND_ROBIN, description="How the owner is picked; ROUND_ROBIN."
    )
    position: int = strawberry.field(default=0, description="Trying order, ascending.")
    provinces: list[str] = strawberry.field(
        default_factory=list, description=f"Provinces, {_CRITERIA}; {_ANY}."
    )
    cities: list[str] = strawberry.field(
        default_factory=list, description=f"Cities, {_CRITERIA}; {_ANY}."
    )
    industries: list[str] = strawberry.field(
        default_factory=list,
        description=f"GB/T 4754 A–T (`industries[i]` INVALID_INDUSTRY), {_CRITERIA}; {_ANY}.",
    )
    active: bool = strawberry.field(default=True, description="false: the rule is skipped.")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="1–200 characters. Retrying with the same key returns the first result.",
    )

    def to_model(self) -> Rule:
        return Rule(
            id=str(self.id) if self.id else "",
            name=self.name,
            team=self.team,
            strategy=Strategy(self.strategy),
            position=self.position,
            provinces=list(self.provinces),
            cities=list(self.cities),
            industries=list(self.industries),
            active=self.active,
        )


@strawberry.type(description="Who the assignment rules would pick, and by which rule.")
class AssignmentPreview:
    owner_id: strawberry.ID = strawberry.field(
        description="The staff member picked (their staff id; see `owner`)."
    )
    team: str = strawberry.field(description="The rule's team.")
    rule_id: strawberry.ID = strawberry.field(description="The first matching rule.")
    strategy: AssignmentStrategyEnum = strawberry.field(  # type: ignore[valid-type]
        description="How it picked."
    )

    @classmethod
    def from_model(cls, a: Assignment) -> Self:
        return cls(
            owner_id=strawberry.ID(a.owner_id),
            team=a.team,
            rule_id=strawberry.ID(a.rule_id),
            strategy=Strategy(a.strategy),
        )

    @strawberry.field(
        description="The staff member picked (`ownerId` resolved; loaded in batches); null "
        "when the id is not in the staff directory."
    )
    async def owner(self, info: Info) -> StaffMember | None:
        return await staff_member(info, self.owner_id)


@strawberry.type(description="What `deleteAssignmentRule` did.")
class DeleteAssignmentRulePayload:
    id: strawberry.ID = strawberry.field(description="The rule's id, as given.")
    deleted: bool = strawberry.field(
        description="True: the rule existed and is deleted; false: there was no such rule."
    )


@strawberry.type
class AssignmentQuery:
    @strawberry.field(
        description="ADMIN/MANAGER: the assignment rules in the order tried. Errors: FORBIDDEN."
    )
    async def assignment_rules(self, info: Info) -> list[AssignmentRule]:
        info.context.principal.require_role(Role.ADMIN, Role.MANAGER)
        rules = await info.context.deps.assignment.list_rules()
        return [AssignmentRule.from_model(r) for r in rules]

    @strawberry.field(
        description="ADMIN/MANAGER: who the rules would pick now for a customer in this "
        "place and industry (does not take a round-robin turn); null when no rule matches or "
        "its team has no active SALES staff. Errors: FORBIDDEN."
    )
    async def assignment_preview(
        self,
        info: Info,
        province: Annotated[
            str | None, strawberry.argument(description="The customer's province (region).")
        ] = None,
        city: Annotated[str | None, strawberry.argument(description="The customer's city.")] = None,
        industry: Annotated[
            str | None, strawberry.argument(description="Its GB/T 4754 section, A–T.")
        ] = None,
    ) -> AssignmentPreview | None:
        info.context.principal.require_role(Role.ADMIN, Role.MANAGER)
        chosen = await info.context.deps.assignment.preview(province, city, industry)
        return AssignmentPreview.from_model(chosen) if chosen else None


@strawberry.type
class AssignmentMutation:
    @strawberry.mutation(
        description="ADMIN: create (no id) or replace an assignment rule. Errors: "
        "BAD_USER_INPUT (`name`, `team` REQUIRED; `provinces`, `cities`, `industries` TOO_MANY; "
        "`industries[i]` INVALID_INDUSTRY; `id` TOO_MANY; `idempotencyKey` REQUIRED, TOO_LONG), "
        "NOT_FOUND, FORBIDDEN."
    )
    async def save_assignment_rule(
        self,
        info: Info,
        input: Annotated[AssignmentRuleInput, strawberry.argument(description="The rule.")],
    ) -> AssignmentRule:
        saved = await info.context.deps.assignment.save_rule(
            info.context.principal, input.to_model(), input.idempotency_key
        )
        return AssignmentRule.from_model(saved)

    @strawberry.mutation(description="ADMIN: delete an assignment rule. Errors: FORBIDDEN.")
    async def delete_assignment_rule(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The rule's id.")],
    ) -> DeleteAssignmentRulePayload:
        deleted = await info.context.deps.assignment.delete_rule(info.context.principal, str(id))
        return DeleteAssignmentRulePayload(id=id, deleted=deleted)
