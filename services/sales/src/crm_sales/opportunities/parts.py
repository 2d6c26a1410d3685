"""GraphQL types of an opportunity's parts (amount in the base currency, contacts, line items,
custom fields, probability override, closing), the moves it allows and its history."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal

import strawberry

from crm_kit.graphql import PageInfo, described_enum
from crm_kit.personal_types import PersonName
from crm_sales.graphql.common import MoneyType, in_language
from crm_sales.graphql.refs import StaffEntity, staff_ref
from crm_sales.history import model as history
from crm_sales.history.model import MoveKind, TrackedField
from crm_sales.line_items.model import LineItem
from crm_sales.money.model import Conversion, Money
from crm_sales.opportunities.values import BuyingRole, Status
from crm_sales.pipelines.graphql import PipelineStageType

described_enum(
    Status,
    "Where a deal stands, by the kind of its stage.",
    {
        Status.OPEN: "Being worked on (an open stage).",
        Status.WON: "Won (a won stage): probability 100.",
        Status.LOST: "Lost (a lost stage): probability 0.",
        Status.MERGED: "Merged into another deal (`mergedInto`): closed for good, probability "
        "0; lists show it only when `filter.statuses` asks for MERGED.",
    },
    name="OpportunityStatus",
)
described_enum(
    BuyingRole,
    "A contact person's part in the customer's decision.",
    {
        BuyingRole.DECISION_MAKER: "Makes the decision (what a `decisionMaker` gate asks for).",
        BuyingRole.ECONOMIC_BUYER: "Holds the budget.",
        BuyingRole.CHAMPION: "Argues for us inside the customer.",
        BuyingRole.INFLUENCER: "Weighs on the decision.",
        BuyingRole.TECHNICAL_EVALUATOR: "Judges the technical fit.",
        BuyingRole.USER: "Will use what is sold.",
        BuyingRole.BLOCKER: "Argues against us.",
        BuyingRole.OTHER: "Another part.",
    },
)
described_enum(
    MoveKind,
    "What a stage change was.",
    {
        MoveKind.CREATED: "The deal was opened in this stage.",
        MoveKind.MOVED: "A move between open stages.",
        MoveKind.WON: "The deal was won.",
        MoveKind.LOST: "The deal was lost.",
        MoveKind.REOPENED: "A won or lost deal was reopened.",
        MoveKind.MERGED: "The deal was merged into another one (it stays in its stage).",
    },
    name="StageChangeKind",
)
described_enum(
    TrackedField,
    "A value whose every change is recorded.",
    {
        TrackedField.AMOUNT: "The amount (a decimal string and its currency: `1200.00 CNY`).",
        TrackedField.PROBABILITY: "The probability in effect, a whole percent.",
        TrackedField.EXPECTED_CLOSE_DATE: "The expected close date (`YYYY-MM-DD`).",
        TrackedField.OWNER: "The owner's staff id (assignOpportunity, bulkAssignOpportunities).",
        TrackedField.TEAM: "The team (assignOpportunity, bulkAssignOpportunities).",
        TrackedField.MERGED_FROM: "On a merge's survivor: the id of the deal merged into it.",
        TrackedField.MERGED_INTO: "On a merged deal: the id of the survivor.",
    },
    name="OpportunityTrackedField",
)


@strawberry.type(
    name="BaseCurrencyAmount",
    description="An amount in the organisation's base currency and how it was converted.",
)
class BaseAmountType:
    amount: MoneyType = strawberry.field(description="The amount in the base currency.")
    rate: str = strawberry.field(
        description="Base-currency units per unit of the deal's currency (`1` when the deal is "
        "in the base currency), an exact decimal string."
    )
    rate_effective_from: date | None = strawberry.field(
        description="The effective date of the rate used; null for a deal in the base currency."
    )
    booked: bool = strawberry.field(
        description="True for a won or lost deal: converted at the rate of its closing day and "
        "kept so; false for an open one: at today's rate."
    )

    @classmethod
    def of(cls, conversion: Conversion | None, booked: bool) -> BaseAmountType | None:
        if conversion is None:
            return None
        return cls(
            amount=MoneyType(amount=conversion.amount.text, currency=conversion.amount.currency),
            rate=f"{conversion.rate:f}",
            rate_effective_from=conversion.rate_effective_from,
            booked=booked,
        )


@strawberry.type(name="OpportunityContact", description="A contact person of the customer.")
class ContactType:
    name: PersonName = strawberry.field(description="The person's name.")
    role: BuyingRole = strawberry.field(description="Their part in the decision.")


@strawberry.type(name="OpportunityLineItem", description="A line of a deal, priced.")
class LineItemType:
    product_id: strawberry.ID = strawberry.field(description="The product's id.")
    product_code: str = strawberry.field(description="The product's code when it was priced.")
    name_zh: str = strawberry.field(description="The product's Chinese name when priced.")
    name_en: str = strawberry.field(description="The product's English name when priced.")
    unit: str = strawberry.field(description="The unit sold.")
    quantity: str = strawberry.field(description="How many, a decimal string.")
    list_price: MoneyType = strawberry.field(description="The price book's price per unit.")
    unit_price: MoneyType = strawberry.field(description="The price per unit charged.")
    price_overridden: bool = strawberry.field(
        description="The unit price was given instead of the list price."
    )
    discount_percent: str = strawberry.field(description="The discount, a decimal 0–100.")
    total: MoneyType = strawberry.field(
        description="quantity × unit price less the discount, rounded half-even once."
    )

    @strawberry.field(description="The product's name in the caller's language.")
    def name(self) -> str:
        return in_language(self.name_zh, self.name_en)

    @classmethod
    def of(cls, item: LineItem) -> LineItemType:
        def amount(value: Decimal) -> MoneyType:
            return MoneyType(amount=Money(value, item.currency).text, currency=item.currency)

        return cls(
            product_id=strawberry.ID(item.product_id),
            product_code=item.product_code,
            name_zh=item.name_zh,
            name_en=item.name_en,
            unit=item.unit,
            quantity=f"{item.quantity:f}",
            list_price=amount(item.list_price),
            unit_price=amount(item.unit_price),
            price_overridden=item.price_overridden,
            discount_percent=f"{item.discount_percent:f}",
            total=amount(item.total),
        )


@strawberry.type(name="OpportunityCustomField", description="A custom field's value.")
class CustomFieldType:
    key: str = strawberry.field(description="The field's key (a-z, 0-9, _).")
    value: str = strawberry.field(description="Its value.")


@strawberry.type(
    name="ProbabilityOverride", description="A probability a person set instead of the stage's."
)
class ProbabilityOverrideType:
    value: int = strawberry.field(description="The probability set, a whole percent.")
    set_by_id: strawberry.ID = strawberry.field(description="Staff id of who set it.")
    set_at: datetime = strawberry.field(description="When it was set.")

    @strawberry.field(description="Who set it (resolved by the customer subgraph).")
    def set_by(self) -> StaffEntity | None:
        return staff_ref(str(self.set_by_id))


@strawberry.type(name="OpportunityClosing", description="How a won or lost deal was closed.")
class ClosingType:
    reason: str = strawberry.field(description="The reason code (see `closeReasons`).")
    note: str | None = strawberry.field(description="The note given with the move; may be null.")
    closed_at: datetime = strawberry.field(description="When it was closed.")
    closed_by_id: strawberry.ID = strawberry.field(description="Staff id of who closed it.")

    @strawberry.field(description="Who closed it (resolved by the customer subgraph).")
    def closed_by(self) -> StaffEntity | None:
        return staff_ref(str(self.closed_by_id))


@strawberry.type(
    description="A stage the deal may move to, and what the move still needs (a kanban drop "
    "prompts for exactly these, then sends them with moveOpportunity)."
)
class AllowedMove:
    stage_id: strawberry.ID = strawberry.field(description="The stage.")
    stage: PipelineStageType = strawberry.field(description="The stage's definition.")
    missing_fields: list[str] = strawberry.field(
        description="Fields the deal lacks for this stage, as the input names them (`amount`, "
        "`expectedCloseDate`, `contacts`, `customFields.<key>`, `reason`, `note`); empty: the "
        "move passes as is."
    )
    reopen: bool = strawberry.field(
        description="A move out of a won or lost stage: reopenOpportunity, with a reason."
    )


@strawberry.type(name="StageChange", description="A change of a deal's stage.")
class StageChangeType:
    kind: MoveKind = strawberry.field(description="What the change was.")
    from_stage_id: strawberry.ID | None = strawberry.field(
        description="The stage it left; null when the deal was opened."
    )
    to_stage_id: strawberry.ID = strawberry.field(description="The stage it entered.")
    pipeline_version: int = strawberry.field(
        description="The pipeline's version at the time (`pipeline(id, version)` names its "
        "stages as they were)."
    )
    at: datetime = strawberry.field(description="When.")
    actor_id: strawberry.ID = strawberry.field(description="Staff id of who made it.")
    reason: str | None = strawberry.field(
        description="The won or lost reason code, or the reopen's reason; null otherwise."
    )
    note: str | None = strawberry.field(description="The note of a won or lost move.")

    @strawberry.field(description="Who made it (resolved by the customer subgraph).")
    def actor(self) -> StaffEntity | None:
        return staff_ref(str(self.actor_id))

    @classmethod
    def of(cls, c: history.StageChange) -> StageChangeType:
        return cls(
            kind=c.kind,
            from_stage_id=strawberry.ID(c.from_stage_id) if c.from_stage_id else None,
            to_stage_id=strawberry.ID(c.to_stage_id),
            pipeline_version=c.pipeline_version,
            at=c.at,
            actor_id=strawberry.ID(c.actor_id),
            reason=c.reason,
            note=c.note,
        )


@strawberry.type(name="OpportunityFieldChange", description="A change of a tracked value.")
class FieldChangeType:
    field: TrackedField = strawberry.field(description="Which value.")
    old_value: str | None = strawberry.field(description="Before (null: none).")
    new_value: str | None = strawberry.field(description="After (null: none).")
    at: datetime = strawberry.field(description="When.")
    actor_id: strawberry.ID = strawberry.field(description="Staff id of who changed it.")

    @strawberry.field(description="Who changed it (resolved by the customer subgraph).")
    def actor(self) -> StaffEntity | None:
        return staff_ref(str(self.actor_id))

    @classmethod
    def of(cls, c: history.FieldChange) -> FieldChangeType:
        return cls(
            field=c.field,
            old_value=c.old,
            new_value=c.new,
            at=c.at,
            actor_id=strawberry.ID(c.actor_id),
        )


@strawberry.type(description="A stage change and its cursor.")
class StageChangeEdge:
    cursor: str = strawberry.field(description="Its position, for `after`.")
    node: StageChangeType = strawberry.field(description="The change.")


@strawberry.type(description="A page of a deal's stage changes, oldest first.")
class StageChangeConnection:
    edges: list[StageChangeEdge] = strawberry.field(description="This page's changes.")
    page_info: PageInfo = strawberry.field(description="Where to continue.")
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="All of the deal's stage changes.")
    async def total_count(self) -> int:
        return await self.count()


@strawberry.type(description="A tracked value's change and its cursor.")
class FieldChangeEdge:
    cursor: str = strawberry.field(description="Its position, for `after`.")
    node: FieldChangeType = strawberry.field(description="The change.")


@strawberry.type(description="A page of a deal's tracked value changes, oldest first.")
class FieldChangeConnection:
    edges: list[FieldChangeEdge] = strawberry.field(description="This page's changes.")
    page_info: PageInfo = strawberry.field(description="Where to continue.")
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="All of the deal's tracked value changes.")
    async def total_count(self) -> int:
        return await self.count()


@strawberry.type(description="How long a deal has spent in one stage.")
class StageDuration:
    stage_id: strawberry.ID = strawberry.field(description="The stage.")
    seconds: int = strawberry.field(
        description="Seconds spent in it over every stay (the current one up to now)."
    )
