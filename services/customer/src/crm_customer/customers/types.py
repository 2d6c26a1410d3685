"""GraphQL output types of customers: the federated `Customer` entity, its list, bulk results
and dashboard statistics. Personal fields are typed with crm_kit's personal scalars, which
mask them for roles that may not see them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

import strawberry
from strawberry.scalars import JSON

from crm_customer import access
from crm_customer.catalog.graphql import Tag, catalog_tags
from crm_customer.catalog.model import split as tags_split
from crm_customer.customers.filters import SortOrder
from crm_customer.customers.model import Customer as CustomerModel
from crm_customer.customers.validators import phone_kind
from crm_customer.customers.values import (
    CompanySize,
    CustomerKind,
    Gender,
    LifecycleStage,
    PhoneKind,
    Source,
)
from crm_customer.graphql.context import Info
from crm_customer.history.types import CustomerVersionConnection, version_page
from crm_kit.errors import NotFound
from crm_kit.graphql import PageInfo
from crm_kit.personal import Disclosed
from crm_kit.personal_types import (
    Birthday,
    CustomerName,
    EmailAddress,
    IdCardNumber,
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
PhoneKindEnum = strawberry.enum(
    PhoneKind,
    name="PhoneKind",
    description="MOBILE, LANDLINE (with area code) and SERVICE (400 / 800) are numbers in "
    "mainland China; INTERNATIONAL is any other country's number, of unknown type.",
)


def customer_loader(info: Info):  # type: ignore[no-untyped-def]
    """Per-request DataLoader of the customers the caller may read: one query per batch,
    never per item; one the caller may not read is a FORBIDDEN error at its path (null),
    never its data."""
    customers = info.context.deps.customer_queries
    principal = info.context.principal

    def shown(id: str, found: CustomerModel | None) -> CustomerModel | BaseException:
        if found is None:
            return NotFound("Customer", id)
        if not access.can(principal, found):
            return access.forbidden(id)
        return found  # personal fields are masked by their GraphQL types

    async def load(ids: list[str]) -> list[CustomerModel | BaseException]:
        found = await customers.get_many(ids)
        return [shown(i, found.get(i)) for i in ids]

    return info.context.loader("customer", load)


def display_name(customer: CustomerModel) -> Any:
    """An enterprise's name is public; an individual's is personal (masked by its type)."""
    if customer.kind is CustomerKind.ENTERPRISE:
        return Disclosed(customer.name)
    return customer.name


@strawberry.type(description="A phone number and what kind of number it is.")
class PhoneDetail:
    number: PhoneNumber = strawberry.field(
        description="Normalised: +86 mobiles and landlines (+862158881234), 400 / 800 numbers "
        "as 10 digits, E.164 otherwise; an extension after an x (+862158881234x8001)."
    )
    kind: PhoneKindEnum  # type: ignore[valid-type]


def phone_details(numbers: list[PhoneNumber]) -> list[PhoneDetail]:
    return [PhoneDetail(number=n, kind=phone_kind(n)) for n in numbers]


_PHONE_DETAILS = "The phones with their kinds, in the order of `phones`."


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

    @strawberry.field(description=_PHONE_DETAILS)
    def phone_details(self) -> list[PhoneDetail]:
        return phone_details(self.phones)


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

    @strawberry.field(description=_PHONE_DETAILS)
    def phone_details(self) -> list[PhoneDetail]:
        return phone_details(self.phones)

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
