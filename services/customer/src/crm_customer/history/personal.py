"""Which parts of a customer are personal data, for outputs whose type cannot say it (pure).

Typed fields mask themselves (`crm_kit.personal_types`). History changes are JSON values of
any model field; `personal_parts` tags the personal parts of one so the ``PersonalJSON``
scalar masks them. Every tracked field is classified here — as personal (with its kind) or
as public — and a unit test fails when a field is added to the history without a class.
"""

from __future__ import annotations

from typing import Any

from crm_kit.personal import Personal, PersonalKind

_K = PersonalKind
# Tracked fields holding one personal value, or a list of them.
PERSONAL_FIELDS: dict[str, PersonalKind] = {
    "name": _K.NAME,  # recorded without the kind: an enterprise's renames are masked too
    "phones": _K.PHONE,
    "emails": _K.EMAIL,
    "birthday": _K.BIRTHDAY,
    "id_card_number": _K.ID_CARD,
    "wechat_id": _K.WECHAT,
}
# Tracked fields holding records, and the personal parts of each record.
PERSONAL_PARTS: dict[str, dict[str, PersonalKind]] = {
    "addresses": {"street": _K.ADDRESS, "postal_code": _K.ADDRESS},
    "contacts": {"name": _K.NAME, "phones": _K.PHONE, "emails": _K.EMAIL},
}
PUBLIC_FIELDS = frozenset(
    {
        "tier", "tags", "source", "source_detail", "referrer", "gender", "uscc", "industry",
        "company_size", "website", "custom_fields", "stage", "owner_id", "team", "archived",
    }
)  # fmt: skip


def _tagged(kind: PersonalKind, value: Any) -> Any:
    if isinstance(value, list):
        return [_tagged(kind, v) for v in value]
    if value is None or value == "":
        return value
    return Personal(kind, str(value))


def _record(parts: dict[str, PersonalKind], value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    return {k: _tagged(parts[k], v) if k in parts else v for k, v in value.items()}


def personal_parts(field: str, value: Any) -> Any:
    """A history value with its personal parts tagged (custom fields are not personal)."""
    if field in PERSONAL_FIELDS:
        return _tagged(PERSONAL_FIELDS[field], value)
    if field in PERSONAL_PARTS:
        parts = PERSONAL_PARTS[field]
        return [_record(parts, v) for v in value] if isinstance(value, list) else value
    return value
