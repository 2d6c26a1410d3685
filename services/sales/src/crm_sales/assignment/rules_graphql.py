"""GraphQL of opportunity assignment rules: the list (ADMIN, MANAGER), ADMIN's create,
update, delete and reorder; `assigned_by`, the per-request loader behind
`Opportunity.assignedBy`; and `ProvisionSalesStaff`, which records each caller in the staff
the rules pick from."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import strawberry
from strawberry.extensions import SchemaExtension

from crm_kit.auth import Principal
from crm_kit.graphql import ExpectedVersion
from crm_sales.assignment.rules_model import AssignedBy
from crm_sales.assignment.rules_service import RuleFilter
from crm_sales.assignment.rules_types import (
    KEY_TEXT,
    LIMIT_TEXT,
    RULES_ERRORS,
    DeleteOpportunityAssignmentRulePayload,
    OpportunityAssignedBy,
    OpportunityAssignmentRuleFilterInput,
    OpportunityAssignmentRuleInput,
    OpportunityAssignmentRulePayload,
    OpportunityAssignmentRuleType,
    ReorderOpportunityAssignmentRulesPayload,
)
from crm_sales.graphql.context import Context, Info

RuleId = Annotated[strawberry.ID, strawberry.argument(description="The rule's id.")]
RuleInput = Annotated[
    OpportunityAssignmentRuleInput, strawberry.argument(description="The whole rule.")
]


async def assigned_by(info: Info, opportunity_id: str) -> OpportunityAssignedBy | None:
    """How the deal got its owner (loaded in batches: one read per response)."""
    rules = info.context.deps.assignment_rules

    async def load(ids: list[str]) -> list[AssignedBy | None]:
        found = await rules.assigned_by(ids)
        return [found.get(i) for i in ids]

    loader = info.context.loader("sales.assignedBy", load)
    found: AssignedBy | None = await loader.load(opportunity_id)
    return OpportunityAssignedBy.of(found) if found is not None else None


class ProvisionSalesStaff(SchemaExtension):
    """Every verified caller is recorded (and their last sighting moved on) before their
    operation runs: rules pick owners among the people who use the service."""

    async def on_execute(self) -> AsyncIterator[None]:
        context: Context = self.execution_context.context
        principal = context.principal_or_error
        if isinstance(principal, Principal):
            await context.deps.assignment_rules.provision(principal)
        yield


@strawberry.type
class AssignmentRuleQuery:
    @strawberry.field(
        description="ADMIN/MANAGER: the opportunity assignment rules `filter` keeps, in the "
        "order they are tried (at most 200). Errors: FORBIDDEN."
    )
    async def opportunity_assignment_rules(
        self,
        info: Info,
        filter: Annotated[
            OpportunityAssignmentRuleFilterInput | None,
            strawberry.argument(description="Which rules; every rule when omitted."),
        ] = None,
    ) -> list[OpportunityAssignmentRuleType]:
        given = filter or OpportunityAssignmentRuleFilterInput()
        where = RuleFilter(
            pipeline_id=str(given.pipeline_id) if given.pipeline_id else None,
            team=given.team,
            active=given.active,
        )
        rules = await info.context.deps.assignment_rules.list_rules(info.context.principal, where)
        return [OpportunityAssignmentRuleType.of(r) for r in rules]


@strawberry.type
class AssignmentRuleMutation:
    @strawberry.mutation(
        description=f"ADMIN: add an opportunity assignment rule (version 1). Errors: "
        f"{RULES_ERRORS}; {LIMIT_TEXT}; `idempotencyKey` REQUIRED, TOO_LONG), CONFLICT "
        "(idempotencyKey reused for a different rule), FORBIDDEN."
    )
    async def create_opportunity_assignment_rule(
        self,
        info: Info,
        input: RuleInput,
        idempotency_key: Annotated[str | None, strawberry.argument(description=KEY_TEXT)] = None,
    ) -> OpportunityAssignmentRulePayload:
        rules = info.context.deps.assignment_rules
        created = await rules.create(info.context.principal, input.to_draft(), idempotency_key)
        return OpportunityAssignmentRulePayload(rule=OpportunityAssignmentRuleType.of(created))

    @strawberry.mutation(
        description=f"ADMIN: replace a rule with `input` (its next version). Errors: "
        f"{RULES_ERRORS}, NOT_FOUND, CONFLICT (expectedVersion, with currentVersion), "
        "FORBIDDEN."
    )
    async def update_opportunity_assignment_rule(
        self,
        info: Info,
        id: RuleId,
        input: RuleInput,
        expected_version: ExpectedVersion = None,
    ) -> OpportunityAssignmentRulePayload:
        rules = info.context.deps.assignment_rules
        updated = await rules.update(
            info.context.principal, str(id), input.to_draft(), expected_version
        )
        return OpportunityAssignmentRulePayload(rule=OpportunityAssignmentRuleType.of(updated))

    @strawberry.mutation(
        description="ADMIN: delete a rule (deals it chose keep their owners and `assignedBy`). "
        "Errors: CONFLICT (expectedVersion, with currentVersion), FORBIDDEN."
    )
    async def delete_opportunity_assignment_rule(
        self, info: Info, id: RuleId, expected_version: ExpectedVersion = None
    ) -> DeleteOpportunityAssignmentRulePayload:
        rules = info.context.deps.assignment_rules
        deleted = await rules.delete(info.context.principal, str(id), expected_version)
        return DeleteOpportunityAssignmentRulePayload(id=id, deleted=deleted)

    @strawberry.mutation(
        description="ADMIN: put rules in trying order: `ids` first, in that order, then the "
        "others in their current order; positions become 0, 1, 2 … (a rule whose position "
        "changes gets its next version); answers every rule in the new order. Errors: "
        "BAD_USER_INPUT (`ids[i]` UNKNOWN_RULE, DUPLICATE_ID), FORBIDDEN."
    )
    async def reorder_opportunity_assignment_rules(
        self,
        info: Info,
        ids: Annotated[
            list[strawberry.ID],
            strawberry.argument(description="Rule ids, in the order they are to be tried."),
        ],
    ) -> ReorderOpportunityAssignmentRulesPayload:
        rules = info.context.deps.assignment_rules
        ordered = await rules.reorder(info.context.principal, [str(i) for i in ids])
        return ReorderOpportunityAssignmentRulesPayload(
            rules=[OpportunityAssignmentRuleType.of(r) for r in ordered]
        )
