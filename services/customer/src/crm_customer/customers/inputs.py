"""GraphQL inputs of customers and how they become model values: the create and update
inputs (the list filter and a bulk change are `list_inputs`)."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from strawberry.scalars import JSON

from crm_customer.customers.enums import (
    CompanySizeEnum,
    CustomerKindEnum,
    GenderEnum,
    LifecycleStageEnum,
    SourceEnum,
)
from crm_customer.customers.model import CustomerChanges, NewCustomer
from crm_customer.customers.values import Address, ContactPerson, LifecycleStage
from crm_kit.errors import BadUserInput


@strawberry.input(
    description="A postal address; errors name `addresses[i].<field>`. Text is trimmed and "
    "its whitespace collapsed."
)
class AddressInput:
    province: str = strawberry.field(
        description="The province-level division, 1–40 characters (REQUIRED, TOO_LONG)."
    )
    city: str = strawberry.field(default="", description="At most 40 characters (TOO_LONG).")
    district: str = strawberry.field(default="", description="At most 40 characters.")
    street: str = strawberry.field(default="", description="At most 200 characters.")
    postal_code: str = strawberry.field(
        default="",
        description="At most 12 characters: letters, digits, spaces and - (INVALID_POSTAL_CODE).",
    )


_PHONES = (
    "Mobiles, landlines with their area code (an extension after -, x, ext or 转) and 400 / 800 "
    "numbers, in any usual notation; stored normalised (see `phoneDetails`). At most 10 "
    "(TOO_MANY); one that is not a valid number is `…phones[i]` INVALID_PHONE."
)
_EMAILS = (
    "E-mail addresses (stored lower-cased; at most 254 characters each), at most 10 "
    "(TOO_MANY); an invalid one is `…emails[i]` INVALID_EMAIL."
)


@strawberry.input(description="A contact person of an enterprise; errors name `contacts[i]…`.")
class ContactPersonInput:
    name: str = strawberry.field(description="1–200 characters (REQUIRED, TOO_LONG).")
    title: str = strawberry.field(default="", description="Job title, at most 80 characters.")
    phones: list[str] = strawberry.field(default_factory=list, description=_PHONES)
    emails: list[str] = strawberry.field(default_factory=list, description=_EMAILS)
    primary: bool = strawberry.field(
        default=False, description="The main contact; at most one (MULTIPLE_PRIMARY)."
    )


# What create and update share (an update's field left out or null stays as it is).
_NAME = "The name, 1–200 characters (REQUIRED, TOO_LONG)."
_TIER = "A free-text tier label, at most 200 characters (TOO_LONG)."
_TAGS = "Tag names, 1–40 characters each (INVALID_TAG), at most 50 (TOO_MANY); repeats dropped."
_SOURCE_DETAIL = "Free text on the source, at most 200 characters (TOO_LONG)."
_REFERRER = (
    "Who referred the customer, at most 200 characters; only with source REFERRAL "
    "(REFERRER_NEEDS_REFERRAL)."
)
_GENDER = "INDIVIDUAL only; must agree with the ID-card number (GENDER_MISMATCH)."
_BIRTHDAY = (
    "INDIVIDUAL only, an ISO 8601 date: within the last 150 years and not in the future "
    "(IMPOSSIBLE_BIRTHDAY), the ID-card number's if it has one (BIRTHDAY_MISMATCH)."
)
_ID_CARD = (
    "INDIVIDUAL only: an 18-character GB 11643 resident ID-card number (spaces dropped): "
    "INVALID_ID_CARD_FORMAT, INVALID_ID_CARD_REGION, INVALID_ID_CARD_BIRTHDAY, "
    "INVALID_ID_CARD_CHECK_DIGIT. Birthday and gender are taken from it when not given."
)
_WECHAT = "6–20 characters: a letter, then letters, digits, - or _ (INVALID_WECHAT_ID)."
_ADDRESSES = "At most 10 (TOO_MANY); the first one's province is the customer's `region`."
_USCC = (
    "ENTERPRISE only: an 18-character unified social credit code (GB 32100; spaces dropped, "
    "upper-cased): INVALID_USCC_FORMAT, INVALID_USCC_CHECK_CHAR."
)
_INDUSTRY = "ENTERPRISE only: a GB/T 4754 section letter A–T, any case (INVALID_INDUSTRY)."
_COMPANY_SIZE = "ENTERPRISE only."
_WEBSITE = "An http:// or https:// URL, at most 300 characters (INVALID_URL)."
_CONTACTS = "ENTERPRISE only: at most 10 (TOO_MANY), at most one primary (MULTIPLE_PRIMARY)."
_CUSTOM_ERRORS = (
    " Errors name `customFields.<key>`: UNKNOWN_CUSTOM_FIELD (undefined or inactive), "
    "CUSTOM_FIELD_TYPE, OPTION_NOT_ALLOWED, CUSTOM_FIELD_REQUIRED, TOO_LONG (TEXT over 500 "
    "characters); not an object: `customFields` CUSTOM_FIELD_TYPE."
)


@strawberry.input(
    description="A new customer. Text is trimmed and its whitespace collapsed; every bad field "
    "is reported at once (BAD_USER_INPUT fieldErrors); a field of the other kind is "
    "FIELD_NOT_FOR_KIND."
)
class CreateCustomerInput:
    kind: CustomerKindEnum = strawberry.field(description="A person or an organisation; fixed.")  # type: ignore[valid-type]
    name: str = strawberry.field(description=_NAME)
    stage: LifecycleStageEnum = strawberry.field(  # type: ignore[valid-type]
        default=LifecycleStage.LEAD,
        description="The first stage, LEAD by default; CHURNED is INVALID_STAGE.",
    )
    tier: str | None = strawberry.field(default=None, description=_TIER)
    tags: list[str] = strawberry.field(default_factory=list, description=_TAGS)
    phones: list[str] = strawberry.field(default_factory=list, description=_PHONES)
    emails: list[str] = strawberry.field(default_factory=list, description=_EMAILS)
    source: SourceEnum | None = strawberry.field(default=None, description="How it came.")  # type: ignore[valid-type]
    source_detail: str | None = strawberry.field(default=None, description=_SOURCE_DETAIL)
    referrer: str | None = strawberry.field(default=None, description=_REFERRER)
    owner_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The owner (staff id), within the caller's scope (FORBIDDEN otherwise). "
        "Left out: a SALES caller owns it; otherwise the assignment rules may pick one.",
    )
    team: str | None = strawberry.field(
        default=None,
        description="The owning team, within the caller's scope; left out: a SALES caller's.",
    )
    gender: GenderEnum | None = strawberry.field(default=None, description=_GENDER)  # type: ignore[valid-type]
    birthday: date | None = strawberry.field(default=None, description=_BIRTHDAY)
    id_card_number: str | None = strawberry.field(default=None, description=_ID_CARD)
    wechat_id: str | None = strawberry.field(default=None, description=_WECHAT)
    addresses: list[AddressInput] = strawberry.field(default_factory=list, description=_ADDRESSES)
    uscc: str | None = strawberry.field(default=None, description=_USCC)
    industry: str | None = strawberry.field(default=None, description=_INDUSTRY)
    company_size: CompanySizeEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description=_COMPANY_SIZE
    )
    website: str | None = strawberry.field(default=None, description=_WEBSITE)
    contacts: list[ContactPersonInput] = strawberry.field(
        default_factory=list, description=_CONTACTS
    )
    custom_fields: JSON | None = strawberry.field(
        default=None,
        description="Custom field values: a JSON object {key: value}." + _CUSTOM_ERRORS,
    )
    force: bool = strawberry.field(
        default=False, description="Create even when an exact duplicate exists."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="1–200 characters (REQUIRED when blank, TOO_LONG). Retrying with the same "
        "key returns the first result, whatever the input.",
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


@strawberry.input(
    description="A partial update: a field left out or null stays as it is, an empty string "
    "clears a text field, a list replaces the whole list. The result is checked as a create "
    "is (every bad field at once; a field of the other kind is FIELD_NOT_FOR_KIND)."
)
class UpdateCustomerInput:
    name: str | None = strawberry.field(default=None, description=_NAME)
    stage: LifecycleStageEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=None,
        description="A new stage, by the allowed moves (see LifecycleStage; INVALID_TRANSITION).",
    )
    tier: str | None = strawberry.field(default=None, description=_TIER)
    tags: list[str] | None = strawberry.field(default=None, description=_TAGS)
    phones: list[str] | None = strawberry.field(default=None, description=_PHONES)
    emails: list[str] | None = strawberry.field(default=None, description=_EMAILS)
    source: SourceEnum | None = strawberry.field(default=None, description="How it came.")  # type: ignore[valid-type]
    source_detail: str | None = strawberry.field(default=None, description=_SOURCE_DETAIL)
    referrer: str | None = strawberry.field(default=None, description=_REFERRER)
    gender: GenderEnum | None = strawberry.field(default=None, description=_GENDER)  # type: ignore[valid-type]
    birthday: date | None = strawberry.field(default=None, description=_BIRTHDAY)
    id_card_number: str | None = strawberry.field(default=None, description=_ID_CARD)
    wechat_id: str | None = strawberry.field(default=None, description=_WECHAT)
    addresses: list[AddressInput] | None = strawberry.field(default=None, description=_ADDRESSES)
    uscc: str | None = strawberry.field(default=None, description=_USCC)
    industry: str | None = strawberry.field(default=None, description=_INDUSTRY)
    company_size: CompanySizeEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description=_COMPANY_SIZE
    )
    website: str | None = strawberry.field(default=None, description=_WEBSITE)
    contacts: list[ContactPersonInput] | None = strawberry.field(
        default=None, description=_CONTACTS
    )
    custom_fields: JSON | None = strawberry.field(
        default=None,
        description="Changes to custom field values {key: value}; keys left out keep their "
        "value, a null value removes it." + _CUSTOM_ERRORS,
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
