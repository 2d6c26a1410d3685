"""Cleaning and checking a customer record's fields (pure): one BAD_USER_INPUT naming every
bad field at once, with the normalised values otherwise."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

from crm_customer.customers import validators as v
from crm_customer.customers.validators import normalize_phone
from crm_customer.customers.values import (
    ENTERPRISE_ONLY,
    INDIVIDUAL_ONLY,
    MAX_LIST,
    MAX_NAME,
    MAX_TAG,
    MAX_TAGS,
    MAX_TEXT,
    Address,
    ContactPerson,
    CustomerKind,
    Gender,
    Source,
)
from crm_kit.errors import BadUserInput, FieldError

if TYPE_CHECKING:
    from crm_customer.customers.model import Customer


# --- cleaning -------------------------------------------------------------------------------


def _text(value: str | None, path: str, errors: list[FieldError], limit: int = MAX_TEXT) -> str:
    cleaned = " ".join((value or "").split())
    if len(cleaned) > limit:
        errors.append(FieldError(path, "TOO_LONG", f"At most {limit} characters"))
    return cleaned


def _optional(value: str | None, path: str, errors: list[FieldError]) -> str | None:
    return _text(value, path, errors) or None


def _clean_name(name: str, errors: list[FieldError], path: str = "name") -> str:
    value = _text(name, path, errors, MAX_NAME)
    if not value:
        errors.append(FieldError(path, "REQUIRED", "Name is required"))
    return value


def _clean_tags(tags: list[str], errors: list[FieldError]) -> list[str]:
    cleaned: list[str] = []
    for tag in tags:
        value = tag.strip()
        if not value or len(value) > MAX_TAG:
            errors.append(FieldError("tags", "INVALID_TAG", f"Tags are 1 to {MAX_TAG} characters"))
        elif value not in cleaned:
            cleaned.append(value)
    if len(cleaned) > MAX_TAGS:
        errors.append(FieldError("tags", "TOO_MANY", f"At most {MAX_TAGS} tags"))
    return cleaned


def _clean_phones(phones: list[str], path: str, errors: list[FieldError]) -> list[str]:
    cleaned: list[str] = []
    for i, phone in enumerate(phones):
        normalized = normalize_phone(phone)
        if normalized is None:
            errors.append(FieldError(f"{path}[{i}]", "INVALID_PHONE", "Not a valid phone number"))
        elif normalized not in cleaned:
            cleaned.append(normalized)
    if len(cleaned) > MAX_LIST:
        errors.append(FieldError(path, "TOO_MANY", f"At most {MAX_LIST} entries"))
    return cleaned


def _clean_emails(emails: list[str], path: str, errors: list[FieldError]) -> list[str]:
    cleaned: list[str] = []
    for i, email in enumerate(emails):
        normalized = v.normalize_email(email)
        if normalized is None:
            errors.append(FieldError(f"{path}[{i}]", "INVALID_EMAIL", "Not a valid email"))
        elif normalized not in cleaned:
            cleaned.append(normalized)
    if len(cleaned) > MAX_LIST:
        errors.append(FieldError(path, "TOO_MANY", f"At most {MAX_LIST} entries"))
    return cleaned


def _clean_addresses(addresses: list[Address], errors: list[FieldError]) -> list[Address]:
    cleaned: list[Address] = []
    for i, a in enumerate(addresses):
        path = f"addresses[{i}]"
        province = _text(a.province, f"{path}.province", errors, 40)
        if not province:
            errors.append(FieldError(f"{path}.province", "REQUIRED", "Province is required"))
        postal = _text(a.postal_code, f"{path}.postalCode", errors, 12)
        if postal and not postal.replace("-", "").replace(" ", "").isalnum():
            errors.append(FieldError(f"{path}.postalCode", "INVALID_POSTAL_CODE", "Bad code"))
        cleaned.append(
            Address(
                province=province,
                city=_text(a.city, f"{path}.city", errors, 40),
                district=_text(a.district, f"{path}.district", errors, 40),
                street=_text(a.street, f"{path}.street", errors),
                postal_code=postal,
            )
        )
    if len(cleaned) > MAX_LIST:
        errors.append(FieldError("addresses", "TOO_MANY", f"At most {MAX_LIST} entries"))
    return cleaned


def _clean_contacts(contacts: list[ContactPerson], errors: list[FieldError]) -> list[ContactPerson]:
    cleaned: list[ContactPerson] = []
    for i, c in enumerate(contacts):
        path = f"contacts[{i}]"
        cleaned.append(
            ContactPerson(
                name=_clean_name(c.name, errors, f"{path}.name"),
                title=_text(c.title, f"{path}.title", errors, 80),
                phones=_clean_phones(c.phones, f"{path}.phones", errors),
                emails=_clean_emails(c.emails, f"{path}.emails", errors),
                primary=c.primary,
            )
        )
    if sum(1 for c in cleaned if c.primary) > 1:
        errors.append(FieldError("contacts", "MULTIPLE_PRIMARY", "Only one primary contact"))
    if len(cleaned) > MAX_LIST:
        errors.append(FieldError("contacts", "TOO_MANY", f"At most {MAX_LIST} entries"))
    return cleaned


def _check_identity(c: Customer, today: date, errors: list[FieldError]) -> dict[str, Any]:
    out: dict[str, Any] = {"id_card_number": None}
    if c.birthday is not None and not v.birthday_plausible(c.birthday, today):
        errors.append(FieldError("birthday", "IMPOSSIBLE_BIRTHDAY", "Birthday is impossible"))
    if c.id_card_number:
        number = v.normalize_id_card(c.id_card_number)
        problem = v.id_card_problem(number, today)
        if problem:
            errors.append(FieldError("idCardNumber", problem, "Not a valid ID card number"))
            return out
        out["id_card_number"] = number
        born = v.id_card_birthday(number)
        if c.birthday is None:
            out["birthday"] = born
        elif c.birthday != born:
            errors.append(
                FieldError("birthday", "BIRTHDAY_MISMATCH", "Birthday differs from ID card")
            )
        implied = Gender(v.id_card_gender(number))
        if c.gender is None:
            out["gender"] = implied
        elif c.gender not in (implied, Gender.UNDISCLOSED):
            errors.append(FieldError("gender", "GENDER_MISMATCH", "Gender differs from ID card"))
    return out


def _check_company(c: Customer, errors: list[FieldError]) -> dict[str, Any]:
    out: dict[str, Any] = {"uscc": None, "industry": None}
    if c.uscc:
        code = v.normalize_uscc(c.uscc)
        problem = v.uscc_problem(code)
        if problem:
            errors.append(FieldError("uscc", problem, "Not a valid unified social credit code"))
        out["uscc"] = code
    if c.industry:
        section = c.industry.strip().upper()
        if section not in v.INDUSTRY_SECTIONS:
            errors.append(FieldError("industry", "INVALID_INDUSTRY", "Unknown GB/T 4754 section"))
        out["industry"] = section
    return out


def validate(c: Customer, today: date) -> Customer:
    """Normalise every editable field; raise BadUserInput listing every bad field at once."""
    errors: list[FieldError] = []
    updates: dict[str, Any] = {
        "name": _clean_name(c.name, errors),
        "tier": _optional(c.tier, "tier", errors),
        "tags": _clean_tags(c.tags, errors),
        "phones": _clean_phones(c.phones, "phones", errors),
        "emails": _clean_emails(c.emails, "emails", errors),
        "source_detail": _optional(c.source_detail, "sourceDetail", errors),
        "referrer": _optional(c.referrer, "referrer", errors),
        "wechat_id": (c.wechat_id or "").strip() or None,
        "website": (c.website or "").strip() or None,
        "addresses": _clean_addresses(c.addresses, errors),
        "contacts": _clean_contacts(c.contacts, errors),
    }
    if updates["wechat_id"] and not v.valid_wechat_id(updates["wechat_id"]):
        errors.append(FieldError("wechatId", "INVALID_WECHAT_ID", "Not a valid WeChat id"))
    if updates["website"] and not v.valid_website(updates["website"]):
        errors.append(FieldError("website", "INVALID_URL", "Not a valid http(s) URL"))
    if updates["referrer"] and c.source is not Source.REFERRAL:
        errors.append(FieldError("referrer", "REFERRER_NEEDS_REFERRAL", "Only for REFERRAL"))
    not_for_kind = ENTERPRISE_ONLY if c.kind is CustomerKind.INDIVIDUAL else INDIVIDUAL_ONLY
    for name in not_for_kind:
        if getattr(c, name):
            path = camel(name)
            errors.append(FieldError(path, "FIELD_NOT_FOR_KIND", f"Not used for {c.kind}"))
    if c.kind is CustomerKind.INDIVIDUAL:
        updates.update(_check_identity(c, today, errors))
    else:
        updates.update(_check_company(c, errors))
    if errors:
        raise BadUserInput(errors)
    return replace(c, **updates)


def camel(name: str) -> str:
    """A model field name as the API spells it (``source_detail`` → ``sourceDetail``)."""
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)
