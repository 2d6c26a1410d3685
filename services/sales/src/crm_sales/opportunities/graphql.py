"""GraphQL of opportunities: `opportunity(id)` and the writes — `createOpportunity`,
`convertLeadToOpportunity`, `updateOpportunity`, `moveOpportunity` and `reopenOpportunity`
(the lists are in `lists`)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from crm_kit.errors import NotFound
from crm_kit.idempotency_keys import KEY_MAX_CHARS
from crm_kit.policy import Action
from crm_sales import access
from crm_sales.graphql.context import Info
from crm_sales.opportunities.conversion import LeadConversion, convert_lead
from crm_sales.opportunities.inputs import (
    CreateOpportunityInput,
    MoveOpportunityInput,
    OpportunityFieldsInput,
    ReopenOpportunityInput,
)
from crm_sales.opportunities.requests import CreateRequest, MoveRequest
from crm_sales.opportunities.types import OpportunityType
from crm_sales.opportunities.values import NAME_MAX_CHARS

OpportunityId = Annotated[strawberry.ID, strawberry.argument(description="The opportunity's id.")]
_FIELD_ERRORS = (
    "`name` REQUIRED, TOO_LONG; `currency` INVALID_CURRENCY; `amount` INVALID, "
    "FLOAT_NOT_ALLOWED, NOT_FINITE, NEGATIVE, PRECISION, OUT_OF_RANGE, SET_BY_LINE_ITEMS; "
    "`expectedCloseDate` INVALID_DATE, OUT_OF_RANGE; `lineItems[i].productId` UNKNOWN_PRODUCT, "
    "PRODUCT_INACTIVE, NOT_IN_PRICE_BOOK; `lineItems[i].quantity` / `.unitPrice` / "
    "`.discountPercent` INVALID, PRECISION, OUT_OF_RANGE; `lineItems` CURRENCY_MISMATCH, "
    "TOO_MANY; `priceBookId` REQUIRED, UNKNOWN_PRICE_BOOK, PRICE_BOOK_INACTIVE, "
    "CURRENCY_MISMATCH; `contacts[i].role` INVALID; `customFields.<key>` INVALID_KEY; "
    "`probability` OUT_OF_RANGE; texts TOO_LONG, lists TOO_MANY"
)
_GATE = (
    "the stage gate names each field the target stage still needs: `<field>` REQUIRED "
    "(`amount`, `expectedCloseDate`, `contacts`, `customFields.<key>`, `reason`, `note`, …); "
    "`reason` UNKNOWN_REASON; `stageId` UNKNOWN_STAGE, SAME_STAGE, CLOSED"
)


@strawberry.input(
    description="A lead or prospect turned into an opportunity in one call: the deal opens in "
    "the pipeline's first stage (its gate applies), owned by the caller."
)
class ConvertLeadToOpportunityInput:
    customer_id: strawberry.ID = strawberry.field(
        description="The customer, in lifecycle stage LEAD or PROSPECT (a merged customer's id "
        "converts the survivor); another stage: BAD_USER_INPUT (`customerId` NOT_A_LEAD); an "
        "id of no customer: `customerId` UNKNOWN_CUSTOMER. A LEAD becomes a PROSPECT shortly "
        "after (the customer service follows the opportunity.created.v1 event)."
    )
    name: str = strawberry.field(description=f"The deal's name, 1–{NAME_MAX_CHARS} characters.")
    pipeline_id: strawberry.ID = strawberry.field(
        description="The pipeline; the deal enters its first stage."
    )
    amount: str | None = strawberry.field(
        default=None,
        description="The deal's amount: a decimal string, not negative, with at most the "
        "currency's decimals.",
    )
    currency: str | None = strawberry.field(
        default=None,
        description="The deal's ISO 4217 currency; omitted: the base currency.",
    )
    expected_close_date: str | None = strawberry.field(
        default=None, description="When the deal is expected to close, `YYYY-MM-DD`."
    )
    idempotency_key: str = strawberry.field(
        description="One per user action: retrying with the same key returns the first "
        f"opportunity and creates nothing, even once the customer has moved on (1–{KEY_MAX_CHARS} "
        "characters, per caller; reused for a different request: CONFLICT)."
    )

    def to_conversion(self) -> LeadConversion:
        return LeadConversion(
            customer_id=str(self.customer_id),
            name=self.name,
            pipeline_id=str(self.pipeline_id),
            amount=self.amount,
            currency=self.currency,
            expected_close_date=self.expected_close_date,
        )


@strawberry.type(description="The opportunity a write left.")
class OpportunityPayload:
    opportunity: OpportunityType = strawberry.field(description="The opportunity as it is now.")


@strawberry.type
class OpportunityQuery:
    @strawberry.field(
        description="One opportunity by id; null with NOT_FOUND when there is none, with "
        "FORBIDDEN outside the caller's read scope (its owner's or team's)."
    )
    async def opportunity(self, info: Info, id: OpportunityId) -> OpportunityType | None:
        found = await info.context.deps.opportunity_queries.get(str(id))
        if found is None:
            raise NotFound("Opportunity", str(id))
        access.require(info.context.principal, Action.READ, found.opportunity)
        return OpportunityType.of(found)


@strawberry.type
class OpportunityMutation:
    @strawberry.mutation(
        description="Open an opportunity of a customer, in its pipeline's first stage (or the "
        "one named) through that stage's gate, at the bottom of its kanban column. Roles "
        "ADMIN, MANAGER (their team's), SALES (their own), who may read the customer. "
        f"Errors: BAD_USER_INPUT ({_FIELD_ERRORS}; `customerId` UNKNOWN_CUSTOMER; `pipelineId` "
        f"UNKNOWN_PIPELINE; {_GATE}; `idempotencyKey` REQUIRED, TOO_LONG), CONFLICT "
        "(idempotencyKey reused for a different request), FORBIDDEN."
    )
    async def create_opportunity(
        self,
        info: Info,
        input: Annotated[CreateOpportunityInput, strawberry.argument(description="The deal.")],
    ) -> OpportunityPayload:
        request = CreateRequest(
            customer_id=str(input.customer_id),
            name=input.name,
            pipeline_id=str(input.pipeline_id),
            stage_id=str(input.stage_id) if input.stage_id else None,
            owner_id=str(input.owner_id) if input.owner_id else None,
            team=input.team,
            fields=input.to_request(),
            reason=input.reason,
            note=input.note,
        )
        created = await info.context.deps.opportunities.create(
            info.context.principal, request, input.idempotency_key
        )
        return OpportunityPayload(opportunity=OpportunityType.of(created))

    @strawberry.mutation(
        description="Turn a customer in stage LEAD or PROSPECT into an opportunity in one call: "
        "the deal opens in the pipeline's first stage through its gate, like createOpportunity "
        "with the caller as owner, and the customer service then moves a LEAD customer to "
        "PROSPECT. Roles ADMIN, MANAGER (their team's), SALES (their own), who may read the "
        "customer. Errors: BAD_USER_INPUT (`customerId` NOT_A_LEAD, UNKNOWN_CUSTOMER; "
        "`pipelineId` UNKNOWN_PIPELINE; `name` REQUIRED, TOO_LONG; `currency` INVALID_CURRENCY; "
        "`amount` INVALID, NEGATIVE, PRECISION, OUT_OF_RANGE; `expectedCloseDate` INVALID_DATE, "
        "OUT_OF_RANGE; the first stage's gate names each field it needs: `<field>` REQUIRED "
        "(`amount`, `expectedCloseDate`, …); `idempotencyKey` REQUIRED, TOO_LONG), CONFLICT "
        "(idempotencyKey reused for a different request), FORBIDDEN."
    )
    async def convert_lead_to_opportunity(
        self,
        info: Info,
        input: Annotated[
            ConvertLeadToOpportunityInput, strawberry.argument(description="The conversion.")
        ],
    ) -> OpportunityPayload:
        created = await convert_lead(
            info.context.deps.opportunities,
            info.context.principal,
            input.to_conversion(),
            input.idempotency_key,
        )
        return OpportunityPayload(opportunity=OpportunityType.of(created))

    @strawberry.mutation(
        description="Change an opportunity's fields (its stage: moveOpportunity). A field the "
        "current stage requires cannot be emptied (`<field>` REQUIRED); the probability of a "
        "won or lost deal is fixed (`probability` NOT_OPEN). Roles ADMIN, MANAGER (their "
        f"team's), SALES (their own). Errors: BAD_USER_INPUT ({_FIELD_ERRORS}), NOT_FOUND, "
        "CONFLICT (expectedVersion, with currentVersion), FORBIDDEN."
    )
    async def update_opportunity(
        self,
        info: Info,
        id: OpportunityId,
        input: Annotated[OpportunityFieldsInput, strawberry.argument(description="The changes.")],
        expected_version: Annotated[
            int,
            strawberry.argument(
                description="The `version` the caller last saw: another version now is "
                "CONFLICT (with `currentVersion`) and nothing changes."
            ),
        ],
    ) -> OpportunityPayload:
        changed = await info.context.deps.opportunities.update(
            info.context.principal, str(id), input.to_request(), expected_version
        )
        return OpportunityPayload(opportunity=OpportunityType.of(changed))

    @strawberry.mutation(
        description="Move an opportunity into another stage of its pipeline (a won or lost "
        "one with a reason), with the fields that stage needs, to a position in its kanban "
        "column (the neighbours of a crowded spot are renumbered); into its own stage with "
        "only a position, a reorder. Roles ADMIN, MANAGER (their team's), SALES (their own). "
        f"Errors: BAD_USER_INPUT ({_GATE}; {_FIELD_ERRORS}; `position` INVALID; "
        "`position.beforeId` / `position.afterId` NOT_IN_STAGE), NOT_FOUND, CONFLICT "
        "(expectedVersion), FORBIDDEN."
    )
    async def move_opportunity(
        self,
        info: Info,
        input: Annotated[MoveOpportunityInput, strawberry.argument(description="The move.")],
    ) -> OpportunityPayload:
        request = MoveRequest(
            opportunity_id=str(input.id),
            stage_id=str(input.stage_id),
            expected_version=input.expected_version,
            reason=input.reason,
            note=input.note,
            position=input.position.to_position() if input.position else None,
            fields=input.to_request(),
        )
        moved = await info.context.deps.opportunities.move(info.context.principal, request)
        return OpportunityPayload(opportunity=OpportunityType.of(moved))

    @strawberry.mutation(
        description="Reopen a won or lost opportunity into an open stage (through its gate), "
        "with a reason; its closing stays in the stage history. Roles ADMIN, MANAGER (their "
        "team's), SALES (their own). Errors: BAD_USER_INPUT (`reason` REQUIRED, TOO_LONG; "
        "`id` NOT_CLOSED; `stageId` UNKNOWN_STAGE, NOT_OPEN_STAGE; `<field>` REQUIRED; "
        f"{_FIELD_ERRORS}), NOT_FOUND, CONFLICT (expectedVersion), FORBIDDEN."
    )
    async def reopen_opportunity(
        self,
        info: Info,
        input: Annotated[ReopenOpportunityInput, strawberry.argument(description="The reopen.")],
    ) -> OpportunityPayload:
        request = MoveRequest(
            opportunity_id=str(input.id),
            stage_id=str(input.stage_id),
            expected_version=input.expected_version,
            reason=input.reason,
            position=input.position.to_position() if input.position else None,
            fields=input.to_request(),
            reopen=True,
        )
        reopened = await info.context.deps.opportunities.move(info.context.principal, request)
        return OpportunityPayload(opportunity=OpportunityType.of(reopened))
