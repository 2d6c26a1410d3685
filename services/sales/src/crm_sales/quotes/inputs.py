"""GraphQL inputs of quotes: what createQuote, updateQuoteDraft and updateQuoteSettings take,
and the filter and order of the quote list."""

from __future__ import annotations

import strawberry

from crm_kit import policy
from crm_kit.idempotency_keys import KEY_MAX_CHARS
from crm_kit.listing import OrderDirection
from crm_sales.quotes.model import QuoteStatus
from crm_sales.quotes.queries import QuoteFilter, QuoteOrderField, quote_order
from crm_sales.quotes.terms import (
    COMPANY_MAX_CHARS,
    CUSTOMER_NAME_MAX_CHARS,
    MAX_VALIDITY_DAYS,
    NOTE_MAX_CHARS,
    SettingsChanges,
    Terms,
)
from crm_sales.shared.listing import KeysetOrder

_PERCENT = "a decimal string from 0 to 100 with at most 2 decimals (`13`, `6.5`)"
_VALID_UNTIL = (
    f"The last day it may be accepted, `YYYY-MM-DD`, from today to {MAX_VALIDITY_DAYS} days ahead"
)


@strawberry.input(description="A new quote of an opportunity's current line items.")
class CreateQuoteInput:
    opportunity_id: strawberry.ID = strawberry.field(
        description="The opportunity: open, with line items, and within the caller's update scope."
    )
    valid_until: str | None = strawberry.field(
        default=None,
        description=f"{_VALID_UNTIL}; omitted: today + the settings' `validityDays`.",
    )
    tax_rate: str | None = strawberry.field(
        default=None,
        description=f"The tax rate, {_PERCENT}; omitted: the settings' `defaultTaxRate`.",
    )
    note: str | None = strawberry.field(
        default=None, description=f"A note to the customer, at most {NOTE_MAX_CHARS} characters."
    )
    customer_name: str | None = strawberry.field(
        default=None,
        description="The name it is addressed to, at most "
        f"{CUSTOMER_NAME_MAX_CHARS} characters; omitted: the customer's display name as the "
        "sales service knows it when the quote is made, kept on the quote (a company's name in "
        "full; a person's only masked, so give it for a person). None known and none given: "
        "`customerName` REQUIRED.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description=f"Retrying with the same key returns the first quote (1–{KEY_MAX_CHARS} "
        "characters, per caller; reused for a different request: CONFLICT).",
    )

    def to_terms(self) -> Terms:
        return Terms(self.valid_until, self.tax_rate, self.note, self.customer_name)


@strawberry.input(description="What updateQuoteDraft changes; an omitted field stays as it is.")
class UpdateQuoteDraftInput:
    valid_until: str | None = strawberry.field(default=None, description=f"{_VALID_UNTIL}.")
    tax_rate: str | None = strawberry.field(default=None, description=f"The tax rate, {_PERCENT}.")
    note: str | None = strawberry.field(
        default=None,
        description=f"A note to the customer, at most {NOTE_MAX_CHARS} characters; an empty "
        "string removes it.",
    )
    customer_name: str | None = strawberry.field(
        default=None,
        description=f"The name it is addressed to, 1–{CUSTOMER_NAME_MAX_CHARS} characters.",
    )

    def to_terms(self) -> Terms:
        return Terms(self.valid_until, self.tax_rate, self.note, self.customer_name)


@strawberry.input(description="What updateQuoteSettings changes; an omitted field stays as it is.")
class UpdateQuoteSettingsInput:
    discount_threshold: str | None = strawberry.field(
        default=None,
        description="A quote whose largest line discount or overall discount exceeds this "
        f"percentage needs a manager's approval before it is sent: {_PERCENT}.",
    )
    default_tax_rate: str | None = strawberry.field(
        default=None, description=f"The tax rate of a new quote, {_PERCENT}."
    )
    validity_days: int | None = strawberry.field(
        default=None,
        description=f"How many days a new quote is valid for, 1–{MAX_VALIDITY_DAYS}.",
    )
    company_name: str | None = strawberry.field(
        default=None,
        description=f"The company name printed on the documents, at most {COMPANY_MAX_CHARS} "
        "characters; an empty string removes it.",
    )

    def to_changes(self) -> SettingsChanges:
        return SettingsChanges(
            self.discount_threshold, self.default_tax_rate, self.validity_days, self.company_name
        )


@strawberry.input(
    description="Which quotes: every field given must hold (an omitted one, or an empty list, "
    "matches every quote)."
)
class QuoteFilterInput:
    opportunity_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this opportunity's."
    )
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this customer's."
    )
    statuses: list[QuoteStatus] | None = strawberry.field(
        default=None,
        description="Only those in one of these statuses as of today (EXPIRED: sent and past "
        "`validUntil`; SENT: sent and still valid).",
    )
    number: str | None = strawberry.field(
        default=None, description="Only the versions of this number (`Q-2026-000123`)."
    )
    current_only: bool = strawberry.field(
        default=False, description="Only versions no newer version supersedes."
    )

    def to_filter(self) -> QuoteFilter:
        policy.check_sizes(
            {
                f"filter.{name}": value
                for name, value in (
                    ("opportunityId", self.opportunity_id),
                    ("customerId", self.customer_id),
                    ("number", self.number),
                )
                if value is not None
            }
        )
        return QuoteFilter(
            opportunity_id=str(self.opportunity_id) if self.opportunity_id else None,
            customer_id=str(self.customer_id) if self.customer_id else None,
            statuses=tuple(QuoteStatus(s) for s in self.statuses or ()),
            number=self.number,
            current_only=self.current_only,
        )


@strawberry.input(
    description="The order of a quote list: by one field, then by id in the same direction. A "
    "cursor is bound to the order it was made in (another order: BAD_USER_INPUT, `after` "
    "INVALID_CURSOR)."
)
class QuoteOrderInput:
    field: QuoteOrderField = strawberry.field(description="What the list is ordered by.")
    direction: OrderDirection = strawberry.field(
        description="ASC: oldest, soonest or lowest first; DESC: the other way round."
    )

    def to_order(self) -> KeysetOrder:
        return quote_order(QuoteOrderField(self.field), OrderDirection(self.direction))
