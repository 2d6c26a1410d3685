"""Cleaning and checking a customer record's fields (pure): each helper returns the
normalised value and appends a FieldError for every problem, so that `model.validate` names
every bad field at once."""

from __future__ import annotations

from datetime import date
from typing import Any

from crm_customer.customers import validators as v
from crm_customer.customers.validators import normalize_phone
from crm_customer.customers.values import (
    MAX_LIST,
    MAX_NAME,
    MAX_TAG,
    MAX_TAGS,
    MAX_TEXT,
    Address,
    ContactPerson,
    Gender,
)
from crm_kit.errors import FieldError


def clean_text(
    value: str | None, path: str, errors: list[FieldError], limit: int = MAX_TEXT
) -> str:
    cleaned = " ".join((value or "").split())
    if len(cleaned) > limit:
        errors.append(FieldError(path, "TOO_LONG", f"At most {limit} characters"))
    return cleaned


def clean_optional(value: str | None, path: str, errors: list[FieldError]) -> str | None:
    return clean_text(value, path, errors) or None


def clean_name(name: str, errors: list[FieldError], path: str = "name") -> str:
    value = clean_text(name, path, errors, MAX_NAME)
    if not value:
        errors.append(FieldError(path, "REQUIRED", "Name is required"))
    return value


def clean_tags(tags: list[str], errors: list[FieldError]) -> list[str]:
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


def clean_phones(phones: list[str], path: str, errors: list[FieldError]) -> list[str]:
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


def clean_emails(emails: list[str], path: str, errors: list[FieldError]) -> list[str]:
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


def clean_addresses(addresses: list[Address], errors: list[FieldError]) -> list[Address]:
    cleaned: list[Address] = []
    for i, a in enumerate(addresses):
        path = f"addresses[{i}]"
        province = clean_text(a.province, f"{path}.province", errors, 40)
        if not province:
            errors.append(FieldError(f"{path}.province", "REQUIRED", "Province is required"))
        postal = clean_text(a.postal_code, f"{path}.postalCode", errors, 12)
        if postal and not postal.replace("-", "").replace(" ", "").isalnum():
            errors.append(FieldError(f"{path}.postalCode", "INVALID_POSTAL_CODE", "Bad code"))
        cleaned.append(
            Address(
                province=province,
                city=clean_text(a.city, f"{path}.city", errors, 40),
                district=clean_text(a.district, f"{path}.district", errors, 40),
                street=clean_text(a.street, f"{path}.street", errors),
                postal_code=postal,
            )
        )
    if len(cleaned) > MAX_LIST:
        errors.append(FieldError("addresses", "TOO_MANY", f"At most {MAX_LIST} entries"))
    return cleaned


def clean_contacts(contacts: list[ContactPerson], errors: list[FieldError]) -> list[ContactPerson]:
    cleaned: list[ContactPerson] = []
    for i, c in enumerate(contacts):
        path = f"contacts[{i}]"
        cleaned.append(
            ContactPerson(
                name=clean_name(c.name, errors, f"{path}.name"),
                title=clean_text(c.title, f"{path}.title", errors, 80),
                phones=clean_phones(c.phones, f"{path}.phones", errors),
                emails=clean_emails(c.emails, f"{path}.emails", errors),
                primary=c.primary,
            )
        )
    if sum(1 for c in cleaned if c.primary) > 1:
        errors.append(FieldError("contacts", "MULTIPLE_PRIMARY", "Only one primary contact"))
    if len(cleaned) > MAX_LIST:
        errors.append(FieldError("contacts", "TOO_MANY", f"At most {MAX_LIST} entries"))
    return cleaned


def check_identity(
    birthday: date | None,
    id_card_number: str | None,
    gender: Gender | None,
    today: date,
    errors: list[FieldError],
) -> dict[str, Any]:
    """An individual's birthday and ID-card number checked together: the normalised number,
    and the birthday and gender it implies when they are not given."""
    out: dict[str, Any] = {"id_card_number": None}
    if birthday is not None and not v.birthday_plausible(birthday, today):
        errors.append(FieldError("birthday", "IMPOSSIBLE_BIRTHDAY", "Birthday is impossible"))
    if id_card_number:
        number = v.normalize_id_card(id_card_number)
        problem = v.id_card_problem(number, today)
        if problem:
            errors.append(FieldError("idCardNumber", problem, "Not a valid ID card number"))
            return out
        out["id_card_number"] = number
        born = v.id_card_birthday(number)
        if birthday is None:
            out["birthday"] = born
        elif birthday != born:
            errors.append(
                FieldError("birthday", "BIRTHDAY_MISMATCH", "Birthday differs from ID card")
            )
        implied = Gender(v.id_card_gender(number))
        if gender is None:
            out["gender"] = implied
        elif gender not in (implied, Gender.UNDISCLOSED):
            errors.append(FieldError("gender", "GENDER_MISMATCH", "Gender differs from ID card"))
    return out


def check_company(
    uscc: str | None, industry: str | None, errors: list[FieldError]
) -> dict[str, Any]:
    """An enterprise's credit code and industry section, normalised."""
    out: dict[str, Any] = {"uscc": None, "industry": None}
    if uscc:
        code = v.normalize_uscc(uscc)
        problem = v.uscc_problem(code)
        if problem:
            errors.append(FieldError("uscc", problem, "Not a valid unified social credit code"))
        out["uscc"] = code
    if industry:
        section = industry.strip().upper()
        if section not in v.INDUSTRY_SECTIONS:
            errors.append(FieldError("industry", "INVALID_INDUSTRY", "Unknown GB/T 4754 section"))
        out["industry"] = section
    return out


def camel(name: str) -> str:
    """A model field name as the API spells it (``source_detail`` → ``sourceDetail``)."""
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)
