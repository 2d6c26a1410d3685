"""GraphQL output types of customers: the federated `Customer` entity and the values it holds
(its list, bulk results and statistics are `results`, its enums `enums`). Personal fields are
typed with crm_kit's personal scalars, which mask them for roles that may not see them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

import strawberry
from strawberry.scalars import JSON

from crm_customer import access
from crm_customer.catalog.graphql import Tag, catalog_tags
from crm_customer.catalog.model import split as tags_split
from crm_customer.customers.enums import (
    CompanySizeEnum,
    CustomerKindEnum,
    GenderEnum,
    LifecycleStageEnum,
    PhoneKindEnum,
    SourceEnum,
)
from crm_customer.customers.model import Customer as CustomerModel
from crm_customer.customers.validators import phone_kind
from crm_customer.customers.values import CustomerKind
from crm_customer.graphql.context import Info
from crm_customer.history.types import CustomerVersionConnection, version_page
from crm_customer.staff.graphql import StaffMember, staff_member
from crm_customer.viewer.abilities import viewer_can
from crm_kit.errors import NotFound
from crm_kit.graphql import PageAfter, PageFirst
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
from crm_kit.policy import Action


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
    kind: PhoneKindEnum = strawberry.field(description="What kind of number it is.")  # type: ignore[valid-type]


def phone_details(numbers: list[PhoneNumber]) -> list[PhoneDetail]:
    return [PhoneDetail(number=n, kind=phone_kind(n)) for n in numbers]


_PHONE_DETAILS = "The phones with their kinds, in the order of `phones`."
_PHONES = "Phone numbers in normal form (see `phoneDetails`), at most 10; masked for ANALYST."
_EMAILS = "E-mail addresses, lower-cased, at most 10; masked for ANALYST."
_SERVICE_MASKED = "masked (as an empty string) for SERVICE and ANALYST"


@strawberry.type(description="A customer's postal address.")
class Address:
    province: str = strawberry.field(
        description="The province-level division (at most 40 characters); never empty."
    )
    city: str = strawberry.field(description="The city (at most 40 characters); may be empty.")
    district: str = strawberry.field(
        description="The district or county (at most 40 characters); may be empty."
    )
    street: StreetAddress = strawberry.field(
        description=f"The street address (at most 200 characters); {_SERVICE_MASKED}."
    )
    postal_code: StreetAddress = strawberry.field(
        description="The postal code (at most 12 of letters, digits, spaces and -); "
        f"{_SERVICE_MASKED}."
    )


@strawberry.type(description="A contact person of an enterprise customer.")
class ContactPerson:
    name: PersonName = strawberry.field(
        description="The person's name (1–200 characters); masked for ANALYST."
    )
    title: str = strawberry.field(description="Job title (at most 80 characters); may be empty.")
    phones: list[PhoneNumber] = strawberry.field(description=_PHONES)
    emails: list[EmailAddress] = strawberry.field(description=_EMAILS)
    primary: bool = strawberry.field(
        description="The enterprise's main contact; at most one per customer."
    )

    @strawberry.field(description=_PHONE_DETAILS)
    def phone_details(self) -> list[PhoneDetail]:
        return phone_details(self.phones)


@strawberry.federation.type(
    keys=["id"],
    description="A customer: the single trustworthy record; the other services add its "
    "interactions, tickets, tasks, figures and notifications. Read by ADMIN, SERVICE and "
    "ANALYST (every customer), MANAGER (their team's) and SALES (their own; their team's too "
    "when so configured); personal fields are masked by role.",
)
class Customer:
    id: strawberry.ID = strawberry.field(
        description="Stable, opaque id. Looked up by the id of a merged-away record, the "
        "survivor is returned (with its own id)."
    )
    kind: CustomerKindEnum = strawberry.field(description="A person or an organisation.")  # type: ignore[valid-type]
    display_name: CustomerName = strawberry.field(
        description="The name (1–200 characters): an enterprise's in clear, a person's masked "
        "for ANALYST."
    )
    stage: LifecycleStageEnum = strawberry.field(description="The lifecycle stage.")  # type: ignore[valid-type]
    tier: str | None = strawberry.field(
        description="A free-text tier label (at most 200 characters); null when none."
    )
    tags: list[str] = strawberry.field(
        description="Tag names, catalog and free alike, in the order given (at most 50, each "
        "1–40 characters); see `catalogTags` and `freeTags`."
    )
    phones: list[PhoneNumber] = strawberry.field(description=_PHONES)
    emails: list[EmailAddress] = strawberry.field(description=_EMAILS)
    source: SourceEnum | None = strawberry.field(  # type: ignore[valid-type]
        description="How the customer came; null when unknown."
    )
    source_detail: str | None = strawberry.field(
        description="Free text on the source (at most 200 characters)."
    )
    referrer: str | None = strawberry.field(
        description="Who referred the customer (free text, at most 200 characters); only with "
        "source REFERRAL."
    )
    owner_id: strawberry.ID | None = strawberry.field(
        description="The owning staff member (`StaffMember.id`); null when unassigned. SALES "
        "see the customers they own."
    )
    team: str | None = strawberry.field(
        description="The owning team; its MANAGERs see and manage the customer."
    )
    version: int = strawberry.field(
        description="1 at creation, +1 with every change; send it as `expectedVersion` so a "
        "concurrent change is a CONFLICT rather than lost."
    )
    archived: bool = strawberry.field(
        description="Soft-deleted: left out of lists, searches and counts unless the filter "
        "asks (`includeArchived`, `archivedOnly`)."
    )
    created_at: datetime = strawberry.field(
        description="When the record was created (ISO 8601 date-time, UTC)."
    )
    updated_at: datetime = strawberry.field(
        description="When the record last changed (ISO 8601 date-time, UTC)."
    )
    created_by: strawberry.ID = strawberry.field(
        description="Who created it (staff id, a token's sub; see `creator`)."
    )
    updated_by: strawberry.ID = strawberry.field(
        description="Who changed it last (staff id; see `lastEditor`)."
    )
    gender: GenderEnum | None = strawberry.field(  # type: ignore[valid-type]
        description="INDIVIDUAL only; taken from the ID-card number when not given."
    )
    birthday: Birthday | None = strawberry.field(
        description="INDIVIDUAL only (ISO 8601 date); taken from the ID-card number when not "
        "given; masked for SERVICE and ANALYST."
    )
    wechat_id: WeChatId | None = strawberry.field(
        description="WeChat id (6–20 characters: a letter, then letters, digits, - or _); "
        "masked for ANALYST."
    )
    addresses: list[Address] = strawberry.field(
        description="Postal addresses, at most 10; the first one's province is `region`."
    )
    region: str | None = strawberry.field(
        description="The first address's province: what region filters, statistics, duplicate "
        "matching and assignment rules use; null without an address."
    )
    uscc: str | None = strawberry.field(
        description="ENTERPRISE only: unified social credit code (GB 32100, 18 characters)."
    )
    industry: str | None = strawberry.field(
        description="ENTERPRISE only: GB/T 4754 section code, A–T (see `industrySections`)."
    )
    company_size: CompanySizeEnum | None = strawberry.field(  # type: ignore[valid-type]
        description="ENTERPRISE only: its size class."
    )
    website: str | None = strawberry.field(description="An http(s) URL, at most 300 characters.")
    contacts: list[ContactPerson] = strawberry.field(
        description="ENTERPRISE only: contact people, at most 10, at most one primary."
    )
    erased: bool = strawberry.field(
        description="Personal data erased on request (`eraseCustomer`): an archived tombstone "
        "named 已删除客户 without personal fields."
    )
    custom_fields: JSON = strawberry.field(
        description="Custom field values as a JSON object {key: value} (see "
        "customFieldDefinitions for labels, types and options)."
    )
    id_card: strawberry.Private[str | None]
    viewer_can_update: bool = viewer_can(Action.UPDATE)
    viewer_can_assign: bool = viewer_can(Action.ASSIGN)
    viewer_can_merge: bool = viewer_can(Action.MERGE)
    viewer_can_archive: bool = viewer_can(Action.ARCHIVE)
    viewer_can_erase: bool = viewer_can(Action.ERASE)
    viewer_can_reveal_personal_data: bool = viewer_can(Action.REVEAL)

    @strawberry.field(description=_PHONE_DETAILS)
    def phone_details(self) -> list[PhoneDetail]:
        return phone_details(self.phones)

    @strawberry.field(
        description="The owning staff member (`ownerId` resolved; loaded in batches); null "
        "when unassigned or the id is not in the staff directory."
    )
    async def owner(self, info: Info) -> StaffMember | None:
        return await staff_member(info, self.owner_id)

    @strawberry.field(
        description="The staff member who created it (`createdBy` resolved; loaded in batches); "
        "null when the id is not in the staff directory."
    )
    async def creator(self, info: Info) -> StaffMember | None:
        return await staff_member(info, self.created_by)

    @strawberry.field(
        description="The staff member who changed it last (`updatedBy` resolved; loaded in "
        "batches); null when the id is not in the staff directory."
    )
    async def last_editor(self, info: Info) -> StaffMember | None:
        return await staff_member(info, self.updated_by)

    @strawberry.field(description="The customer's tags that are in the ADMIN tag catalog.")
    async def catalog_tags(self, info: Info) -> list[Tag]:
        found = await catalog_tags(info, self.tags)
        return [Tag.from_model(found[t]) for t in self.tags if t in found]

    @strawberry.field(description="The customer's tags that are not in the catalog.")
    async def free_tags(self, info: Info) -> list[str]:
        return tags_split(self.tags, await catalog_tags(info, self.tags))[1]

    @strawberry.field(
        description="INDIVIDUAL only: the GB 11643 ID-card number; masked for every role but "
        "ADMIN (see `revealCustomerField`)."
    )
    def id_card_number(self) -> IdCardNumber | None:
        return IdCardNumber(self.id_card) if self.id_card else None

    @strawberry.field(description="Every change, newest first, with field-level before/after.")
    async def history(
        self, info: Info, first: PageFirst = 20, after: PageAfter = None
    ) -> CustomerVersionConnection:
        return await version_page(info, str(self.id), first, after)

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
            created_by=strawberry.ID(c.created_by),
            updated_by=strawberry.ID(c.updated_by),
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
