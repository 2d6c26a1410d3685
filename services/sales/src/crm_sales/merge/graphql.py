"""GraphQL of merging: `mergeOpportunities`."""

from __future__ import annotations

from typing import Annotated

import strawberry

from crm_kit.graphql import described_enum
from crm_kit.idempotency_keys import KEY_MAX_CHARS
from crm_sales.graphql.context import Info
from crm_sales.merge.model import MergeField
from crm_sales.merge.service import MergeRequest
from crm_sales.opportunities.types import OpportunityType

described_enum(
    MergeField,
    "A field the survivor of a merge takes from the merged deal.",
    {
        MergeField.NAME: "The name.",
        MergeField.AMOUNT: "The amount and its currency (not when the merged deal has line "
        "items: those are united instead).",
        MergeField.EXPECTED_CLOSE_DATE: "The expected close date.",
        MergeField.NEXT_STEP: "The next step.",
        MergeField.SOURCE: "The source.",
    },
    name="OpportunityMergeField",
)


@strawberry.input(description="Which deal survives, which is merged into it, and how.")
class MergeOpportunitiesInput:
    survivor_id: strawberry.ID = strawberry.field(description="The deal that stays (open).")
    merged_id: strawberry.ID = strawberry.field(
        description="The deal merged into it (open, of the same customer); it is closed as "
        "MERGED, pointing at the survivor."
    )
    expected_survivor_version: int | None = strawberry.field(
        default=None, description="The survivor's version the caller saw (another: CONFLICT)."
    )
    expected_merged_version: int | None = strawberry.field(
        default=None, description="The merged deal's version the caller saw (another: CONFLICT)."
    )
    pick: list[MergeField] | None = strawberry.field(
        default=None,
        description="Fields the survivor takes from the merged deal; every other field keeps "
        "the survivor's value. Contacts and line items are always united.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description=f"Retrying with the same key answers the first merge (1–{KEY_MAX_CHARS} "
        "characters, per caller; reused for a different request: CONFLICT).",
    )

    def to_request(self) -> MergeRequest:
        return MergeRequest(
            survivor_id=str(self.survivor_id),
            merged_id=str(self.merged_id),
            survivor_version=self.expected_survivor_version,
            merged_version=self.expected_merged_version,
            picks=frozenset(MergeField(p) for p in self.pick or ()),
        )


@strawberry.type(description="What a merge left.")
class MergeOpportunitiesPayload:
    survivor: OpportunityType = strawberry.field(description="The deal that stays, as it is now.")
    merged: OpportunityType = strawberry.field(
        description="The merged deal: status MERGED, `mergedInto` the survivor."
    )


@strawberry.type
class MergeMutation:
    @strawberry.mutation(
        description="Merge a duplicate opportunity into another open deal of the same customer, "
        "in one transaction: the survivor keeps its fields except those picked, unites the "
        "contacts and line items, and records `mergedFrom` in its field history; the merged "
        "deal is closed as MERGED (`mergedInto`; listed only when a filter asks for MERGED) "
        "with a stage-history entry. Emits opportunity.merged.v1; audited. ADMIN any two deals, "
        "MANAGER two deals of their team (each owned by them or in their team), SALES none. "
        "Errors: BAD_USER_INPUT (`mergedId` SAME_OPPORTUNITY, "
        "DIFFERENT_CUSTOMER, CLOSED, CURRENCY_MISMATCH; `survivorId` CLOSED; the survivor's "
        "field errors, e.g. `amount` SET_BY_LINE_ITEMS), NOT_FOUND, CONFLICT (a stale expected "
        "version, with currentVersion; a deal already merged, naming its survivor), FORBIDDEN."
    )
    async def merge_opportunities(
        self,
        info: Info,
        input: Annotated[MergeOpportunitiesInput, strawberry.argument(description="The merge.")],
    ) -> MergeOpportunitiesPayload:
        done = await info.context.deps.merges.merge(
            info.context.principal, input.to_request(), input.idempotency_key
        )
        return MergeOpportunitiesPayload(
            survivor=OpportunityType.of(done.survivor), merged=OpportunityType.of(done.merged)
        )
