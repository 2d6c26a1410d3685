"""GraphQL types of opportunity assignment rules and of how a deal got its owner
(`Opportunity.assignedBy`), the input a rule is written with, and the enums they share."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from crm_kit.assignment_rules import STRATEGY_DESCRIPTION, STRATEGY_VALUES, Strategy
from crm_kit.graphql import described_enum
from crm_kit.idempotency_keys import KEY_MAX_CHARS
from crm_sales.assignment.rules_model import (
    MAX_CRITERIA,
    MAX_RULES,
    NAME_MAX_CHARS,
    AssignedBy,
    OpportunityRule,
    OwnerReason,
    RuleDraft,
)
from crm_sales.graphql.common import MoneyType, money_of
from crm_sales.graphql.refs import StaffEntity, staff_ref

# One enum with the customer service's (the kit's enum and texts: see crm_kit.assignment_rules).
AssignmentStrategyEnum = described_enum(
    Strategy, name="AssignmentStrategy", description=STRATEGY_DESCRIPTION, values=STRATEGY_VALUES
)
OwnerReasonEnum = described_enum(
    OwnerReason,
    name="OpportunityOwnerReason",
    description="Why an opportunity has the owner it has.",
    values={
        OwnerReason.NAMED: "Its creator named the owner or the team.",
        OwnerReason.RULE: "An opportunity assignment rule picked a member of its team "
        "(`ruleId`, `ruleName`, `strategy`).",
        OwnerReason.CUSTOMER_OWNER: "No rule matched (or its team had no active SALES member): "
        "it went to its customer's owner.",
        OwnerReason.CREATOR: "No rule matched and the customer's owner could not take it "
        "(inactive in sales, or beyond the creator's assign scope): its creator keeps it.",
        OwnerReason.ASSIGNED: "assignOpportunity or bulkAssignOpportunities gave it its "
        "current owner.",
    },
)
_ANY = "empty: any"
_LOAD = (
    "LEAST_LOADED: the member with the fewest open opportunities (ties in turn); ROUND_ROBIN: "
    "the members in turn"
)


@strawberry.type(
    name="OpportunityAssignmentRule",
    description="ADMIN's rule for the owner of a new opportunity whose writer named neither an "
    "owner nor a team: the first active rule (by position, then id) whose set criteria all "
    "match the deal picks one of its team's active SALES members (seen in sales within 30 "
    f"days). {_LOAD}.",
)
class OpportunityAssignmentRuleType:
    id: strawberry.ID = strawberry.field(description="The rule's id.")
    name: str = strawberry.field(description="The rule's name.")
    position: int = strawberry.field(description="Rules are tried by position, ascending, then id.")
    team: str = strawberry.field(description="The team whose active SALES members get the deals.")
    strategy: AssignmentStrategyEnum = strawberry.field(  # type: ignore[valid-type]
        description=f"How the owner is picked: {_LOAD}."
    )
    pipeline_ids: list[strawberry.ID] = strawberry.field(
        description=f"Matches a deal in one of these pipelines; {_ANY}."
    )
    sources: list[str] = strawberry.field(
        description=f"Matches a deal whose source is one of these (case and spacing aside); {_ANY}."
    )
    amount_min: MoneyType | None = strawberry.field(
        description="Matches a deal whose amount in the base currency is at least this; null: "
        "no lower bound. With a bound, a deal without an amount (or a rate) does not match."
    )
    amount_max: MoneyType | None = strawberry.field(
        description="Matches a deal whose amount in the base currency is below this (the band "
        "is half open: bands can follow each other); null: no upper bound."
    )
    active: bool = strawberry.field(description="Inactive rules are skipped.")
    version: int = strawberry.field(description="Its version: 1 when created, +1 per change.")
    updated_at: datetime | None = strawberry.field(
        description="When last saved (ISO 8601 date-time, UTC)."
    )
    updated_by: strawberry.ID | None = strawberry.field(
        description="Who saved it last (staff id; see `lastEditor`)."
    )

    @classmethod
    def of(cls, r: OpportunityRule) -> Self:
        return cls(
            id=strawberry.ID(r.id),
            name=r.name,
            position=r.position,
            team=r.team,
            strategy=r.strategy,
            pipeline_ids=[strawberry.ID(p) for p in r.pipeline_ids],
            sources=list(r.sources),
            amount_min=money_of(r.amount_min),
            amount_max=money_of(r.amount_max),
            active=r.active,
            version=r.version,
            updated_at=r.updated_at,
            updated_by=strawberry.ID(r.updated_by) if r.updated_by else None,
        )

    @strawberry.field(description="The member who saved it last (`updatedBy` resolved).")
    def last_editor(self) -> StaffEntity | None:
        return staff_ref(self.updated_by)


_CRITERIA = f"at most {MAX_CRITERIA} (TOO_MANY), repeats dropped"


@strawberry.input(description="An opportunity assignment rule as ADMIN writes it (all of it).")
class OpportunityAssignmentRuleInput:
    name: str = strawberry.field(
        description=f"Required (REQUIRED), at most {NAME_MAX_CHARS} characters (TOO_LONG)."
    )
    team: str = strawberry.field(
        description="The team to hand deals to (REQUIRED); a team nobody using sales belongs "
        "to is UNKNOWN_TEAM."
    )
    strategy: AssignmentStrategyEnum = strawberry.field(  # type: ignore[valid-type]
        default=Strategy.ROUND_ROBIN, description=f"How the owner is picked: {_LOAD}."
    )
    position: int = strawberry.field(default=0, description="Trying order, ascending.")
    pipeline_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description=f"Pipelines (`pipelineIds[i]` UNKNOWN_PIPELINE), {_CRITERIA}; {_ANY}.",
    )
    sources: list[str] = strawberry.field(
        default_factory=list, description=f"Deal sources, {_CRITERIA}; {_ANY}."
    )
    amount_min: str | None = strawberry.field(
        default=None,
        description="Lower bound (included) of the deal's amount in the base currency, a "
        "decimal string (`amountMin` INVALID, NOT_FINITE, NEGATIVE, PRECISION, OUT_OF_RANGE); "
        "null: none.",
    )
    amount_max: str | None = strawberry.field(
        default=None,
        description="Upper bound (excluded), as `amountMin`; not above `amountMin` "
        "(`amountMax` OUT_OF_RANGE); null: none.",
    )
    active: bool = strawberry.field(default=True, description="false: the rule is skipped.")

    def to_draft(self) -> RuleDraft:
        return RuleDraft(
            name=self.name,
            team=self.team,
            strategy=Strategy(self.strategy),
            position=self.position,
            pipeline_ids=tuple(str(p) for p in self.pipeline_ids),
            sources=tuple(self.sources),
            amount_min=self.amount_min,
            amount_max=self.amount_max,
            active=self.active,
        )


@strawberry.input(description="Which rules: every condition given must hold.")
class OpportunityAssignmentRuleFilterInput:
    pipeline_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Rules that can match a deal of this pipeline (naming it, or "
        "naming no pipeline).",
    )
    team: str | None = strawberry.field(default=None, description="Rules handing to this team.")
    active: bool | None = strawberry.field(
        default=None, description="true: active rules only; false: inactive ones only."
    )


@strawberry.type(description="The rule a create or update wrote.")
class OpportunityAssignmentRulePayload:
    rule: OpportunityAssignmentRuleType = strawberry.field(
        description="The rule, at its new version."
    )


@strawberry.type(description="The rules as `reorderOpportunityAssignmentRules` left them.")
class ReorderOpportunityAssignmentRulesPayload:
    rules: list[OpportunityAssignmentRuleType] = strawberry.field(
        description="Every rule, in its new trying order."
    )


@strawberry.type(description="What `deleteOpportunityAssignmentRule` did.")
class DeleteOpportunityAssignmentRulePayload:
    id: strawberry.ID = strawberry.field(description="The rule's id, as given.")
    deleted: bool = strawberry.field(
        description="True: the rule existed and is deleted; false: there was no such rule."
    )


@strawberry.type(
    description="How an opportunity got its current owner: the choice made when it was "
    "created, or its last assignment."
)
class OpportunityAssignedBy:
    reason: OwnerReasonEnum = strawberry.field(description="Why.")  # type: ignore[valid-type]
    rule_id: strawberry.ID | None = strawberry.field(
        description="The rule that picked the owner (RULE); null otherwise. The rule may have "
        "been changed or deleted since."
    )
    rule_name: str | None = strawberry.field(
        description="That rule's name when it picked (RULE); null otherwise."
    )
    strategy: AssignmentStrategyEnum | None = strawberry.field(  # type: ignore[valid-type]
        description="How that rule picked (RULE); null otherwise."
    )
    actor_id: strawberry.ID = strawberry.field(
        description="Who created it (NAMED, RULE, CUSTOMER_OWNER, CREATOR) or assigned it "
        "(ASSIGNED): their staff id (see `actor`)."
    )
    at: datetime = strawberry.field(description="When (ISO 8601 date-time, UTC).")

    @classmethod
    def of(cls, a: AssignedBy) -> Self:
        return cls(
            reason=a.reason,
            rule_id=strawberry.ID(a.rule_id) if a.rule_id else None,
            rule_name=a.rule_name,
            strategy=a.strategy,
            actor_id=strawberry.ID(a.actor_id),
            at=a.at,
        )

    @strawberry.field(description="The member who created or assigned it (`actorId` resolved).")
    def actor(self) -> StaffEntity | None:
        return staff_ref(self.actor_id)


RULES_ERRORS = (
    "BAD_USER_INPUT (`name`, `team` REQUIRED, TOO_LONG; `team` UNKNOWN_TEAM; `pipelineIds`, "
    "`sources` TOO_MANY; `pipelineIds[i]` UNKNOWN_PIPELINE; `sources[i]` TOO_LONG; "
    "`amountMin`, `amountMax` INVALID, NOT_FINITE, NEGATIVE, PRECISION, OUT_OF_RANGE)"
)
KEY_TEXT = (
    "Retrying with the same key returns the first rule and creates nothing "
    f"(1–{KEY_MAX_CHARS} characters, per caller)."
)
LIMIT_TEXT = f"`input` TOO_MANY (more than {MAX_RULES} rules)"
