"""Customer master data (pure): the record, what a client may send, and how a record changes.

Each change returns a new record (frozen) with its version, time and actor moved on; input is
cleaned and checked by `validation` (every bad field named at once). No I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from typing import Any

from crm_customer.customers import validation
from crm_customer.customers.validators import valid_website, valid_wechat_id
from crm_customer.customers.values import (
    ALLOWED_TRANSITIONS,
    ENTERPRISE_ONLY,
    FUNNEL,
    INDIVIDUAL_ONLY,
    Address,
    CompanySize,
    ContactPerson,
    CustomerKind,
    Gender,
    LifecycleStage,
    Source,
)
from crm_kit.errors import BadUserInput, Conflict, FieldError
from crm_kit.personal import PersonalKind, mask


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
    custom_fields: dict[str, Any] | None = None  # merged values (catalog.field_values.apply_values)


def validate(c: Customer, today: date) -> Customer:
    """Normalise every editable field; raise BadUserInput listing every bad field at once."""
    errors: list[FieldError] = []
    updates: dict[str, Any] = {
        "name": validation.clean_name(c.name, errors),
        "tier": validation.clean_optional(c.tier, "tier", errors),
        "tags": validation.clean_tags(c.tags, errors),
        "phones": validation.clean_phones(c.phones, "phones", errors),
        "emails": validation.clean_emails(c.emails, "emails", errors),
        "source_detail": validation.clean_optional(c.source_detail, "sourceDetail", errors),
        "referrer": validation.clean_optional(c.referrer, "referrer", errors),
        "wechat_id": (c.wechat_id or "").strip() or None,
        "website": (c.website or "").strip() or None,
        "addresses": validation.clean_addresses(c.addresses, errors),
        "contacts": validation.clean_contacts(c.contacts, errors),
    }
    if updates["wechat_id"] and not valid_wechat_id(updates["wechat_id"]):
        errors.append(FieldError("wechatId", "INVALID_WECHAT_ID", "Not a valid WeChat id"))
    if updates["website"] and not valid_website(updates["website"]):
        errors.append(FieldError("website", "INVALID_URL", "Not a valid http(s) URL"))
    if updates["referrer"] and c.source is not Source.REFERRAL:
        errors.append(FieldError("referrer", "REFERRER_NEEDS_REFERRAL", "Only for REFERRAL"))
    not_for_kind = ENTERPRISE_ONLY if c.kind is CustomerKind.INDIVIDUAL else INDIVIDUAL_ONLY
    for name in not_for_kind:
        if getattr(c, name):
            path = validation.camel(name)
            errors.append(FieldError(path, "FIELD_NOT_FOR_KIND", f"Not used for {c.kind}"))
    if c.kind is CustomerKind.INDIVIDUAL:
        updates.update(
            validation.check_identity(c.birthday, c.id_card_number, c.gender, today, errors)
        )
    else:
        updates.update(validation.check_company(c.uscc, c.industry, errors))
    if errors:
        raise BadUserInput(errors)
    return replace(c, **updates)


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


def advance_stage(
    customer: Customer, target: LifecycleStage, *, actor: str, now: datetime
) -> Customer | None:
    """A move forward in the funnel that the system makes (a sales opportunity was opened or
    won): the new version in `target` when the customer is in an earlier funnel stage (LEAD →
    PROSPECT; LEAD or PROSPECT → ACTIVE), else None — a customer at or beyond `target`,
    churned, merged away or erased is left alone. Only the stage changes: the rest of the
    record is not validated again."""
    if customer.merged_into or customer.erased or target not in FUNNEL:
        return None
    if customer.stage not in FUNNEL or FUNNEL.index(customer.stage) >= FUNNEL.index(target):
        return None
    return replace(
        customer, stage=target, version=customer.version + 1, updated_at=now, updated_by=actor
    )


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
