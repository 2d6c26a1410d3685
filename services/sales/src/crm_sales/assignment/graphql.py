"""GraphQL of ownership: `assignOpportunity` and `bulkAssignOpportunities` (the customer
service's `assignCustomer` / `bulkUpdateCustomers` shapes: a payload, and one result per
item)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from crm_sales.assignment.service import BulkResult
from crm_sales.graphql.context import Info
from crm_sales.opportunities.graphql import OpportunityId, OpportunityPayload
from crm_sales.opportunities.inputs import OpportunityFilterInput
from crm_sales.opportunities.types import OpportunityType

OwnerId = Annotated[strawberry.ID, strawberry.argument(description="The new owner's staff id.")]
Team = Annotated[
    str | None,
    strawberry.argument(description="The new team (at most 100 characters); null keeps the team."),
]
_ROLES = (
    "ADMIN any deal to anyone; MANAGER a deal of their team, to a place still in their team "
    "(the new owner, or the deal's team); SALES none (not even their own deals)"
)


@strawberry.type(name="OpportunityBulkItemResult", description="What a bulk call did to a deal.")
class BulkItemResultType:
    id: strawberry.ID = strawberry.field(description="The opportunity's id.")
    ok: bool = strawberry.field(description="Assigned (or already as asked).")
    version: int | None = strawberry.field(
        description="Its version after the call; null when it failed."
    )
    code: str | None = strawberry.field(
        description="Why it failed: FORBIDDEN, NOT_FOUND, CONFLICT (a merged deal) or a "
        "field-error code; null on success."
    )
    message: str | None = strawberry.field(
        description="The failure in words (a field error as `field: message`), in the caller's "
        "language; null on success."
    )


@strawberry.type(name="OpportunityBulkResult", description="What a bulk call did: one result each.")
class BulkResultType:
    succeeded: int = strawberry.field(description="Deals assigned (or already as asked).")
    failed: int = strawberry.field(description="Deals not changed, refused ones included.")
    truncated: bool = strawberry.field(
        description="The filter matched more deals than one call changes (500 by default): "
        "only the oldest were assigned; call again to go on."
    )
    items: list[BulkItemResultType] = strawberry.field(
        description="One result per deal, in the order of `ids` (or oldest first for a filter)."
    )

    @classmethod
    def of(cls, result: BulkResult) -> BulkResultType:
        items = [
            BulkItemResultType(
                id=strawberry.ID(i.id), ok=i.ok, version=i.version, code=i.code, message=i.message
            )
            for i in result.items
        ]
        failed = len(items) - result.succeeded
        return cls(
            succeeded=result.succeeded, failed=failed, truncated=result.truncated, items=items
        )


@strawberry.type
class AssignmentMutation:
    @strawberry.mutation(
        description=f"Give an opportunity another owner (and team): {_ROLES}. Recorded in its "
        "field history (`ownerId`, `team`); emits opportunity.assigned.v1, which tells the new "
        "owner unless they assigned it to themselves. The same owner and team again changes "
        "nothing. Errors: BAD_USER_INPUT (`ownerId` REQUIRED, TOO_LONG; `team` TOO_LONG), "
        "NOT_FOUND, CONFLICT (expectedVersion, with currentVersion; a merged deal, naming its "
        "survivor), FORBIDDEN."
    )
    async def assign_opportunity(
        self,
        info: Info,
        id: OpportunityId,
        owner_id: OwnerId,
        team: Team = None,
        expected_version: Annotated[
            int | None,
            strawberry.argument(
                description="The version the caller last saw (another one: CONFLICT)."
            ),
        ] = None,
    ) -> OpportunityPayload:
        done = await info.context.deps.assignment.assign(
            info.context.principal, str(id), str(owner_id), team, expected_version
        )
        return OpportunityPayload(opportunity=OpportunityType.of(done))

    @strawberry.mutation(
        description=f"Assign many opportunities to one owner (and team): {_ROLES}; the call "
        "needs a bulk scope (ADMIN, MANAGER). Each deal commits on its own and reports its "
        "result, like assignOpportunity each. Errors: BAD_USER_INPUT (`ids` IDS_OR_FILTER, "
        "TOO_MANY; `ownerId` REQUIRED; the filter's field errors), FORBIDDEN (no bulk scope)."
    )
    async def bulk_assign_opportunities(
        self,
        info: Info,
        owner_id: OwnerId,
        ids: Annotated[
            list[strawberry.ID] | None,
            strawberry.argument(
                description="The deals, at most 500 (repeats count once); give `ids` or "
                "`filter`, not both."
            ),
        ] = None,
        filter: Annotated[
            OpportunityFilterInput | None,
            strawberry.argument(
                description="Or the deals matching this filter within the caller's bulk scope "
                "(merged ones only when `statuses` names MERGED): the oldest 500."
            ),
        ] = None,
        team: Team = None,
    ) -> BulkResultType:
        result = await info.context.deps.assignment.bulk_assign(
            info.context.principal,
            ids=[str(i) for i in ids] if ids is not None else None,
            where=filter.to_filter() if filter is not None else None,
            owner_id=str(owner_id),
            team=team,
        )
        return BulkResultType.of(result)
