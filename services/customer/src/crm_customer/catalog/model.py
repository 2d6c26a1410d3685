"""The ADMIN catalogs (pure): custom field definitions and the tag catalog.

Custom fields: a definition names a key, zh/en labels, a type, whether it is required and, for
SELECT and MULTISELECT, the allowed options (a customer's values are checked against the
definitions by `field_values`).

Tags: how customers hold tags: a customer has one ``tags`` list of names (what filters, the
``tags_created_id`` multikey index and events already use). A name that is in the catalog is a
*catalog tag* (it has a colour, a group, a description and is renamed everywhere when the
catalog renames it); any other name is a *free tag* that a user typed. So free tags cost
nothing extra, a free tag becomes a catalog tag the moment ADMIN adds it to the catalog, and
``tagsAny``/``tagsAll`` filters work the same for both.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from crm_customer import i18n
from crm_customer.customers.values import MAX_TAG
from crm_kit.errors import BadUserInput, FieldError

MAX_DEFINITIONS = 200
MAX_OPTIONS = 100
MAX_LABEL = 100
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_GROUP = 40
MAX_DESCRIPTION = 200
RENAME_BATCH = 100

# Messages for the field-error codes of the catalogs (zh-CN, en), registered in the i18n catalog.
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
    "INVALID_COLOR": ("颜色需为 #RRGGBB 格式", "A colour is #RRGGBB"),
    "TAG_EXISTS": ("已存在同名标签", "A tag with this name exists"),
    "SAME_NAME": ("新名称与原名称相同", "The new name is the old one"),
}

i18n.register(MESSAGES)


# --- custom field definitions -----------------------------------------------------------------


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


# --- tag catalog --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tag:
    name: str
    color: str | None = None
    group: str | None = None
    description: str | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None


def clean_name(raw: str, path: str, errors: list[FieldError]) -> str:
    name = raw.strip()
    if not name or len(name) > MAX_TAG:
        errors.append(FieldError(path, "INVALID_TAG", f"Tags are 1 to {MAX_TAG} characters"))
    return name


def _optional(value: str | None, limit: int, path: str, errors: list[FieldError]) -> str | None:
    cleaned = " ".join((value or "").split())
    if len(cleaned) > limit:
        errors.append(FieldError(path, "TOO_LONG", f"At most {limit} characters"))
    return cleaned or None


def validated_tag(draft: Tag, *, actor: str, now: datetime) -> Tag:
    errors: list[FieldError] = []
    name = clean_name(draft.name, "name", errors)
    color = (draft.color or "").strip() or None
    if color and not COLOR.match(color):
        errors.append(FieldError("color", "INVALID_COLOR", "Colour is #RRGGBB"))
    group = _optional(draft.group, MAX_GROUP, "group", errors)
    description = _optional(draft.description, MAX_DESCRIPTION, "description", errors)
    if errors:
        raise BadUserInput(errors)
    return Tag(name, color.lower() if color else None, group, description, now, actor)


def check_rename(old: str, new: str) -> tuple[str, str]:
    errors: list[FieldError] = []
    old_name = clean_name(old, "name", errors)
    new_name = clean_name(new, "newName", errors)
    if not errors and old_name == new_name:
        errors.append(FieldError("newName", "SAME_NAME", "Same name"))
    if errors:
        raise BadUserInput(errors)
    return old_name, new_name


def renamed(tags: list[str], old: str, new: str) -> list[str]:
    """A customer's tags with `old` replaced by `new` in place (no duplicate if both held)."""
    out: list[str] = []
    for tag in tags:
        value = new if tag == old else tag
        if value not in out:
            out.append(value)
    return out


def split(tags: list[str], catalog: Collection[str]) -> tuple[list[str], list[str]]:
    """(catalog tags, free tags) of a customer, each in the customer's order."""
    return [t for t in tags if t in catalog], [t for t in tags if t not in catalog]
