"""Version history: field-level before/after of every change (pure).

Values in a change are JSON-safe; the ID-card number only ever appears masked here — the
full (encrypted) state of each version is kept by the repository for as-of reads and restore.
Stored changes name fields as the model does (`company_size`); clients see the names of the
`Customer` type (`companySize`), mapped on the way out by `api_field` and `api_value`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from crm_customer import i18n
from crm_customer.customers.model import EDITABLE, Customer
from crm_customer.customers.validation import camel
from crm_kit.errors import BadUserInput, FieldError
from crm_kit.personal import mask_id_card

TRACKED = (*EDITABLE, "stage", "owner_id", "team", "archived")
MERGED_FROM = "merged_from"  # recorded on a merge's survivor: the ids merged into it
CUSTOM_PREFIX, CUSTOM_API_PREFIX = "custom_fields.", "customFields."
# Where the `Customer` type's name is not the camel-cased model name.
API_NAMES = {"name": "displayName"}
# Tracked fields whose values are records: their keys are field names too.
RECORD_FIELDS = frozenset({"addresses", "contacts"})

MESSAGES = {
    "NOT_YET_CREATED": (
        "该时间点客户尚未创建",
        "The customer did not exist yet at this time",
    ),
}
i18n.register(MESSAGES)


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


def api_field(name: str) -> str:
    """A stored field name as clients see it: ``company_size`` → ``companySize``, ``name`` →
    ``displayName``, ``custom_fields.<key>`` → ``customFields.<key>`` (the key is the
    client's own, kept as defined)."""
    if name.startswith(CUSTOM_PREFIX):
        return CUSTOM_API_PREFIX + name.removeprefix(CUSTOM_PREFIX)
    return API_NAMES.get(name) or camel(name)


def api_value(name: str, value: Any) -> Any:
    """A stored value as clients see it: the records of an address or contact list keyed by
    the API's names (``postal_code`` → ``postalCode``); other values as they are."""
    if name not in RECORD_FIELDS or not isinstance(value, list):
        return value
    return [{camel(k): v for k, v in r.items()} if isinstance(r, dict) else r for r in value]


class NotYetCreated(BadUserInput):
    """An as-of read for a time before the customer existed: names the `at` argument and
    carries the creation time, so a client can tell it from an unknown customer."""

    def __init__(self, customer_id: str, created_at: datetime) -> None:
        super().__init__(
            [FieldError("at", "NOT_YET_CREATED", "The customer did not exist yet at this time")],
            f"Customer {customer_id} was created at {created_at.isoformat()}",
        )
        self.extensions["createdAt"] = created_at.isoformat()


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
