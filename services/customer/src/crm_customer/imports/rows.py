"""Import rows (pure): a file's table staged as rows, and one row → the same inputs
`createCustomer` / `updateCustomer` take.

Cells are text; enums accept their code or Chinese label; lists, dates and numbers are read as
the kit reads them (`crm_kit.imports.cells`). A row's problems are reported per column.

Custom field cells become the JSON values `createCustomer` takes (a number, a date, true or
false, an option or a list of options); a cell that does not convert is passed on as written,
so the field's definition (`catalog.field_values`) names what is wrong with it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from crm_customer.catalog.model import FieldDefinition, FieldType
from crm_customer.customers.model import CustomerChanges, NewCustomer
from crm_customer.customers.validators import (
    normalize_email,
    normalize_id_card,
    normalize_phone,
    normalize_uscc,
)
from crm_customer.customers.values import (
    Address,
    CompanySize,
    ContactPerson,
    CustomerKind,
    Gender,
    LifecycleStage,
    Source,
)
from crm_customer.imports.columns import API_PREFIX, BY_KEY, FIXED, ColumnSet, custom_key
from crm_kit.errors import BadUserInput, FieldError
from crm_kit.imports.cells import (
    LIST_SEPARATORS,
    number_or_text,
    parse_date,
    split_list,
    split_on,
)

_LABELS: dict[type[Any], dict[str, str]] = {
    CustomerKind: {"个人": "INDIVIDUAL", "企业": "ENTERPRISE", "公司": "ENTERPRISE"},
    LifecycleStage: {
        "线索": "LEAD", "潜在客户": "PROSPECT", "商机": "PROSPECT", "活跃": "ACTIVE",
        "活跃客户": "ACTIVE", "重要客户": "VIP", "流失": "CHURNED", "已流失": "CHURNED",
    },
    Source: {
        "线上": "ONLINE", "线下": "OFFLINE", "转介绍": "REFERRAL", "推荐": "REFERRAL",
        "活动": "EVENT", "广告": "ADVERTISING", "合作伙伴": "PARTNER", "其他": "OTHER",
    },
    Gender: {"男": "MALE", "女": "FEMALE", "未透露": "UNDISCLOSED", "保密": "UNDISCLOSED"},
    CompanySize: {"微型": "MICRO", "小型": "SMALL", "中型": "MEDIUM", "大型": "LARGE"},
}  # fmt: skip
_CODES: dict[type[Any], str] = {
    CustomerKind: "INVALID_KIND",
    LifecycleStage: "INVALID_STAGE_VALUE",
    Source: "INVALID_SOURCE",
    Gender: "INVALID_GENDER",
    CompanySize: "INVALID_COMPANY_SIZE",
}
_TRUE = frozenset({"true", "yes", "y", "1", "是", "对"})
_FALSE = frozenset({"false", "no", "n", "0", "否", "不是"})
_OPTION_SPLIT = re.compile(r"[;；|\n]+")  # tried first: options may hold commas

# A domain field path's first segment → the column it came from.
_PATH_COLUMNS = {
    "name": "name", "stage": "stage", "tier": "tier", "tags": "tags", "phones": "phones",
    "emails": "emails", "source": "source", "sourceDetail": "source_detail",
    "referrer": "referrer", "ownerId": "owner_id", "team": "team", "gender": "gender",
    "birthday": "birthday", "idCardNumber": "id_card_number", "wechatId": "wechat_id",
    "uscc": "uscc", "industry": "industry", "companySize": "company_size", "website": "website",
}  # fmt: skip
_CONTACT_COLUMNS = {"name": "contact_name", "title": "contact_title"}


def column_of(path: str) -> str:
    """The import column a domain FieldError path points at (``phones[1]`` → ``phones``,
    ``customFields.vip_level`` → that custom field's column)."""
    head = re.split(r"[\[.]", path, maxsplit=1)[0]
    if head + "." == API_PREFIX:
        return custom_key(re.sub(r"\[\d+\]$", "", path.removeprefix(API_PREFIX)))
    tail = path.rsplit(".", 1)[-1] if "." in path else ""
    tail = re.sub(r"\[\d+\]$", "", tail)
    if head == "addresses":
        return "postal_code" if tail == "postalCode" else tail or "province"
    if head == "contacts":
        if tail.startswith("phones"):
            return "contact_phone"
        if tail.startswith("emails"):
            return "contact_email"
        return _CONTACT_COLUMNS.get(tail, "contact_name")
    return _PATH_COLUMNS.get(head, head)


def _enum[E](cls: type[E], key: str, cells: dict[str, str], errors: list[FieldError]) -> E | None:
    raw = cells.get(key, "").strip()
    if not raw:
        return None
    code = _LABELS.get(cls, {}).get(raw, raw.upper())
    try:
        return cls(code)  # type: ignore[call-arg]
    except ValueError:
        errors.append(FieldError(key, _CODES[cls], f"Unknown value {raw!r}"))
        return None


def _date(key: str, cells: dict[str, str], errors: list[FieldError]) -> date | None:
    raw = cells.get(key, "").strip()
    if not raw:
        return None
    if (found := parse_date(raw)) is None:
        errors.append(FieldError(key, "INVALID_DATE", "Dates are written YYYY-MM-DD"))
    return found


def _text(cells: dict[str, str], key: str) -> str | None:
    return cells.get(key, "").strip() or None


def _address(cells: dict[str, str]) -> list[Address] | None:
    parts = {k: cells.get(k, "").strip() for k in ("province", "city", "district", "street")}
    postal = cells.get("postal_code", "").strip()
    if not any(parts.values()) and not postal:
        return None
    return [Address(postal_code=postal, **parts)]


def _contact(cells: dict[str, str]) -> list[ContactPerson] | None:
    keys = ("contact_name", "contact_title", "contact_phone", "contact_email")
    if not any(cells.get(k, "").strip() for k in keys):
        return None
    return [
        ContactPerson(
            name=cells.get("contact_name", "").strip(),
            title=cells.get("contact_title", "").strip(),
            phones=split_list(cells.get("contact_phone", "")),
            emails=split_list(cells.get("contact_email", "")),
            primary=True,
        )
    ]


def _boolean(raw: str) -> bool | str:
    lowered = raw.casefold()
    if lowered in _TRUE:
        return True
    return False if lowered in _FALSE else raw


def _option(options: list[str], raw: str) -> str:
    """The option a cell names, ignoring case and spacing; the cell itself if none."""
    wanted = " ".join(raw.split()).casefold()
    return next((o for o in options if o.casefold() == wanted), raw)


def _options(options: list[str], raw: str) -> list[str]:
    picked: list[str] = []
    for separators in (_OPTION_SPLIT, LIST_SEPARATORS):
        picked = [_option(options, p) for p in split_on(separators, raw)]
        if all(p in options for p in picked):
            break
    return picked


def custom_value(d: FieldDefinition, raw: str) -> Any:
    """A custom field cell as the value the field takes, or the cell as it is when it is not
    one (the definition's check then names the problem)."""
    if d.type is FieldType.NUMBER:
        return number_or_text(raw)
    if d.type is FieldType.DATE:
        found = parse_date(raw)
        return found.isoformat() if found else raw
    if d.type is FieldType.BOOLEAN:
        return _boolean(raw)
    if d.type is FieldType.SELECT:
        return _option(d.options, raw)
    if d.type is FieldType.MULTISELECT:
        return _options(d.options, raw)
    return raw


def _custom_fields(cells: dict[str, str], custom: Sequence[FieldDefinition]) -> dict[str, Any]:
    """The custom field values of the cells present (an empty cell sets nothing)."""
    values: dict[str, Any] = {}
    for d in custom:
        raw = cells.get(custom_key(d.key), "").strip()
        if raw:
            values[d.key] = custom_value(d, raw)
    return values


@dataclass(frozen=True, slots=True)
class ParsedRow:
    kind: CustomerKind
    values: dict[str, Any]  # NewCustomer / CustomerChanges keyword arguments (cells present)

    def new_customer(self) -> NewCustomer:
        values = {k: v for k, v in self.values.items() if v is not None}
        return NewCustomer(kind=self.kind, **values)

    def changes(self) -> CustomerChanges:
        values = {k: v for k, v in self.values.items() if v is not None and k != "owner_id"}
        values.pop("team", None)
        return CustomerChanges(**values)


def parse_row(cells: dict[str, str], custom: Sequence[FieldDefinition] = ()) -> ParsedRow:
    """Cells (by column key) → typed values; BAD_USER_INPUT with fields named by column.
    `custom`: the job's custom field definitions (their values are checked by the use case,
    against the definitions, as `createCustomer` checks them)."""
    errors: list[FieldError] = []
    kind = _enum(CustomerKind, "kind", cells, errors)
    if kind is None and not errors:
        errors.append(FieldError("kind", "REQUIRED", "Kind is required"))
    if not cells.get("name", "").strip():
        errors.append(FieldError("name", "REQUIRED", "Name is required"))
    lists = {k: split_list(cells[k]) if cells.get(k, "").strip() else None for k in BY_KEY}
    values: dict[str, Any] = {
        "name": _text(cells, "name"),
        "stage": _enum(LifecycleStage, "stage", cells, errors),
        "tier": _text(cells, "tier"),
        "tags": lists["tags"],
        "phones": lists["phones"],
        "emails": lists["emails"],
        "source": _enum(Source, "source", cells, errors),
        "source_detail": _text(cells, "source_detail"),
        "referrer": _text(cells, "referrer"),
        "owner_id": _text(cells, "owner_id"),
        "team": _text(cells, "team"),
        "gender": _enum(Gender, "gender", cells, errors),
        "birthday": _date("birthday", cells, errors),
        "id_card_number": _text(cells, "id_card_number"),
        "wechat_id": _text(cells, "wechat_id"),
        "addresses": _address(cells),
        "uscc": _text(cells, "uscc"),
        "industry": _text(cells, "industry"),
        "company_size": _enum(CompanySize, "company_size", cells, errors),
        "website": _text(cells, "website"),
        "contacts": _contact(cells),
        "custom_fields": _custom_fields(cells, custom) or None,
    }
    if errors or kind is None:
        raise BadUserInput(errors)
    return ParsedRow(kind, values)


@dataclass(frozen=True, slots=True)
class BatchRow:
    """A staged row of a batch, parsed."""

    pos: int  # index in its batch
    row: int  # line in the file
    cells: dict[str, str]
    dup_of: int | None  # an earlier line with the same phone, email, ID or credit code
    parsed: ParsedRow


# --- staging ---------------------------------------------------------------------------------


def _in_file_keys(cells: dict[str, str]) -> set[str]:
    """Identifying values of a row, normalised, to spot repeats within one file (a contact
    person's phones and emails too: a customer's duplicate check counts them)."""
    phones = split_list(cells.get("phones", "")) + split_list(cells.get("contact_phone", ""))
    emails = split_list(cells.get("emails", "")) + split_list(cells.get("contact_email", ""))
    keys = {f"p:{p}" for p in map(normalize_phone, phones) if p}
    keys |= {f"e:{e}" for e in map(normalize_email, emails) if e}
    if cells.get("id_card_number", "").strip():
        keys.add(f"i:{normalize_id_card(cells['id_card_number'])}")
    if cells.get("uscc", "").strip():
        keys.add(f"u:{normalize_uscc(cells['uscc'])}")
    return keys


def stage_rows(
    table: list[tuple[int, list[str]]], columns: ColumnSet = FIXED
) -> list[dict[str, Any]]:
    """Header + rows → staged rows: cells by column key, and the earlier row it repeats."""
    header = columns.resolve_header(table[0][1])
    seen: dict[str, int] = {}
    staged: list[dict[str, Any]] = []
    for number, values in table[1:]:
        cells = columns.cells(header, values)
        keys = _in_file_keys(cells)
        dup_of = min((seen[k] for k in keys if k in seen), default=None)
        for k in keys:
            seen.setdefault(k, number)
        staged.append({"row": number, "cells": cells, "dup_of": dup_of})
    return staged
