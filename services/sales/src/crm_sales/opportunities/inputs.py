"""GraphQL inputs of opportunities: creating, changing and moving one, and the filter and order
of opportunity lists.

In the inputs that change an opportunity, a field left out stays as it is and a field sent as
null is emptied (a list: emptied; a probability: back to the stage's default); numbers of
money, quantities and percentages are decimal strings and dates `YYYY-MM-DD` text, so that a
malformed one is BAD_USER_INPUT naming its field rather than a type error of the request.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types.unset import UnsetType

from crm_kit import policy
from crm_kit.graphql import described_enum
from crm_kit.idempotency_keys import KEY_MAX_CHARS
from crm_kit.listing import OrderDirection
from crm_sales.graphql.common import DateRangeInput, date_bounds
from crm_sales.line_items.model import MAX_LINE_ITEMS, LineItemInput
from crm_sales.opportunities.queries import (
    OpportunityFilter,
    OpportunityOrderField,
    opportunity_order,
)
from crm_sales.opportunities.requests import CardPosition, ChangeRequest
from crm_sales.opportunities.values import (
    CLEAR,
    MAX_COMPETITORS,
    MAX_CONTACTS,
    MAX_CUSTOM_FIELDS,
    MAX_TAGS,
    NAME_MAX_CHARS,
    NEXT_STEP_MAX_CHARS,
    NOTE_MAX_CHARS,
    SOURCE_MAX_CHARS,
    BuyingRole,
    Clear,
    Status,
)
from crm_sales.shared.listing import KeysetOrder

UNSET: Any = strawberry.UNSET
_NULL_EMPTIES = " Null empties it."


def _clearable[T](value: T | UnsetType | None) -> T | Clear | None:
    """Left out: unchanged (None); null: emptied (CLEAR)."""
    if isinstance(value, UnsetType):
        return None
    return CLEAR if value is None else value


def _listed[T, R](value: list[T] | UnsetType | None, each: Any) -> tuple[R, ...] | None:
    """Left out: unchanged (None); null: emptied; else every item through `each`."""
    if isinstance(value, UnsetType):
        return None
    return tuple(each(item) for item in value or ())


@strawberry.input(name="OpportunityLineItemInput", description="A line to price.")
class LineItemInputType:
    product_id: strawberry.ID = strawberry.field(
        description="An active product with a price in the price book."
    )
    quantity: str = strawberry.field(
        description="How many: a decimal string above 0, at most 4 decimal places."
    )
    unit_price: str | None = strawberry.field(
        default=None,
        description="The price per unit when not the list price: a decimal string in the "
        "deal's currency.",
    )
    discount_percent: str | None = strawberry.field(
        default=None, description="A discount from 0 to 100 (decimal string, 2 places); none: 0."
    )

    def to_input(self) -> LineItemInput:
        return LineItemInput(
            str(self.product_id), self.quantity, self.unit_price, self.discount_percent
        )


@strawberry.input(name="OpportunityContactInput", description="A contact person in the deal.")
class ContactInput:
    name: str = strawberry.field(description="The person's name as the customer record has it.")
    role: BuyingRole = strawberry.field(description="Their part in the decision.")


@strawberry.input(name="OpportunityCustomFieldInput", description="A custom field's value.")
class CustomFieldInput:
    key: str = strawberry.field(description="a-z first, then a-z, 0-9 or _, 1–40 characters.")
    value: str = strawberry.field(description="At most 1000 characters; blank drops the field.")


@strawberry.input(
    description="An opportunity's fields. Left out: unchanged (on create: none); null: emptied."
)
class OpportunityFieldsInput:
    name: str | None = strawberry.field(
        default=UNSET, description=f"Its name, 1–{NAME_MAX_CHARS} characters."
    )
    currency: str | None = strawberry.field(
        default=UNSET,
        description="The deal's ISO 4217 currency (default: the base currency); changing it "
        "re-checks the amount in it.",
    )
    amount: str | None = strawberry.field(
        default=UNSET,
        description="A decimal string, not negative, with at most the currency's decimals; not "
        "with line items (their total is the amount)." + _NULL_EMPTIES,
    )
    expected_close_date: str | None = strawberry.field(
        default=UNSET, description="`YYYY-MM-DD`." + _NULL_EMPTIES
    )
    next_step: str | None = strawberry.field(
        default=UNSET, description=f"At most {NEXT_STEP_MAX_CHARS} characters." + _NULL_EMPTIES
    )
    source: str | None = strawberry.field(
        default=UNSET, description=f"At most {SOURCE_MAX_CHARS} characters." + _NULL_EMPTIES
    )
    competitors: list[str] | None = strawberry.field(
        default=UNSET, description=f"The whole list, at most {MAX_COMPETITORS}."
    )
    contacts: list[ContactInput] | None = strawberry.field(
        default=UNSET, description=f"The whole list, at most {MAX_CONTACTS}."
    )
    line_items: list[LineItemInputType] | None = strawberry.field(
        default=UNSET,
        description=f"The whole list of lines, at most {MAX_LINE_ITEMS}, priced from "
        "`priceBookId`; the amount becomes their total.",
    )
    price_book_id: strawberry.ID | None = strawberry.field(
        default=UNSET,
        description="The price book the line items are priced from (active, in the deal's "
        "currency); left out: the one active book in the deal's currency.",
    )
    tags: list[str] | None = strawberry.field(
        default=UNSET, description=f"The whole list, at most {MAX_TAGS}."
    )
    custom_fields: list[CustomFieldInput] | None = strawberry.field(
        default=UNSET, description=f"Every value (the whole map), at most {MAX_CUSTOM_FIELDS}."
    )
    probability: int | None = strawberry.field(
        default=UNSET,
        description="A whole percent 0–100 instead of the stage's default (who set it is "
        "kept); null: back to the stage's default.",
    )

    def to_request(self) -> ChangeRequest:
        name = self.name if isinstance(self.name, str) else None
        book = self.price_book_id if self.price_book_id not in (None, UNSET) else None
        return ChangeRequest(
            name=name,
            amount=_clearable(self.amount),
            currency=self.currency if isinstance(self.currency, str) else None,
            expected_close_date=_clearable(self.expected_close_date),
            next_step=_clearable(self.next_step),
            source=_clearable(self.source),
            competitors=_listed(self.competitors, str),
            contacts=_listed(self.contacts, lambda c: (c.name, str(c.role))),
            line_items=_listed(self.line_items, lambda item: item.to_input()),
            price_book_id=str(book) if book is not None else None,
            tags=_listed(self.tags, str),
            custom_fields=_listed(self.custom_fields, lambda f: (f.key, f.value)),
            probability=_clearable(self.probability),
        )


@strawberry.input(description="A new opportunity.")
class CreateOpportunityInput(OpportunityFieldsInput):
    name: str = strawberry.field(description=f"Its name, 1–{NAME_MAX_CHARS} characters.")
    customer_id: strawberry.ID = strawberry.field(
        description="Its customer (a merged customer's id files it under the survivor); an id "
        "of no customer: BAD_USER_INPUT (`customerId` UNKNOWN_CUSTOMER)."
    )
    pipeline_id: strawberry.ID = strawberry.field(description="Its pipeline.")
    stage_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Its first stage; the pipeline's first when omitted. Its gate applies.",
    )
    owner_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Its owner (SALES may only name themselves). With neither `ownerId` nor "
        "`team`, the owner is chosen (`Opportunity.assignedBy` says how): a member of the first "
        "matching opportunity assignment rule's team, else the customer's owner (active in "
        "sales, and within the caller's assign scope), else the caller.",
    )
    team: str | None = strawberry.field(
        default=None,
        description="Its team; omitted: the caller's for their own deal, else the customer's "
        "(a chosen owner brings the rule's or the customer's team).",
    )
    reason: str | None = strawberry.field(
        default=None, description="A closing reason code, when created in a won or lost stage."
    )
    note: str | None = strawberry.field(
        default=None, description=f"A closing note (≤{NOTE_MAX_CHARS}), likewise."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Retrying with the same key returns the first opportunity and creates "
        f"nothing (1–{KEY_MAX_CHARS} characters, per caller; reused for a different request: "
        "CONFLICT).",
    )


@strawberry.input(
    name="CardPositionInput",
    description="Where a card goes in its column: exactly one of `beforeId` and `afterId`.",
)
class CardPositionInput:
    before_id: strawberry.ID | None = strawberry.field(
        default=None, description="Just above this card of the column."
    )
    after_id: strawberry.ID | None = strawberry.field(
        default=None, description="Just below this card of the column."
    )

    def to_position(self) -> CardPosition:
        return CardPosition(
            str(self.before_id) if self.before_id else None,
            str(self.after_id) if self.after_id else None,
        )


@strawberry.input(
    description="A move to a stage, with the fields its gate asks for (see "
    "`Opportunity.allowedMoves`); to the card's own stage with only a `position`: a reorder."
)
class MoveOpportunityInput(OpportunityFieldsInput):
    id: strawberry.ID = strawberry.field(description="The opportunity.")
    stage_id: strawberry.ID = strawberry.field(description="The stage to enter.")
    expected_version: int | None = strawberry.field(
        default=None,
        description="The version the caller last saw (a move of another version: CONFLICT).",
    )
    reason: str | None = strawberry.field(
        default=None,
        description="Into a won or lost stage: a reason code of that kind (`closeReasons`).",
    )
    note: str | None = strawberry.field(
        default=None,
        description=f"Into a won or lost stage: a note, at most {NOTE_MAX_CHARS} characters.",
    )
    position: CardPositionInput | None = strawberry.field(
        default=None, description="Where in the column; the bottom when omitted."
    )


@strawberry.input(description="A won or lost opportunity back to an open stage.")
class ReopenOpportunityInput(OpportunityFieldsInput):
    id: strawberry.ID = strawberry.field(description="The opportunity (won or lost).")
    stage_id: strawberry.ID = strawberry.field(
        description="The open stage it goes to (its gate applies)."
    )
    reason: str = strawberry.field(description="Why it is reopened, 1–500 characters.")
    expected_version: int | None = strawberry.field(
        default=None, description="The version the caller last saw."
    )
    position: CardPositionInput | None = strawberry.field(
        default=None, description="Where in the column; the bottom when omitted."
    )


@strawberry.input(
    description="Which opportunities: every field given must hold (an omitted one, or an empty "
    "list, matches every opportunity). A list that is already limited (a customer's, a staff "
    "member's) stays so: its own filter can only narrow it."
)
class OpportunityFilterInput:
    pipeline_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this pipeline's."
    )
    stage_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only those in one of these stages."
    )
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this staff member's."
    )
    team: str | None = strawberry.field(default=None, description="Only this team's.")
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this customer's."
    )
    statuses: list[Status] | None = strawberry.field(
        default=None, description="Only open, won or lost ones."
    )
    expected_close: DateRangeInput | None = strawberry.field(
        default=None,
        description="Only those expected to close in this range (a deal without a date never "
        "matches a range). A reversed range is BAD_USER_INPUT (`filter.expectedClose.to` "
        "OUT_OF_RANGE).",
    )

    def to_filter(self) -> OpportunityFilter:
        policy.check_sizes(
            {
                f"filter.{name}": value
                for name, value in (
                    ("pipelineId", self.pipeline_id),
                    ("stageIds", self.stage_ids),
                    ("ownerId", self.owner_id),
                    ("team", self.team),
                    ("customerId", self.customer_id),
                )
                if value is not None
            }
        )
        close_from, close_to = date_bounds(self.expected_close, "filter.expectedClose")
        return OpportunityFilter(
            pipeline_id=str(self.pipeline_id) if self.pipeline_id else None,
            stage_ids=tuple(str(s) for s in self.stage_ids or ()),
            owner_id=str(self.owner_id) if self.owner_id else None,
            team=self.team,
            customer_id=str(self.customer_id) if self.customer_id else None,
            statuses=tuple(Status(s) for s in self.statuses or ()),
            close_from=close_from,
            close_to=close_to,
        )


def opportunity_filter(value: OpportunityFilterInput | None) -> OpportunityFilter:
    return value.to_filter() if value is not None else OpportunityFilter()


described_enum(
    OpportunityOrderField,
    "What an opportunity list is ordered by; deals with the same value follow in id order "
    "(in the same direction), so pages never skip or repeat one.",
    {
        OpportunityOrderField.EXPECTED_CLOSE_DATE: "The expected close date; a deal without "
        "one counts as closing after every other: last in ASC, first in DESC.",
        OpportunityOrderField.AMOUNT: "The amount in the base currency (at the rate of its "
        "last change for an open deal, as booked for a closed one); a deal without an amount, "
        "or without a rate, counts as less than any: first in ASC, last in DESC.",
        OpportunityOrderField.UPDATED_AT: "When it last changed.",
        OpportunityOrderField.CREATED_AT: "When it was opened.",
    },
)


@strawberry.input(
    description="The order of an opportunity list: by one field, then by id in the same "
    "direction. A cursor is bound to the order it was made in (another order: BAD_USER_INPUT, "
    "`after` INVALID_CURSOR)."
)
class OpportunityOrderInput:
    field: OpportunityOrderField = strawberry.field(description="What the list is ordered by.")
    direction: OrderDirection = strawberry.field(
        description="ASC: soonest, smallest or oldest first; DESC: the other way round."
    )

    def to_order(self) -> KeysetOrder:
        return opportunity_order(OpportunityOrderField(self.field), OrderDirection(self.direction))


LATEST_FIRST = OpportunityOrderInput(
    field=OpportunityOrderField.UPDATED_AT, direction=OrderDirection.DESC
)
"""The order of an opportunity list when `orderBy` is omitted or null."""
