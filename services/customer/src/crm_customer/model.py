"""Customer master data: the record, its value objects and enums (pure, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from crm_kit.personal import PersonalKind, mask


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


class Gender(StrEnum):
    MALE = "MALE"
    FEMALE = "FEMALE"
    UNDISCLOSED = "UNDISCLOSED"


class CompanySize(StrEnum):
    MICRO = "MICRO"
    SMALL = "SMALL"
    MEDIUM = "MEDIUM"
    LARGE = "LARGE"


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
MAX_TEXT = 200
MAX_TAGS = 50
MAX_TAG = 40
MAX_LIST = 10

INDIVIDUAL_ONLY = ("gender", "birthday", "id_card_number")
ENTERPRISE_ONLY = ("uscc", "industry", "company_size", "contacts")


@dataclass(frozen=True, slots=True)
class Address:
    province: str
    city: str = ""
    district: str = ""
    street: str = ""
    postal_code: str = ""


@dataclass(frozen=True, slots=True)
class ContactPerson:
    name: str
    title: str = ""
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    primary: bool = False


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
    source_detail: str | None = None
    referrer: str | None = None
    gender: Gender | None = None
    birthday: date | None = None
    id_card_number: str | None = None
    wechat_id: str | None = None
    addresses: list[Address] = field(default_factory=list)
    uscc: str | None = None
    industry: str | None = None
    company_size: CompanySize | None = None
    website: str | None = None
    contacts: list[ContactPerson] = field(default_factory=list)
    merged_into: str | None = None
    erased: bool = False
    custom_fields: dict[str, Any] = field(default_factory=dict)

    @property
    def region(self) -> str | None:
        """The first address's province: what region filters and name matching use."""
        return self.addresses[0].province if self.addresses else None

    @property
    def public_name(self) -> str:
        """The name as anyone may see it: an enterprise's in full, an individual's masked."""
        if self.kind is CustomerKind.ENTERPRISE:
            return self.name
        return mask(PersonalKind.NAME, self.name)

    def snapshot(self) -> dict[str, Any]:
        """What other services and event subscribers may know: no personal data — no contact
        details, no identity numbers, and an individual's name only masked (``张**``); a
        subscriber that needs more reads it through the API with a role that may see it."""
        return {
            "id": self.id,
            "kind": str(self.kind),
            "displayName": self.public_name,
            "stage": str(self.stage),
            "tier": self.tier,
            "ownerId": self.owner_id,
            "team": self.team,
            "tags": list(self.tags),
            "version": self.version,
            "createdAt": self.created_at.isoformat(),
            "updatedAt": self.updated_at.isoformat(),
            "source": str(self.source) if self.source else None,
            "industry": self.industry,
            "region": self.region,
            "archived": self.archived,
        }


# Fields a client edits; the rest (id, stage, owner, audit, version) have their own rules.
EDITABLE = (
    "name", "tier", "tags", "phones", "emails", "source", "source_detail", "referrer", "gender",
    "birthday", "id_card_number", "wechat_id", "addresses", "uscc", "industry", "company_size",
    "website", "contacts", "custom_fields",
)  # fmt: skip


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
    source_detail: str | None = None
    referrer: str | None = None
    gender: Gender | None = None
    birthday: date | None = None
    id_card_number: str | None = None
    wechat_id: str | None = None
    addresses: list[Address] = field(default_factory=list)
    uscc: str | None = None
    industry: str | None = None
    company_size: CompanySize | None = None
    website: str | None = None
    contacts: list[ContactPerson] = field(default_factory=list)
    custom_fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CustomerChanges:
    """A partial update: None means 'leave as is'; an empty string clears a text field."""

    name: str | None = None
    stage: LifecycleStage | None = None
    tier: str | None = None
    tags: list[str] | None = None
    phones: list[str] | None = None
    emails: list[str] | None = None
    source: Source | None = None
    source_detail: str | None = None
    referrer: str | None = None
    gender: Gender | None = None
    birthday: date | None = None
    id_card_number: str | None = None
    wechat_id: str | None = None
    addresses: list[Address] | None = None
    uscc: str | None = None
    industry: str | None = None
    company_size: CompanySize | None = None
    website: str | None = None
    contacts: list[ContactPerson] | None = None
    custom_fields: dict[str, Any] | None = None  # merged values (see custom_fields.apply_values)
