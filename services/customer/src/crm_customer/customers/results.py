"""GraphQL result types of customers beside the entity: a page of the list, the result of a
bulk change, dashboard statistics, the industry sections and a revealed field."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import strawberry

from crm_customer.customers.types import Customer
from crm_customer.i18n import EN, language_var
from crm_kit.graphql import CountBucket, PageInfo, described_enum


@strawberry.type(description="One customer of a page of the customer list.")
class CustomerEdge:
    cursor: str = strawberry.field(
        description="Opaque cursor of this customer: pass it as `after` for the customers after "
        "it, with the same `orderBy`."
    )
    node: Customer = strawberry.field(description="The customer.")


@strawberry.type(description="A page of customers, keyset-paged with `first` / `after`.")
class CustomerConnection:
    edges: list[CustomerEdge] = strawberry.field(
        description="The customers of this page, in the requested order."
    )
    page_info: PageInfo = strawberry.field(
        description="Where this page ends and whether another follows."
    )
    total_count: int = strawberry.field(
        description="How many customers match the filter within the caller's access scope, "
        "over all pages."
    )


@strawberry.type(description="What a bulk change did to one customer.")
class BulkItemResult:
    id: strawberry.ID = strawberry.field(description="The customer's id.")
    ok: bool = strawberry.field(
        description="Every part of the change was applied (or there was nothing to change)."
    )
    version: int | None = strawberry.field(
        description="The customer's version after the change; null when it failed."
    )
    code: str | None = strawberry.field(
        description="Why it failed: FORBIDDEN, NOT_FOUND, CONFLICT or a field-error code such "
        "as INVALID_TRANSITION, INVALID_TAG or INACTIVE_STAFF; null on success. Parts applied "
        "before the failing one stay applied."
    )
    message: str | None = strawberry.field(
        description="The failure in words (a field error as `field: message`, in the caller's "
        "language); null on success."
    )


@strawberry.type(description="What a bulk change did: one result per customer.")
class BulkResult:
    succeeded: int = strawberry.field(description="Customers changed (or already as asked).")
    failed: int = strawberry.field(
        description="Customers not changed, those the caller may not change included."
    )
    truncated: bool = strawberry.field(
        description="The filter matched more than one batch (500 customers): only the first "
        "500 were changed; call again to go on."
    )
    items: list[BulkItemResult] = strawberry.field(
        description="One result per customer (at most 500), those refused for access first."
    )


@strawberry.type(description="How many customers were created in one week.")
class WeekCount:
    week_start: datetime = strawberry.field(
        description="Monday 00:00 UTC, the start of the week (ISO 8601 date-time)."
    )
    count: int = strawberry.field(description="Customers created that week, of those counted.")


@strawberry.type(description="How often customers moved from one stage to another.")
class StageTransition:
    from_stage: str | None = strawberry.field(description="The stage before (a LifecycleStage).")
    to_stage: str = strawberry.field(description="The stage after (a LifecycleStage).")
    count: int = strawberry.field(description="How many such changes the history records.")


_BUCKETS = "largest first, at most 50 buckets"


@strawberry.type(
    description="Dashboard figures for the customers matching a filter, within the caller's "
    "access scope (archived customers only when the filter asks for them)."
)
class CustomerStatistics:
    total: int = strawberry.field(description="How many customers match.")
    by_stage: list[CountBucket] = strawberry.field(description=f"Counts by stage, {_BUCKETS}.")
    by_source: list[CountBucket] = strawberry.field(description=f"Counts by source, {_BUCKETS}.")
    by_industry: list[CountBucket] = strawberry.field(
        description=f"Counts by industry section (GB/T 4754), {_BUCKETS}."
    )
    by_region: list[CountBucket] = strawberry.field(
        description=f"Counts by region (first address's province), {_BUCKETS}."
    )
    by_owner: list[CountBucket] = strawberry.field(description=f"Counts by ownerId, {_BUCKETS}.")
    by_kind: list[CountBucket] = strawberry.field(description=f"Counts by kind, {_BUCKETS}.")
    by_tier: list[CountBucket] = strawberry.field(description=f"Counts by tier, {_BUCKETS}.")
    new_per_week: list[WeekCount] = strawberry.field(
        description="Customers created in each of the last 12 weeks (UTC weeks from Monday), "
        "oldest first; the current week last."
    )
    stage_transitions: list[StageTransition] = strawberry.field(
        description="Stage changes recorded in history (all customers, the filter aside): "
        "funnel conversion, most frequent first. Empty unless the caller may list every "
        "customer."
    )


_USE_NAME = "Use name, in the caller's language (Accept-Language)."


@strawberry.type(description="A GB/T 4754-2017 industry section.")
class IndustrySection:
    code: str = strawberry.field(description="The section letter, A–T: a value of `industry`.")
    name_zh: str = strawberry.field(
        description="The section's name in Chinese.", deprecation_reason=_USE_NAME
    )
    name_en: str = strawberry.field(
        description="The section's name in English.", deprecation_reason=_USE_NAME
    )

    @strawberry.field(description="The section's name in the caller's language (Accept-Language).")
    def name(self) -> str:
        return self.name_en if language_var.get() == EN else self.name_zh


class RevealableField(StrEnum):
    ID_CARD_NUMBER = "idCardNumber"
    PHONES = "phones"
    EMAILS = "emails"


described_enum(
    RevealableField,
    name="RevealableField",
    description="A masked customer field that may be revealed.",
    values={
        "ID_CARD_NUMBER": "`idCardNumber`: the GB 11643 ID-card number.",
        "PHONES": "`phones`: every phone number.",
        "EMAILS": "`emails`: every e-mail address.",
    },
)


@strawberry.type(description="A field's unmasked value(s); the reveal is in the audit log.")
class RevealedField:
    customer_id: strawberry.ID = strawberry.field(description="The customer's id.")
    field: RevealableField = strawberry.field(description="The field revealed.")
    values: list[str] = strawberry.field(
        description="Its values in clear (one for idCardNumber); empty when it has none."
    )
