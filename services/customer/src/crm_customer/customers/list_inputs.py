"""GraphQL inputs that select, order or change many customers: the list filter (as the caller
may search), the list order and a bulk change."""

from __future__ import annotations

import strawberry

from crm_customer import access
from crm_customer.catalog.field_values import ValueFilter
from crm_customer.catalog.graphql import CustomFieldFilterInput
from crm_customer.customers.bulk import BulkChange
from crm_customer.customers.enums import (
    CustomerKindEnum,
    CustomerOrderFieldEnum,
    LifecycleStageEnum,
    SourceEnum,
)
from crm_customer.customers.filters import CustomerFilter, CustomerOrder, CustomerOrderField
from crm_kit.auth import Principal
from crm_kit.listing import DateTimeRangeInput, OrderDirection
from crm_kit.policy import MAX_FILTER_ITEMS, MAX_FILTER_TEXT, check_sizes


def _in(what: str) -> str:
    return f"Only customers {what}."


def _period(what: str, name: str) -> str:
    return (
        f"Only customers {what} in this range: at or after `from`, before `to` (either end may "
        f"be left out). `to` before `from` is `filter.{name}.to` OUT_OF_RANGE."
    )


@strawberry.input(
    description="Which customers: every condition given must hold. A string is at most "
    f"{MAX_FILTER_TEXT} characters and a list at most {MAX_FILTER_ITEMS} values (TOO_LONG, "
    "TOO_MANY naming the field); values match exactly unless said otherwise. Merged-away "
    "records never match."
)
class CustomerFilterInput:
    stages: list[LifecycleStageEnum] = strawberry.field(  # type: ignore[valid-type]
        default_factory=list, description=_in("in any of these stages")
    )
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description=_in("owned by this staff member")
    )
    team: str | None = strawberry.field(default=None, description=_in("of this team"))
    tags_any: list[str] = strawberry.field(
        default_factory=list, description=_in("holding at least one of these tags")
    )
    tags_all: list[str] = strawberry.field(
        default_factory=list, description=_in("holding every one of these tags")
    )
    tier: str | None = strawberry.field(default=None, description=_in("of this tier"))
    source: SourceEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description=_in("from this source")
    )
    kind: CustomerKindEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description=_in("of this kind")
    )
    industry: str | None = strawberry.field(
        default=None, description=_in("of this GB/T 4754 section (any case)")
    )
    region: str | None = strawberry.field(
        default=None, description=_in("whose region (first address's province) is this")
    )
    created: DateTimeRangeInput | None = strawberry.field(
        default=None, description=_period("created (`createdAt`)", "created")
    )
    updated: DateTimeRangeInput | None = strawberry.field(
        default=None, description=_period("last changed (`updatedAt`)", "updated")
    )
    text: str | None = strawberry.field(
        default=None,
        description="Free text over names, company and contact names, phones and emails: "
        "every word matches as a prefix (`Anna T`), Chinese substrings, pinyin and initials "
        "from any syllable (`xiuying` finds 王秀英), a phone in any usual notation. "
        "Nothing searchable: `text` INVALID_SEARCH. A phone or e-mail is NOT_SEARCHABLE for "
        "a role that sees them masked (ANALYST), and such a role finds only enterprises by "
        "name.",
    )
    include_archived: bool = strawberry.field(
        default=False, description="Archived customers too (default: left out)."
    )
    archived_only: bool = strawberry.field(
        default=False, description="Only archived customers (wins over `includeArchived`)."
    )
    custom_fields: list[CustomFieldFilterInput] = strawberry.field(
        default_factory=list,
        description=_in("matching every one of these custom field conditions"),
    )

    def to_model(self) -> CustomerFilter:
        check_sizes(  # input hardening: bounded strings and lists (values typed, never operators)
            {
                "ownerId": self.owner_id,
                "team": self.team,
                "tagsAny": list(self.tags_any),
                "tagsAll": list(self.tags_all),
                "tier": self.tier,
                "industry": self.industry,
                "region": self.region,
                "text": self.text,
                "customFields": [c.key for c in self.custom_fields],
            }
        )
        return CustomerFilter(
            stages=list(self.stages),
            owner_id=str(self.owner_id) if self.owner_id else None,
            team=self.team,
            tags_any=list(self.tags_any),
            tags_all=list(self.tags_all),
            tier=self.tier,
            source=self.source,
            kind=self.kind,
            industry=self.industry,
            region=self.region,
            created=self.created,
            updated=self.updated,
            text=self.text,
            include_archived=self.include_archived,
            archived_only=self.archived_only,
            custom_fields=[ValueFilter(c.key, c.value) for c in self.custom_fields],
        )


@strawberry.input(
    description="The order of the customer list: by one time field, then by the customer's id "
    "in the same direction. A cursor is bound to the order it was made in: sent with another "
    "order it is BAD_USER_INPUT (`after` INVALID_CURSOR); start from the first page when the "
    "order changes."
)
class CustomerOrderInput:
    field: CustomerOrderFieldEnum = strawberry.field(  # type: ignore[valid-type]
        description="The time the list is ordered by."
    )
    direction: OrderDirection = strawberry.field(
        description="ASC: oldest first; DESC: newest (most recent) first."
    )

    def to_model(self) -> CustomerOrder:
        return CustomerOrder(CustomerOrderField(self.field), OrderDirection(self.direction))


# The order when none is given: newest first.
NEWEST_FIRST = CustomerOrderInput(
    field=CustomerOrderField.CREATED_AT,  # type: ignore[arg-type]
    direction=OrderDirection.DESC,
)


@strawberry.input(
    description="What a bulk operation changes; unset parts stay as they are, and at least "
    "one part must be set (`change` REQUIRED). Each part is applied as its own mutation would "
    "apply it, with its roles and errors, reported per customer."
)
class BulkChangeInput:
    stage: LifecycleStageEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="A new stage, by the allowed moves (INVALID_TRANSITION)."
    )
    owner_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A new owner, as assignCustomer gives one (ADMIN, MANAGER; an inactive "
        "staff member is INACTIVE_STAFF).",
    )
    team: str | None = strawberry.field(
        default=None, description="With `ownerId`: the new team (ignored without it)."
    )
    add_tags: list[str] = strawberry.field(
        default_factory=list, description="Tags to add (after `removeTags` are removed)."
    )
    remove_tags: list[str] = strawberry.field(default_factory=list, description="Tags to remove.")
    archived: bool | None = strawberry.field(
        default=None, description="true archives, false brings back (ADMIN, MANAGER)."
    )

    def to_model(self) -> BulkChange:
        return BulkChange(
            stage=self.stage,
            owner_id=str(self.owner_id) if self.owner_id else None,
            team=self.team,
            add_tags=list(self.add_tags),
            remove_tags=list(self.remove_tags),
            archived=self.archived,
        )


def to_filter(f: CustomerFilterInput | None, principal: Principal) -> CustomerFilter:
    """The filter (none: every customer) as the caller may search (`access.searchable`)."""
    return access.searchable(principal, (f or CustomerFilterInput()).to_model())
