"""Customer master data: pure domain rules, no I/O (the record itself is in `model`)."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date, datetime
from typing import Any

from crm_customer import validators as v
from crm_customer.model import (
    ALLOWED_TRANSITIONS,
    EDITABLE,
    ENTERPRISE_ONLY,
    INDIVIDUAL_ONLY,
    MAX_LIST,
    MAX_NAME,
    MAX_TAG,
    MAX_TAGS,
    MAX_TEXT,
    Address,
    CompanySize,
    ContactPerson,
    Customer,
    CustomerChanges,
    CustomerKind,
    Gender,
    LifecycleStage,
    NewCustomer,
    Source,
)
from crm_customer.validators import normalize_phone
from crm_kit.errors import BadUserInput, Conflict, FieldError

__all__ = [
    "ALLOWED_TRANSITIONS",
    "EDITABLE",
    "ENTERPRISE_ONLY",
    "INDIVIDUAL_ONLY",
    "MAX_LIST",
    "MAX_NAME",
    "MAX_TAG",
    "MAX_TAGS",
    "MAX_TEXT",
    "Address",
    "CompanySize",
    "ContactPerson",
    "Customer",
    "CustomerChanges",
    "CustomerKind",
    "Gender",
    "LifecycleStage",
    "NewCustomer",
    "Source",
    "normalize_phone",
]


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
            path = _camel(name)
            errors.append(FieldError(path, "FIELD_NOT_FOR_KIND", f"Not used for {c.kind}"))
    if c.kind is CustomerKind.INDIVIDUAL:
        updates.update(_check_identity(c, today, errors))
    else:
        updates.update(_check_company(c, errors))
    if errors:
        raise BadUserInput(errors)
    return replace(c, **updates)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


def create(new: NewCustomer, *, id: str, actor: str, now: datetime) -> Customer:
    values = {f.name: getattr(new, f.name) for f in fields(NewCustomer) if f.name != "stage"}
    draft = Customer(
        id=id,
        stage=new.stage,
        created_at=now,
        updated_at=now,
        created_by=actor,
        updated_by=actor,
        **values,
    )
    try:
        customer = validate(draft, now.date())
        errors: list[FieldError] = []
    except BadUserInput as exc:
        customer, errors = draft, list(exc.field_errors)
    if new.stage is LifecycleStage.CHURNED:
        errors.append(FieldError("stage", "INVALID_STAGE", "A new customer cannot start churned"))
    if errors:
        raise BadUserInput(errors)
    return customer


def changed_fields(before: Customer, after: Customer) -> list[str]:
    names = (*EDITABLE, "stage", "owner_id", "team", "archived")
    return sorted(n for n in names if getattr(before, n) != getattr(after, n))


def apply_changes(
    customer: Customer, changes: CustomerChanges, *, actor: str, now: datetime
) -> tuple[Customer, list[str]]:
    """Validate and apply; returns the new customer and the names of fields that changed."""
    errors: list[FieldError] = []
    updates = {
        f.name: getattr(changes, f.name)
        for f in fields(CustomerChanges)
        if f.name != "stage" and getattr(changes, f.name) is not None
    }
    if changes.stage is not None and changes.stage != customer.stage:
        if changes.stage not in ALLOWED_TRANSITIONS[customer.stage]:
            errors.append(
                FieldError(
                    "stage",
                    "INVALID_TRANSITION",
                    f"Cannot move from {customer.stage} to {changes.stage}",
                )
            )
        updates["stage"] = changes.stage
    draft = replace(customer, **updates)
    try:
        candidate = validate(draft, now.date())
    except BadUserInput as exc:
        errors.extend(exc.field_errors)
        candidate = draft
    if errors:
        raise BadUserInput(errors)
    changed = changed_fields(customer, candidate)
    if not changed:
        return customer, []
    updated = replace(candidate, version=customer.version + 1, updated_at=now, updated_by=actor)
    return updated, changed


def assign(
    customer: Customer, *, owner_id: str, team: str | None, actor: str, now: datetime
) -> Customer:
    if not owner_id.strip():
        raise BadUserInput.single("ownerId", "REQUIRED", "Owner is required")
    return replace(
        customer,
        owner_id=owner_id.strip(),
        team=team if team is not None else customer.team,
        version=customer.version + 1,
        updated_at=now,
        updated_by=actor,
    )


def set_archived(customer: Customer, archived: bool, *, actor: str, now: datetime) -> Customer:
    return replace(
        customer, archived=archived, version=customer.version + 1, updated_at=now, updated_by=actor
    )


def ensure_live(customer: Customer) -> Customer:
    """Writes go to the survivor, never to a merged-away record."""
    if customer.merged_into:
        raise Conflict(
            f"Customer {customer.id} was merged into {customer.merged_into}",
            conflicting_id=customer.merged_into,
        )
    return customer


ERASED_NAME = "已删除客户"


def erase(customer: Customer, *, actor: str, now: datetime) -> Customer:
    """Personal data removed for good; an archived tombstone with the same id remains."""
    return Customer(
        id=customer.id,
        kind=customer.kind,
        name=ERASED_NAME,
        stage=customer.stage,
        created_at=customer.created_at,
        updated_at=now,
        created_by=customer.created_by,
        updated_by=actor,
        owner_id=customer.owner_id,
        team=customer.team,
        industry=customer.industry,
        version=customer.version + 1,
        archived=True,
        erased=True,
    )


def tombstone(customer: Customer, survivor_id: str, *, actor: str, now: datetime) -> Customer:
    """A merged-away record: kept, pointing to its survivor."""
    return replace(
        customer,
        merged_into=survivor_id,
        version=customer.version + 1,
        updated_at=now,
        updated_by=actor,
    )


def restore_to(
    current: Customer, old: Customer, *, actor: str, now: datetime
) -> tuple[Customer, list[str]]:
    """A new version whose editable fields and stage are those of `old` (a past version)."""
    values = {name: getattr(old, name) for name in (*EDITABLE, "stage")}
    restored = replace(current, **values)
    changed = changed_fields(current, restored)
    if not changed:
        return current, []
    return replace(restored, version=current.version + 1, updated_at=now, updated_by=actor), changed
