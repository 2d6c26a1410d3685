"""Custom fields (pure): ADMIN-defined extra attributes of a customer and their values.

A definition names a key, zh/en labels, a type, whether it is required and, for SELECT and
MULTISELECT, the allowed options. A customer's values are a JSON object ``{key: value}``
validated against the active definitions on create and update:

- TEXT → string (≤ 500 characters), NUMBER → finite number, DATE → ISO date ``YYYY-MM-DD``,
  SELECT → one of the options, MULTISELECT → a list of options, BOOLEAN → true/false.
- An unknown or inactive key, a wrong type or an option not in the list is a field error on
  ``customFields.<key>``; a required field missing on create (or made empty) is one too.
- ``null`` for a key in an update removes that value; keys not named keep their value.

Filtering is index-served through ``custom_terms``: one ``key=value`` string per value (one
per option of a MULTISELECT) in a multikey index, queried with ``$all``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from crm_customer import i18n
from crm_kit.errors import BadUserInput, FieldError

MAX_DEFINITIONS = 200
MAX_OPTIONS = 100
MAX_TEXT_VALUE = 500
MAX_LABEL = 100
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

# Messages for the field-error codes of this module (zh-CN, en), registered in the i18n catalog.
MESSAGES: dict[str, tuple[str, str]] = {
    "UNKNOWN_CUSTOM_FIELD": ("未定义或已停用的自定义字段", "Unknown or inactive custom field"),
    "CUSTOM_FIELD_TYPE": ("自定义字段的值类型不正确", "Wrong value type for this custom field"),
    "OPTION_NOT_ALLOWED": ("该选项不在可选列表中", "This option is not in the list"),
    "CUSTOM_FIELD_REQUIRED": ("该自定义字段为必填项", "This custom field is required"),
    "INVALID_KEY": (
        "字段键需以小写字母开头，仅含小写字母、数字和下划线（最多 40 个字符）",
        "A key starts with a lowercase letter and has up to 40 of a-z, 0-9 and _",
    ),
    "OPTIONS_REQUIRED": ("单选/多选字段需要至少一个选项", "SELECT and MULTISELECT need options"),
    "OPTIONS_NOT_ALLOWED": ("只有单选/多选字段可以设置选项", "Only SELECT types have options"),
    "TYPE_LOCKED": ("已有数据的字段不能更改类型", "The type of a field in use cannot change"),
    "TOO_MANY_DEFINITIONS": ("自定义字段数量已达上限", "Too many custom fields"),
}

i18n.register(MESSAGES)


class FieldType(StrEnum):
    TEXT = "TEXT"
    NUMBER = "NUMBER"
    DATE = "DATE"
    SELECT = "SELECT"
    MULTISELECT = "MULTISELECT"
    BOOLEAN = "BOOLEAN"


CHOICE_TYPES = frozenset({FieldType.SELECT, FieldType.MULTISELECT})


@dataclass(frozen=True, slots=True)
class FieldDefinition:
    key: str
    label_zh: str
    label_en: str
    type: FieldType
    required: bool = False
    options: list[str] = field(default_factory=list)
    active: bool = True
    position: int = 0
    updated_at: datetime | None = None
    updated_by: str | None = None


def _label(value: str, path: str, errors: list[FieldError]) -> str:
    cleaned = " ".join(value.split())
    if not cleaned:
        errors.append(FieldError(path, "REQUIRED", "A label is required"))
    elif len(cleaned) > MAX_LABEL:
        errors.append(FieldError(path, "TOO_LONG", f"At most {MAX_LABEL} characters"))
    return cleaned


def validated_definition(
    draft: FieldDefinition, existing: FieldDefinition | None, *, actor: str, now: datetime
) -> FieldDefinition:
    """A clean definition, or BadUserInput naming every bad part. Changing the type of an
    existing field is refused: stored values would no longer fit."""
    errors: list[FieldError] = []
    key = draft.key.strip()
    if not KEY.match(key):
        errors.append(FieldError("key", "INVALID_KEY", "Bad key"))
    label_zh = _label(draft.label_zh, "labelZh", errors)
    label_en = _label(draft.label_en, "labelEn", errors)
    options: list[str] = []
    for i, option in enumerate(draft.options):
        value = " ".join(option.split())
        if not value or len(value) > MAX_LABEL:
            errors.append(FieldError(f"options[{i}]", "TOO_LONG", "Options are 1 to 100 chars"))
        elif value not in options:
            options.append(value)
    if draft.type in CHOICE_TYPES and not options:
        errors.append(FieldError("options", "OPTIONS_REQUIRED", "Options are required"))
    if draft.type not in CHOICE_TYPES and options:
        errors.append(FieldError("options", "OPTIONS_NOT_ALLOWED", "No options for this type"))
    if len(options) > MAX_OPTIONS:
        errors.append(FieldError("options", "TOO_MANY", f"At most {MAX_OPTIONS} options"))
    if existing is not None and existing.type != draft.type:
        errors.append(FieldError("type", "TYPE_LOCKED", "The type cannot change"))
    if errors:
        raise BadUserInput(errors)
    return FieldDefinition(
        key=key,
        label_zh=label_zh,
        label_en=label_en,
        type=draft.type,
        required=draft.required,
        options=options,
        active=draft.active,
        position=draft.position,
        updated_at=now,
        updated_by=actor,
    )


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return int(value) if value.is_integer() else value
    return value


def _value(d: FieldDefinition, value: Any, path: str, errors: list[FieldError]) -> Any:
    """The normalised stored value, or None with an error appended."""
    match d.type:
        case FieldType.TEXT:
            if not isinstance(value, str):
                errors.append(FieldError(path, "CUSTOM_FIELD_TYPE", "Expected text"))
                return None
            text = " ".join(value.split())
            if len(text) > MAX_TEXT_VALUE:
                errors.append(FieldError(path, "TOO_LONG", f"At most {MAX_TEXT_VALUE} chars"))
            return text or None
        case FieldType.NUMBER:
            number = _number(value)
            if number is None:
                errors.append(FieldError(path, "CUSTOM_FIELD_TYPE", "Expected a number"))
            return number
        case FieldType.DATE:
            if isinstance(value, str):
                try:
                    return date.fromisoformat(value.strip()).isoformat()
                except ValueError:
                    pass
            errors.append(FieldError(path, "CUSTOM_FIELD_TYPE", "Expected YYYY-MM-DD"))
            return None
        case FieldType.BOOLEAN:
            if not isinstance(value, bool):
                errors.append(FieldError(path, "CUSTOM_FIELD_TYPE", "Expected true or false"))
                return None
            return value
        case FieldType.SELECT:
            if not isinstance(value, str):
                errors.append(FieldError(path, "CUSTOM_FIELD_TYPE", "Expected one option"))
                return None
            if value not in d.options:
                errors.append(FieldError(path, "OPTION_NOT_ALLOWED", f"Not an option: {value}"))
                return None
            return value
        case FieldType.MULTISELECT:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                errors.append(FieldError(path, "CUSTOM_FIELD_TYPE", "Expected a list of options"))
                return None
            wrong = [v for v in value if v not in d.options]
            if wrong:
                errors.append(FieldError(path, "OPTION_NOT_ALLOWED", f"Not options: {wrong}"))
                return None
            picked = list(dict.fromkeys(value))
            return picked or None


def _empty(value: Any) -> bool:
    return value is None or value in ("", [])


def apply_values(
    definitions: Mapping[str, FieldDefinition],
    patch: Mapping[str, Any],
    current: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The customer's values after `patch` (None `current` means a new customer).

    `definitions` are all definitions by key (active or not). Values of inactive fields are
    kept as stored but cannot be set. Raises BadUserInput naming ``customFields.<key>``.
    """
    errors: list[FieldError] = []
    values = dict(current or {})
    for key, raw in patch.items():
        path = f"customFields.{key}"
        d = definitions.get(key)
        if d is None or not d.active:
            errors.append(FieldError(path, "UNKNOWN_CUSTOM_FIELD", f"Unknown field {key}"))
            continue
        value = None if raw is None else _value(d, raw, path, errors)
        if _empty(value):
            values.pop(key, None)
        else:
            values[key] = value
    bad = {e.field for e in errors}
    for d in definitions.values():
        path = f"customFields.{d.key}"
        enforced = current is None or d.key in patch  # on create, or when being set now
        if d.active and d.required and enforced and path not in bad and _empty(values.get(d.key)):
            errors.append(FieldError(path, "CUSTOM_FIELD_REQUIRED", "Required"))
    if errors:
        raise BadUserInput(errors)
    return {k: values[k] for k in sorted(values)}


def term(key: str, value: Any) -> str:
    """The index term of one value: ``key=value`` with a canonical text form."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value)
    return f"{key}={text.strip().lower()}"


def terms(values: Mapping[str, Any]) -> list[str]:
    """Every index term of a customer's values (one per MULTISELECT option)."""
    out: list[str] = []
    for key, value in sorted(values.items()):
        for item in value if isinstance(value, list) else [value]:
            out.append(term(key, item))
    return out


@dataclass(frozen=True, slots=True)
class ValueFilter:
    """Customers whose `key` has `value` (for MULTISELECT: contains that option)."""

    key: str
    value: Any


def filter_terms(filters: list[ValueFilter]) -> list[str]:
    errors: list[FieldError] = []
    out: list[str] = []
    for i, f in enumerate(filters):
        if not KEY.match(f.key) or _empty(f.value) or isinstance(f.value, dict | list):
            path = f"customFields[{i}]"
            errors.append(FieldError(path, "CUSTOM_FIELD_TYPE", "A key and one value"))
        else:
            out.append(term(f.key, f.value))
    if errors:
        raise BadUserInput(errors)
    return out
