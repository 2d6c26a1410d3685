"""Custom field values (pure): a customer's values of the ADMIN-defined fields.

A customer's values are a JSON object ``{key: value}`` validated against the active
definitions (`catalog.model.FieldDefinition`) on create and update:

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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from crm_customer.catalog.model import KEY, FieldDefinition, FieldType
from crm_kit.errors import BadUserInput, FieldError

MAX_TEXT_VALUE = 500


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return int(value) if value.is_integer() else value
    return value


def _text(d: FieldDefinition, value: Any, path: str, errors: list[FieldError]) -> Any:
    if not isinstance(value, str):
        errors.append(FieldError(path, "CUSTOM_FIELD_TYPE", "Expected text"))
        return None
    text = " ".join(value.split())
    if len(text) > MAX_TEXT_VALUE:
        errors.append(FieldError(path, "TOO_LONG", f"At most {MAX_TEXT_VALUE} chars"))
    return text or None


def _numeric(d: FieldDefinition, value: Any, path: str, errors: list[FieldError]) -> Any:
    number = _number(value)
    if number is None:
        errors.append(FieldError(path, "CUSTOM_FIELD_TYPE", "Expected a number"))
    return number


def _date(d: FieldDefinition, value: Any, path: str, errors: list[FieldError]) -> Any:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    errors.append(FieldError(path, "CUSTOM_FIELD_TYPE", "Expected YYYY-MM-DD"))
    return None


def _boolean(d: FieldDefinition, value: Any, path: str, errors: list[FieldError]) -> Any:
    if not isinstance(value, bool):
        errors.append(FieldError(path, "CUSTOM_FIELD_TYPE", "Expected true or false"))
        return None
    return value


def _select(d: FieldDefinition, value: Any, path: str, errors: list[FieldError]) -> Any:
    if not isinstance(value, str):
        errors.append(FieldError(path, "CUSTOM_FIELD_TYPE", "Expected one option"))
        return None
    if value not in d.options:
        errors.append(FieldError(path, "OPTION_NOT_ALLOWED", f"Not an option: {value}"))
        return None
    return value


def _multiselect(d: FieldDefinition, value: Any, path: str, errors: list[FieldError]) -> Any:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.append(FieldError(path, "CUSTOM_FIELD_TYPE", "Expected a list of options"))
        return None
    wrong = [v for v in value if v not in d.options]
    if wrong:
        errors.append(FieldError(path, "OPTION_NOT_ALLOWED", f"Not options: {wrong}"))
        return None
    picked = list(dict.fromkeys(value))
    return picked or None


type _Parser = Callable[[FieldDefinition, Any, str, list[FieldError]], Any]
_PARSERS: dict[FieldType, _Parser] = {
    FieldType.TEXT: _text,
    FieldType.NUMBER: _numeric,
    FieldType.DATE: _date,
    FieldType.BOOLEAN: _boolean,
    FieldType.SELECT: _select,
    FieldType.MULTISELECT: _multiselect,
}


def _value(d: FieldDefinition, value: Any, path: str, errors: list[FieldError]) -> Any:
    """The normalised stored value, or None with an error appended."""
    return _PARSERS[d.type](d, value, path, errors)


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
