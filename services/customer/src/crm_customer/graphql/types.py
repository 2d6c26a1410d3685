"""GraphQL types of the customer subgraph."""

from __future__ import annotations

from datetime import date, datetime
from typing import Self

import strawberry
from strawberry.scalars import JSON

from crm_customer.catalog.model import split as tags_split
from crm_customer.customers.filters import SortOrder
from crm_customer.customers.model import Customer as CustomerModel
from crm_customer.customers.values import CompanySize, CustomerKind, Gender, LifecycleStage, Source
from crm_customer.duplicates.model import DuplicateRule
from crm_customer.graphql.catalog_types import CustomFieldFilterInput, Tag, catalog_tags
from crm_customer.graphql.context import Info
from crm_customer.graphql.loaders import customer_loader
from crm_customer.history.model import Version, VersionAction
from crm_customer.protection.personal import display_name, personal_parts
from crm_kit.graphql import PageInfo
from crm_kit.personal_types import (
    Birthday,
    CustomerName,
    EmailAddress,
    IdCardNumber,
    PersonalJSON,
    PersonName,
    PhoneNumber,
    StreetAddress,
    WeChatId,
)

CustomerKindEnum = strawberry.enum(CustomerKind, name="CustomerKind")
LifecycleStageEnum = strawberry.enum(LifecycleStage, name="LifecycleStage")
SourceEnum = strawberry.enum(Source, name="CustomerSource")
GenderEnum = strawberry.enum(Gender, name="Gender")
CompanySizeEnum = strawberry.enum(CompanySize, name="CompanySize")
SortEnum = strawberry.enum(SortOrder, name="CustomerSort")
VersionActionEnum = strawberry.enum(VersionAction, name="CustomerVersionAction")
DuplicateRuleEnum = strawberry.enum(DuplicateRule, name="DuplicateRule")
MAX_HISTORY_PAGE = 100


@strawberry.type
class Address:
    province: str
    city: str
    district: str
    street: StreetAddress
    postal_code: StreetAddress


@strawberry.type
class ContactPerson:
    name: PersonName
    title: str
    phones: list[PhoneNumber]
    emails: list[EmailAddress]
    primary: bool


@strawberry.type(
    description="One field's value before and after a change; personal parts are masked "
    "for roles that may not see them (ID numbers are recorded masked)."
)
class FieldChange:
    field: str
    before: PersonalJSON | None
    after: PersonalJSON | None


@strawberry.type
class CustomerVersion:
    version: int
    at: datetime
    actor_id: str
    action: VersionActionEnum  # type: ignore[valid-type]
    changes: list[FieldChange]

    @classmethod
    def from_model(cls, v: Version) -> Self:
        return cls(
            version=v.version,
            at=v.at,
            actor_id=v.actor,
            action=v.action,
            changes=[
                FieldChange(
                    field=c.field,
                    before=personal_parts(c.field, c.before),
                    after=personal_parts(c.field, c.after),
                )
                for c in v.changes
            ],
        )


@strawberry.type
class CustomerVersionConnection:
    versions: list[CustomerVersion]
    total_count: int
    has_more: bool


async def version_page(
    info: Info, customer_id: str, first: int, before_version: int | None
) -> CustomerVersionConnection:
    first = max(1, min(first, MAX_HISTORY_PAGE))
    items, total = await info.context.deps.customers.versions(
        customer_id, first + 1, before_version
    )
    return CustomerVersionConnection(
        versions=[CustomerVersion.from_model(v) for v in items[:first]],
        total_count=total,
        has_more=len(items) > first,
    )


