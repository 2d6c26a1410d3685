"""Version history: field-level before/after of every change (pure).

Values in a change are JSON-safe; the ID-card number only ever appears masked here — the
full (encrypted) state of each version is kept by the repository for as-of reads and restore.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from crm_customer.customers.model import EDITABLE, Customer
from crm_kit.personal import mask_id_card

TRACKED = (*EDITABLE, "stage", "owner_id", "team", "archived")


class VersionAction(StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    ASSIGNED = "ASSIGNED"
    ARCHIVED = "ARCHIVED"
    UNARCHIVED = "UNARCHIVED"
    RESTORED = "RESTORED"
    MERGED = "MERGED"
    MERGED_INTO = "MERGED_INTO"
    UNMERGED = "UNMERGED"
    ERASED = "ERASED"


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True, slots=True)
class Version:
    customer_id: str
    version: int
    at: datetime
    actor: str
    action: VersionAction
    changes: list[FieldChange]


def _json(value: Any) -> Any:
    if isinstance(value, StrEnum):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_json(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {k: _json(v) for k, v in asdict(value).items()}
    return value


def view(customer: Customer | None) -> dict[str, Any]:
    if customer is None:
        return {}
    values = {name: _json(getattr(customer, name)) for name in TRACKED}
    if customer.id_card_number:
        values["id_card_number"] = mask_id_card(customer.id_card_number)
    return values


def diff(before: Customer | None, after: Customer) -> list[FieldChange]:
    """Changed fields; custom fields are listed one key at a time (``custom_fields.<key>``)."""
    old, new = view(before), view(after)
    changes = [
        FieldChange(name, old.get(name), new[name])
        for name in TRACKED
        if name != "custom_fields"
        and old.get(name) != new[name]
        and not (before is None and new[name] in (None, [], False))
    ]
    old_custom, new_custom = old.get("custom_fields") or {}, new.get("custom_fields") or {}
    for key in sorted(set(old_custom) | set(new_custom)):
        if old_custom.get(key) != new_custom.get(key):
            changes.append(
                FieldChange(f"custom_fields.{key}", old_custom.get(key), new_custom.get(key))
            )
    return changes


def record(before: Customer | None, after: Customer, action: VersionAction, actor: str) -> Version:
    return Version(after.id, after.version, after.updated_at, actor, action, diff(before, after))
