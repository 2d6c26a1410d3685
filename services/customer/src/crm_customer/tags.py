"""Tag catalog (pure): ADMIN-managed tags with colour, group and description.

How customers hold tags: a customer has one ``tags`` list of names (what filters, the
``tags_created_id`` multikey index and events already use). A name that is in the catalog is a
*catalog tag* (it has a colour, a group, a description and is renamed everywhere when the
catalog renames it); any other name is a *free tag* that a user typed. So free tags cost
nothing extra, a free tag becomes a catalog tag the moment ADMIN adds it to the catalog, and
``tagsAny``/``tagsAll`` filters work the same for both.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from crm_customer import i18n
from crm_customer.model import MAX_TAG
from crm_kit.errors import BadUserInput, FieldError

COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_GROUP = 40
MAX_DESCRIPTION = 200
RENAME_BATCH = 100

MESSAGES: dict[str, tuple[str, str]] = {
    "INVALID_COLOR": ("颜色需为 #RRGGBB 格式", "A colour is #RRGGBB"),
    "TAG_EXISTS": ("已存在同名标签", "A tag with this name exists"),
    "SAME_NAME": ("新名称与原名称相同", "The new name is the old one"),
}

i18n.register(MESSAGES)


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


def validated(draft: Tag, *, actor: str, now: datetime) -> Tag:
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
