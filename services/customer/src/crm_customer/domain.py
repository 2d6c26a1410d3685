"""Customer master data: pure domain rules, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from crm_kit.errors import BadUserInput, FieldError


class CustomerKind(StrEnum):
    INDIVIDUAL = "INDIVIDUAL"
    ENTERPRISE = "ENTERPRISE"


class LifecycleStage(StrEnum):
    LEAD = "LEAD"
    PROSPECT = "PROSPECT"
    ACTIVE = "ACTIVE"
    VIP = "VIP"
    CHURNED = "CHURNED"


class Source(StrEnum):
    ONLINE = "ONLINE"
    OFFLINE = "OFFLINE"
    REFERRAL = "REFERRAL"
    EVENT = "EVENT"
    ADVERTISING = "ADVERTISING"
    PARTNER = "PARTNER"
    OTHER = "OTHER"


_FORWARD = [LifecycleStage.LEAD, LifecycleStage.PROSPECT, LifecycleStage.ACTIVE, LifecycleStage.VIP]

# A customer moves forward through the funnel (skipping allowed), VIP can fall back to ACTIVE,
# anyone can churn, and a churned customer can be won back as a lead, prospect or active.
ALLOWED_TRANSITIONS: dict[LifecycleStage, frozenset[LifecycleStage]] = {
    stage: frozenset(_FORWARD[i + 1 :]) | {LifecycleStage.CHURNED}
    for i, stage in enumerate(_FORWARD)
}
ALLOWED_TRANSITIONS[LifecycleStage.VIP] |= {LifecycleStage.ACTIVE}
ALLOWED_TRANSITIONS[LifecycleStage.CHURNED] = frozenset(
    {LifecycleStage.LEAD, LifecycleStage.PROSPECT, LifecycleStage.ACTIVE}
)

MAX_NAME = 200
MAX_TAGS = 50
MAX_TAG = 40
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CN_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def normalize_phone(raw: str) -> str | None:
    """E.164; bare 11-digit numbers are taken as mainland China mobiles. None when invalid."""
    digits = re.sub(r"[\s\-()]", "", raw)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if _CN_MOBILE.match(digits):
        return "+86" + digits
    if digits.startswith("+86"):
        return digits if _CN_MOBILE.match(digits[3:]) else None
    return digits if _E164.match(digits) else None


def _clean_tags(tags: list[str], errors: list[FieldError]) -> list[str]:
    cleaned: list[str] = []
    for tag in tags:
        value = tag.strip()
        if not value or len(value) > MAX_TAG:
            errors.append(FieldError("tags", "INVALID", f"Tags are 1 to {MAX_TAG} characters"))
        elif value not in cleaned:
            cleaned.append(value)
    if len(cleaned) > MAX_TAGS:
        errors.append(FieldError("tags", "TOO_MANY", f"At most {MAX_TAGS} tags"))
    return cleaned


def _clean_contacts(
    phones: list[str], emails: list[str], errors: list[FieldError]
) -> tuple[list[str], list[str]]:
    clean_phones: list[str] = []
    for i, phone in enumerate(phones):
        normalized = normalize_phone(phone)
        if normalized is None:
            errors.append(FieldError(f"phones[{i}]", "INVALID_PHONE", "Not a valid phone number"))
        elif normalized not in clean_phones:
            clean_phones.append(normalized)
    clean_emails: list[str] = []
    for i, email in enumerate(emails):
        value = email.strip().lower()
        if not _EMAIL.match(value) or len(value) > 254:
            errors.append(FieldError(f"emails[{i}]", "INVALID_EMAIL", "Not a valid email"))
        elif value not in clean_emails:
            clean_emails.append(value)
    return clean_phones, clean_emails


def _clean_name(name: str, errors: list[FieldError]) -> str:
    value = " ".join(name.split())
    if not value:
        errors.append(FieldError("name", "REQUIRED", "Name is required"))
    elif len(value) > MAX_NAME:
        errors.append(FieldError("name", "TOO_LONG", f"Name is at most {MAX_NAME} characters"))
    return value


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    kind: CustomerKind
    name: str
    stage: LifecycleStage
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str
    tier: str | None = None
    tags: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    source: Source | None = None
    owner_id: str | None = None
    team: str | None = None
    version: int = 1
    archived: bool = False

    def snapshot(self) -> dict[str, Any]:
        """What other services may know: no contact details, no identity numbers."""
        return {
            "id": self.id,
            "kind": str(self.kind),
            "displayName": self.name,
            "stage": str(self.stage),
            "tier": self.tier,
            "ownerId": self.owner_id,
            "team": self.team,
            "tags": list(self.tags),
            "version": self.version,
            "createdAt": self.created_at.isoformat(),
            "updatedAt": self.updated_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class NewCustomer:
    kind: CustomerKind
    name: str
    stage: LifecycleStage = LifecycleStage.LEAD
    tier: str | None = None
    tags: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    source: Source | None = None
    owner_id: str | None = None
    team: str | None = None


def create(new: NewCustomer, *, id: str, actor: str, now: datetime) -> Customer:
    errors: list[FieldError] = []
    name = _clean_name(new.name, errors)
    tags = _clean_tags(new.tags, errors)
    phones, emails = _clean_contacts(new.phones, new.emails, errors)
    if new.stage is LifecycleStage.CHURNED:
        errors.append(FieldError("stage", "INVALID_STAGE", "A new customer cannot start churned"))
    if errors:
        raise BadUserInput(errors)
    return Customer(
        id=id,
        kind=new.kind,
        name=name,
        stage=new.stage,
        tier=new.tier,
        tags=tags,
        phones=phones,
        emails=emails,
        source=new.source,
        owner_id=new.owner_id,
        team=new.team,
        created_at=now,
        updated_at=now,
        created_by=actor,
        updated_by=actor,
    )


@dataclass(frozen=True, slots=True)
class CustomerChanges:
    """A partial update: None means 'leave as is'."""

    name: str | None = None
    stage: LifecycleStage | None = None
    tier: str | None = None
    tags: list[str] | None = None
    phones: list[str] | None = None
    emails: list[str] | None = None
    source: Source | None = None


def apply_changes(
    customer: Customer, changes: CustomerChanges, *, actor: str, now: datetime
) -> tuple[Customer, list[str]]:
    """Validate and apply; returns the new customer and the names of fields that changed."""
    errors: list[FieldError] = []
    updates: dict[str, Any] = {}
    if changes.name is not None:
        updates["name"] = _clean_name(changes.name, errors)
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
    if changes.tier is not None:
        updates["tier"] = changes.tier.strip() or None
    if changes.tags is not None:
        updates["tags"] = _clean_tags(changes.tags, errors)
    if changes.phones is not None or changes.emails is not None:
        phones, emails = _clean_contacts(
            changes.phones if changes.phones is not None else customer.phones,
            changes.emails if changes.emails is not None else customer.emails,
            errors,
        )
        updates["phones"], updates["emails"] = phones, emails
    if changes.source is not None:
        updates["source"] = changes.source
    if errors:
        raise BadUserInput(errors)
    changed = sorted(k for k, v in updates.items() if getattr(customer, k) != v)
    if not changed:
        return customer, []
    updated = replace(
        customer,
        **{k: updates[k] for k in changed},
        version=customer.version + 1,
        updated_at=now,
        updated_by=actor,
    )
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
