"""Staff directory (pure): the people who own customers and get notified.

Records are provisioned just in time from token claims on a user's first request and then
managed by ADMIN (name, email, team, roles, active). Token claims never overwrite what an
ADMIN set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from crm_customer.customers.validators import normalize_email
from crm_kit.auth import Principal, Role
from crm_kit.errors import BadUserInput, FieldError

MAX_NAME = 100


@dataclass(frozen=True, slots=True)
class Staff:
    id: str
    name: str
    email: str | None
    team: str | None
    roles: list[str]
    active: bool
    created_at: datetime
    updated_at: datetime
    provisioned_by: str  # "token" (just in time) or the ADMIN who created it


def from_claims(principal: Principal, now: datetime) -> Staff:
    return Staff(
        id=principal.sub,
        name=principal.name or principal.sub,
        email=None,
        team=principal.team or None,
        roles=sorted(str(r) for r in principal.roles),
        active=True,
        created_at=now,
        updated_at=now,
        provisioned_by="token",
    )


@dataclass(frozen=True, slots=True)
class StaffDraft:
    """A staff record as ADMIN writes it."""

    id: str
    name: str
    email: str | None = None
    team: str | None = None
    roles: list[str] = field(default_factory=list)
    active: bool = True


@dataclass(frozen=True, slots=True)
class StaffFilter:
    """Which members the directory lists: one team's (None: every team), only active ones
    unless `include_inactive`, and with `text` those whose name or id starts with it (any
    case)."""

    team: str | None = None
    include_inactive: bool = False
    text: str | None = None


def validated(
    draft: StaffDraft, *, actor: str, now: datetime, created_at: datetime | None = None
) -> Staff:
    errors: list[FieldError] = []
    clean_name = " ".join(draft.name.split())
    if not draft.id.strip():
        errors.append(FieldError("id", "REQUIRED", "Staff id is required"))
    if not clean_name:
        errors.append(FieldError("name", "REQUIRED", "Name is required"))
    elif len(clean_name) > MAX_NAME:
        errors.append(FieldError("name", "TOO_LONG", f"At most {MAX_NAME} characters"))
    email = draft.email
    clean_email = normalize_email(email) if email else None
    if email and clean_email is None:
        errors.append(FieldError("email", "INVALID_EMAIL", "Not a valid email"))
    unknown = [r for r in draft.roles if r not in Role.__members__]
    if unknown:
        errors.append(FieldError("roles", "UNKNOWN_ROLE", f"Unknown roles: {', '.join(unknown)}"))
    if errors:
        raise BadUserInput(errors)
    return Staff(
        id=draft.id.strip(),
        name=clean_name,
        email=clean_email,
        team=(draft.team or "").strip() or None,
        roles=sorted(set(draft.roles)),
        active=draft.active,
        created_at=created_at or now,
        updated_at=now,
        provisioned_by=actor,
    )
