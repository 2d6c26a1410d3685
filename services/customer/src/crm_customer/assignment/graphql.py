"""GraphQL of the assignment rules: the rules, a preview of who they would pick, and the
ADMIN's edits."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from crm_customer.assignment.model import Assignment, Rule, Strategy
from crm_customer.graphql.context import Info
from crm_kit.auth import Role

AssignmentStrategyEnum = strawberry.enum(Strategy, name="AssignmentStrategy")


@strawberry.type(
    description="Owner by rule: the first active rule (by position) whose set criteria all "
    "match the new customer's province, city and industry picks one of its team's active SALES "
    "staff, ROUND_ROBIN or LEAST_LOADED (fewest live customers)."
)
class AssignmentRule:
    id: strawberry.ID
    name: str
    position: int
    team: str
    strategy: AssignmentStrategyEnum  # type: ignore[valid-type]
    provinces: list[str]
    cities: list[str]
    industries: list[str]
    active: bool
    updated_at: datetime | None
    updated_by: str | None

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
            updated_by=r.updated_by,
        )


@strawberry.input
class AssignmentRuleInput:
    id: strawberry.ID | None = strawberry.field(default=None, description="None: a new rule.")
    name: str
    team: str
    strategy: AssignmentStrategyEnum = Strategy.ROUND_ROBIN  # type: ignore[valid-type]
    position: int = 0
    provinces: list[str] = strawberry.field(default_factory=list)
    cities: list[str] = strawberry.field(default_factory=list)
    industries: list[str] = strawberry.field(default_factory=list, description="GB/T 4754 A–T")
    active: bool = True
    idempotency_key: str | None = None

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


@strawberry.type
class AssignmentPreview:
    owner_id: strawberry.ID
    team: str
    rule_id: strawberry.ID
    strategy: AssignmentStrategyEnum  # type: ignore[valid-type]

    @classmethod
    def from_model(cls, a: Assignment) -> Self:
        return cls(
            owner_id=strawberry.ID(a.owner_id),
            team=a.team,
            rule_id=strawberry.ID(a.rule_id),
            strategy=Strategy(a.strategy),
        )


@strawberry.type
class AssignmentQuery:
    @strawberry.field(description="ADMIN/MANAGER: the assignment rules in the order tried.")
    async def assignment_rules(self, info: Info) -> list[AssignmentRule]:
        info.context.principal.require_role(Role.ADMIN, Role.MANAGER)
        rules = await info.context.deps.assignment.list_rules()
        return [AssignmentRule.from_model(r) for r in rules]

    @strawberry.field(
        description="ADMIN/MANAGER: who the rules would pick now for a customer in this "
        "place and industry (does not take a round-robin turn)."
    )
    async def assignment_preview(
        self,
        info: Info,
        province: str | None = None,
        city: str | None = None,
        industry: str | None = None,
    ) -> AssignmentPreview | None:
        info.context.principal.require_role(Role.ADMIN, Role.MANAGER)
        chosen = await info.context.deps.assignment.preview(province, city, industry)
        return AssignmentPreview.from_model(chosen) if chosen else None


@strawberry.type
class AssignmentMutation:
    @strawberry.mutation(description="ADMIN: create (no id) or replace an assignment rule.")
    async def save_assignment_rule(self, info: Info, input: AssignmentRuleInput) -> AssignmentRule:
        saved = await info.context.deps.assignment.save_rule(
            info.context.principal, input.to_model(), input.idempotency_key
        )
        return AssignmentRule.from_model(saved)

    @strawberry.mutation(description="ADMIN: delete an assignment rule.")
    async def delete_assignment_rule(self, info: Info, id: strawberry.ID) -> bool:
        return await info.context.deps.assignment.delete_rule(info.context.principal, str(id))