@strawberry.federation.type(keys=["id"], description="A customer: the single trustworthy record.")
class Customer:
    id: strawberry.ID
    kind: CustomerKindEnum  # type: ignore[valid-type]
    display_name: CustomerName
    stage: LifecycleStageEnum  # type: ignore[valid-type]
    tier: str | None
    tags: list[str]
    phones: list[PhoneNumber]
    emails: list[EmailAddress]
    source: SourceEnum | None  # type: ignore[valid-type]
    source_detail: str | None
    referrer: str | None
    owner_id: strawberry.ID | None
    team: str | None
    version: int
    archived: bool
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str
    gender: GenderEnum | None  # type: ignore[valid-type]
    birthday: Birthday | None
    wechat_id: WeChatId | None
    addresses: list[Address]
    region: str | None
    uscc: str | None = strawberry.field(description="Unified social credit code (GB 32100).")
    industry: str | None = strawberry.field(description="GB/T 4754 section code, A–T.")
    company_size: CompanySizeEnum | None  # type: ignore[valid-type]
    website: str | None
    contacts: list[ContactPerson]
    erased: bool
    custom_fields: JSON = strawberry.field(
        description="Custom field values as a JSON object {key: value} (see "
        "customFieldDefinitions for labels, types and options)."
    )
    id_card: strawberry.Private[str | None]

    @strawberry.field(description="The customer's tags that are in the ADMIN tag catalog.")
    async def catalog_tags(self, info: Info) -> list[Tag]:
        found = await catalog_tags(info, self.tags)
        return [Tag.from_model(found[t]) for t in self.tags if t in found]

    @strawberry.field(description="The customer's tags that are not in the catalog.")
    async def free_tags(self, info: Info) -> list[str]:
        return tags_split(self.tags, await catalog_tags(info, self.tags))[1]

    @strawberry.field(description="GB 11643 ID-card number; masked unless the caller may see it.")
    def id_card_number(self) -> IdCardNumber | None:
        return IdCardNumber(self.id_card) if self.id_card else None

    @strawberry.field(description="Every change, newest first, with field-level before/after.")
    async def history(
        self, info: Info, first: int = 20, before_version: int | None = None
    ) -> CustomerVersionConnection:
        return await version_page(info, str(self.id), first, before_version)

    @classmethod
    def from_model(cls, c: CustomerModel) -> Self:
        return cls(
            id=strawberry.ID(c.id),
            kind=c.kind,
            display_name=display_name(c),
            stage=c.stage,
            tier=c.tier,
            tags=c.tags,
            phones=[PhoneNumber(p) for p in c.phones],
            emails=[EmailAddress(e) for e in c.emails],
            source=c.source,
            source_detail=c.source_detail,
            referrer=c.referrer,
            owner_id=strawberry.ID(c.owner_id) if c.owner_id else None,
            team=c.team,
            version=c.version,
            archived=c.archived,
            created_at=c.created_at,
            updated_at=c.updated_at,
            created_by=c.created_by,
            updated_by=c.updated_by,
            gender=c.gender,
            birthday=Birthday(c.birthday) if c.birthday else None,
            wechat_id=WeChatId(c.wechat_id) if c.wechat_id else None,
            addresses=[
                Address(
                    province=a.province,
                    city=a.city,
                    district=a.district,
                    street=StreetAddress(a.street),
                    postal_code=StreetAddress(a.postal_code),
                )
                for a in c.addresses
            ],
            region=c.region,
            uscc=c.uscc,
            industry=c.industry,
            company_size=c.company_size,
            website=c.website,
            contacts=[
                ContactPerson(
                    name=PersonName(p.name),
                    title=p.title,
                    phones=[PhoneNumber(n) for n in p.phones],
                    emails=[EmailAddress(e) for e in p.emails],
                    primary=p.primary,
                )
                for p in c.contacts
            ],
            erased=c.erased,
            custom_fields=JSON(dict(c.custom_fields)),
            id_card=c.id_card_number,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self:
        info.context.principal  # noqa: B018 - authenticate before any data is read
        model: CustomerModel = await customer_loader(info).load(str(id))
        return cls.from_model(model)


@strawberry.type
class CustomerEdge:
    cursor: str
    node: Customer


@strawberry.type
class CustomerConnection:
    edges: list[CustomerEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type(description="Two records that may be the same customer, for review.")
class DuplicatePair:
    id: strawberry.ID
    customer_ids: list[strawberry.ID]
    rule: DuplicateRuleEnum  # type: ignore[valid-type]
    score: float
    status: str
    created_at: datetime

    @strawberry.field
    async def customers(self, info: Info) -> list[Customer]:
        loader = customer_loader(info)
        return [Customer.from_model(await loader.load(str(i))) for i in self.customer_ids]


@strawberry.type
class DuplicatePairList:
    items: list[DuplicatePair]
    total_count: int


@strawberry.input
class FieldChoiceInput:
    field: str = strawberry.field(description="A Customer field name, e.g. displayName → name.")
    customer_id: strawberry.ID


@strawberry.input
class MergeCustomersInput:
    survivor_id: strawberry.ID
    merged_ids: list[strawberry.ID]
    field_choices: list[FieldChoiceInput] = strawberry.field(default_factory=list)
    expected_version: int | None = None
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the first merge."
    )


@strawberry.type
class MergeResult:
    merge_id: strawberry.ID
    customer: Customer


@strawberry.input(description="What a bulk operation changes; unset parts stay as they are.")
class BulkChangeInput:
    stage: LifecycleStageEnum | None = None  # type: ignore[valid-type]
    owner_id: strawberry.ID | None = None
    team: str | None = None
    add_tags: list[str] = strawberry.field(default_factory=list)
    remove_tags: list[str] = strawberry.field(default_factory=list)
    archived: bool | None = None


@strawberry.type
class BulkItemResult:
    id: strawberry.ID
    ok: bool
    version: int | None
    code: str | None
    message: str | None


@strawberry.type
class BulkResult:
    succeeded: int
    failed: int
    truncated: bool = strawberry.field(description="The filter matched more than one batch.")
    items: list[BulkItemResult]


@strawberry.type
class CountBucket:
    key: str | None
    count: int


@strawberry.type
class WeekCount:
    week_start: datetime
    count: int


@strawberry.type
class StageTransition:
    from_stage: str | None
    to_stage: str
    count: int


@strawberry.type(description="Dashboard figures for the customers matching a filter.")
class CustomerStatistics:
    total: int
    by_stage: list[CountBucket]
    by_source: list[CountBucket]
    by_industry: list[CountBucket]
    by_region: list[CountBucket]
    by_owner: list[CountBucket]
    by_kind: list[CountBucket]
    by_tier: list[CountBucket]
    new_per_week: list[WeekCount]
    stage_transitions: list[StageTransition] = strawberry.field(
        description="Stage changes recorded in history (all customers): funnel conversion."
    )


@strawberry.type
class IndustrySection:
    code: str
    name_zh: str
    name_en: str


@strawberry.input
class AddressInput:
    province: str
    city: str = ""
    district: str = ""
    street: str = ""
    postal_code: str = ""


@strawberry.input
class ContactPersonInput:
    name: str
    title: str = ""
    phones: list[str] = strawberry.field(default_factory=list)
    emails: list[str] = strawberry.field(default_factory=list)
    primary: bool = False


@strawberry.input
class CreateCustomerInput:
    kind: CustomerKindEnum  # type: ignore[valid-type]
    name: str
    stage: LifecycleStageEnum = LifecycleStage.LEAD  # type: ignore[valid-type]
    tier: str | None = None
    tags: list[str] = strawberry.field(default_factory=list)
    phones: list[str] = strawberry.field(default_factory=list)
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


@strawberry.input
class UpdateCustomerInput:
    name: str | None = None
    stage: LifecycleStageEnum | None = None  # type: ignore[valid-type]
    tier: str | None = None
    tags: list[str] | None = None
    phones: list[str] | None = None
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
        description="Free text over names, company and contact names, phones and emails "
        "(Chinese substrings, pinyin and initials work).",
    )
    include_archived: bool = False
    archived_only: bool = False
    custom_fields: list[CustomFieldFilterInput] = strawberry.field(default_factory=list)
