"""GraphQL inputs of customers and how they become model values: the create and update
inputs, the list filter (as the caller may search) and a bulk change."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from crm_customer import access
from crm_customer.catalog.field_values import ValueFilter
from crm_customer.catalog.graphql import CustomFieldFilterInput
from crm_customer.customers.bulk import BulkChange
from crm_customer.customers.filters import CustomerFilter
from crm_customer.customers.model import CustomerChanges, NewCustomer
from crm_customer.customers.types import (
    CompanySizeEnum,
    CustomerKindEnum,
    GenderEnum,
    LifecycleStageEnum,
    SourceEnum,
)
from crm_customer.customers.values import Address, ContactPerson, LifecycleStage
from crm_kit.auth import Principal
from crm_kit.errors import BadUserInput
from crm_kit.policy import check_sizes


@strawberry.input
class AddressInput:
    province: str
    city: str = ""
    district: str = ""
    street: str = ""
    postal_code: str = ""


_PHONES = (
    "Mobiles, landlines with their area code (an extension after -, x, ext or 转) and 400 / 800 "
    "numbers, in any usual notation; stored normalised (see `phoneDetails`)."
)


@strawberry.input
class ContactPersonInput:
    name: str
    title: str = ""
    phones: list[str] = strawberry.field(default_factory=list, description=_PHONES)
    emails: list[str] = strawberry.field(default_factory=list)
    primary: bool = False


@strawberry.input
class CreateCustomerInput:
    kind: CustomerKindEnum  # type: ignore[valid-type]
    name: str
    stage: LifecycleStageEnum = LifecycleStage.LEAD  # type: ignore[valid-type]
    tier: str | None = None
    tags: list[str] = strawberry.field(default_factory=list)
    phones: list[str] = strawberry.field(default_factory=list, description=_PHONES)
    emails: list[str] = strawberry.field(default_factory=list)
    source: SourceEnum | None = None  # type: ignore[valid-type]
    source_detail: str | None = None
    referrer: str | None = None
    owner_id: strawberry.ID | None = None
    team: str | None = None
    gender: GenderEnum | None = None  # type: ignore[valid-type]
    birthday: date | None = None
    id_card_number: str | None = None
    wechat_id: str | None = None
    addresses: list[AddressInput] = strawberry.field(default_factory=list)
    uscc: str | None = None
    industry: str | None = None
    company_size: CompanySizeEnum | None = None  # type: ignore[valid-type]
    website: str | None = None
    contacts: list[ContactPersonInput] = strawberry.field(default_factory=list)
    custom_fields: JSON | None = strawberry.field(
        default=None, description="Custom field values: a JSON object {key: value}."
    )
    force: bool = strawberry.field(
        default=False, description="Create even when an exact duplicate exists."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the first result."
    )

    def to_model(self, owner_id: str | None, team: str | None) -> NewCustomer:
        """The new customer, owned by `owner_id` and `team` (as the caller may place it)."""
        return NewCustomer(
            kind=self.kind,
            name=self.name,
            stage=self.stage,
            tier=self.tier,
            tags=self.tags,
            phones=self.phones,
            emails=self.emails,
            source=self.source,
            source_detail=self.source_detail,
            referrer=self.referrer,
            owner_id=owner_id,
            team=team,
            gender=self.gender,
            birthday=self.birthday,
            id_card_number=self.id_card_number,
            wechat_id=self.wechat_id,
            addresses=addresses(self.addresses) or [],
            uscc=self.uscc,
            industry=self.industry,
            company_size=self.company_size,
            website=self.website,
            contacts=contacts(self.contacts) or [],
            custom_fields=custom_values(self.custom_fields) or {},
        )


@strawberry.input
class UpdateCustomerInput:
    name: str | None = None
    stage: LifecycleStageEnum | None = None  # type: ignore[valid-type]
    tier: str | None = None
    tags: list[str] | None = None
    phones: list[str] | None = strawberry.field(default=None, description=_PHONES)
    emails: list[str] | None = None
    source: SourceEnum | None = None  # type: ignore[valid-type]
    source_detail: str | None = None
    referrer: str | None = None
    gender: GenderEnum | None = None  # type: ignore[valid-type]
    birthday: date | None = None
    id_card_number: str | None = None
    wechat_id: str | None = None
    addresses: list[AddressInput] | None = None
    uscc: str | None = None
    industry: str | None = None
    company_size: CompanySizeEnum | None = None  # type: ignore[valid-type]
    website: str | None = None
    contacts: list[ContactPersonInput] | None = None
    custom_fields: JSON | None = strawberry.field(
        default=None,
        description="Changes to custom field values {key: value}; keys left out keep their "
        "value, a null value removes it.",
    )

    def to_model(self) -> CustomerChanges:
        return CustomerChanges(
            name=self.name,
            stage=self.stage,
            tier=self.tier,
            tags=self.tags,
            phones=self.phones,
            emails=self.emails,
            source=self.source,
            source_detail=self.source_detail,
            referrer=self.referrer,
            gender=self.gender,
            birthday=self.birthday,
            id_card_number=self.id_card_number,
            wechat_id=self.wechat_id,
            addresses=addresses(self.addresses),
            uscc=self.uscc,
            industry=self.industry,
            company_size=self.company_size,
            website=self.website,
            contacts=contacts(self.contacts),
            custom_fields=custom_values(self.custom_fields),
        )


@strawberry.input
class CustomerFilterInput:
    stage: LifecycleStageEnum | None = None  # type: ignore[valid-type]
    stages: list[LifecycleStageEnum] = strawberry.field(default_factory=list)  # type: ignore[valid-type]
    owner_id: strawberry.ID | None = None
    team: str | None = None
    tag: str | None = None
    tags_any: list[str] = strawberry.field(default_factory=list)
    tags_all: list[str] = strawberry.field(default_factory=list)
    tier: str | None = None
    source: SourceEnum | None = None  # type: ignore[valid-type]
    kind: CustomerKindEnum | None = None  # type: ignore[valid-type]
    industry: str | None = None
    region: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None
    text: str | None = strawberry.field(
        default=None,
        description="Free text over names, company and contact names, phones and emails: "
        "every word matches as a prefix (`Anna T`), Chinese substrings, pinyin and initials "
        "from any syllable (`xiuying` finds 王秀英), a phone in any usual notation.",
    )
    include_archived: bool = False
    archived_only: bool = False
    custom_fields: list[CustomFieldFilterInput] = strawberry.field(default_factory=list)

    def to_model(self) -> CustomerFilter:
        check_sizes(  # input hardening: bounded strings and lists (values typed, never operators)
            {
                "ownerId": self.owner_id,
                "team": self.team,
                "tag": self.tag,
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
            stage=self.stage,
            stages=list(self.stages),
            owner_id=str(self.owner_id) if self.owner_id else None,
            team=self.team,
            tag=self.tag,
            tags_any=list(self.tags_any),
            tags_all=list(self.tags_all),
            tier=self.tier,
            source=self.source,
            kind=self.kind,
            industry=self.industry,
            region=self.region,
            created_from=self.created_from,
            created_to=self.created_to,
            updated_from=self.updated_from,
            updated_to=self.updated_to,
            text=self.text,
            include_archived=self.include_archived,
            archived_only=self.archived_only,
            custom_fields=[ValueFilter(c.key, c.value) for c in self.custom_fields],
        )


@strawberry.input(description="What a bulk operation changes; unset parts stay as they are.")
class BulkChangeInput:
    stage: LifecycleStageEnum | None = None  # type: ignore[valid-type]
    owner_id: strawberry.ID | None = None
    team: str | None = None
    add_tags: list[str] = strawberry.field(default_factory=list)
    remove_tags: list[str] = strawberry.field(default_factory=list)
    archived: bool | None = None

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


def addresses(items: list[AddressInput] | None) -> list[Address] | None:
    if items is None:
        return None
    return [Address(a.province, a.city, a.district, a.street, a.postal_code) for a in items]


def contacts(items: list[ContactPersonInput] | None) -> list[ContactPerson] | None:
    if items is None:
        return None
    return [ContactPerson(c.name, c.title, c.phones, c.emails, c.primary) for c in items]


def custom_values(values: object) -> dict[str, Any] | None:
    """A `customFields` JSON input: None (leave as is) or an object {key: value}."""
    if values is None:
        return None
    if not isinstance(values, dict) or not all(isinstance(k, str) for k in values):
        raise BadUserInput.single("customFields", "CUSTOM_FIELD_TYPE", "Expected an object")
    return dict(values)
