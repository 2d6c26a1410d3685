"""Merging duplicate customers into a survivor (pure rules).

Per-field choices name the record whose value the survivor keeps; without a choice a scalar
field keeps the survivor's value (or the first non-empty one among the others) and a list
field (tags, phones, emails, addresses, contacts) becomes the union, survivor first.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from crm_customer.domain import EDITABLE, Customer, changed_fields, validate
from crm_kit.errors import BadUserInput, FieldError

MIN_RECORDS = 2
MAX_RECORDS = 10
LIST_FIELDS = ("tags", "phones", "emails", "addresses", "contacts")
GROUPS = (("id_card_number", "birthday", "gender"), ("source", "source_detail", "referrer"))


@dataclass(frozen=True, slots=True)
class FieldChoice:
    field: str
    customer_id: str


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


CHOOSABLE = {_camel(n): n for n in (*EDITABLE, "stage", "owner_id", "team")}


def check_request(survivor_id: str, merged_ids: list[str], choices: list[FieldChoice]) -> None:
    errors: list[FieldError] = []
    ids = [survivor_id, *merged_ids]
    if len(set(ids)) != len(ids):
        errors.append(FieldError("mergedIds", "DUPLICATE_ID", "Each record once"))
    if not MIN_RECORDS <= len(set(ids)) <= MAX_RECORDS:
        errors.append(FieldError("mergedIds", "MERGE_SIZE", "Merge 2 to 10 records"))
    for i, choice in enumerate(choices):
        if choice.field not in CHOOSABLE:
            errors.append(FieldError(f"fieldChoices[{i}].field", "UNKNOWN_FIELD", "No such field"))
        if choice.customer_id not in ids:
            errors.append(
                FieldError(f"fieldChoices[{i}].customerId", "NOT_IN_MERGE", "Not merged here")
            )
    if errors:
        raise BadUserInput(errors)


def _union(values: list[list[Any]]) -> list[Any]:
    out: list[Any] = []
    for items in values:
        for item in items:
            if item not in out:
                out.append(item)
    return out


def merge(
    survivor: Customer,
    others: list[Customer],
    choices: list[FieldChoice],
    *,
    actor: str,
    now: datetime,
) -> tuple[Customer, list[str]]:
    """The survivor after the merge (validated) and the names of the fields that changed."""
    records = {c.id: c for c in (survivor, *others)}
    chosen = {CHOOSABLE[c.field]: records[c.customer_id] for c in choices}
    kinds = {c.kind for c in records.values()}
    if len(kinds) > 1:
        raise BadUserInput.single("mergedIds", "KIND_MISMATCH", "Cannot merge different kinds")
    values: dict[str, Any] = {}
    for group in GROUPS:  # fields that are only consistent together move together
        lead = group[0]
        picked = next((chosen[n] for n in group if n in chosen), None)
        if picked is None:
            picked = next((c for c in (survivor, *others) if getattr(c, lead)), survivor)
        for name in group:
            values[name] = getattr(picked, name)
    for name in (*EDITABLE, "stage", "owner_id", "team"):
        if name in values:
            continue
        if name in chosen:
            values[name] = getattr(chosen[name], name)
        elif name in LIST_FIELDS:
            values[name] = _union([getattr(c, name) for c in (survivor, *others)])
        elif name == "custom_fields":  # per key: the survivor's value, else the first other's
            values[name] = {
                k: v for c in reversed((survivor, *others)) for k, v in c.custom_fields.items()
            }
        elif not getattr(survivor, name):
            values[name] = next(
                (getattr(c, name) for c in others if getattr(c, name)), getattr(survivor, name)
            )
    if sum(1 for c in values.get("contacts", survivor.contacts) if c.primary) > 1:
        first_primary = True
        contacts = []
        for c in values["contacts"]:
            contacts.append(replace(c, primary=c.primary and first_primary))
            first_primary = first_primary and not c.primary
        values["contacts"] = contacts
    merged = validate(replace(survivor, **values), now.date())
    changed = changed_fields(survivor, merged)
    return replace(merged, version=survivor.version + 1, updated_at=now, updated_by=actor), changed
