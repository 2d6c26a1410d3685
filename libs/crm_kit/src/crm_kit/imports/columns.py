"""The columns of an import template (pure): each with a key, zh and en headers and whether it
is required, and how a file's header row is read against them.

A header row may name a column by its Chinese or English header, its key (``next_step``) or
its API name (``nextStep``), in any order and case, with spaces, ``_`` and ``-`` ignored; a
trailing ``*`` (how the template marks required columns) is ignored too. Header problems name
the columns, in the caller's language (they are not catalogue texts: they list the columns).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from crm_kit.errors import BadUserInput, FieldError
from crm_kit.i18n import EN, language_var

_IGNORED = re.compile(r"[\s_*＊\-]+")


def normalise(text: str) -> str:
    """A header as it is compared: lower case, without spaces, ``_``, ``-`` and ``*``."""
    return _IGNORED.sub("", text).lower()


def camel(name: str) -> str:
    """A column key as the API spells the field (``source_detail`` → ``sourceDetail``)."""
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    zh: str
    en: str
    required: bool = False
    hint_zh: str = ""
    hint_en: str = ""

    @property
    def api_name(self) -> str:
        """The column as the API names its field."""
        return camel(self.key)

    @property
    def names(self) -> tuple[str, ...]:
        """The names a header may give the column (aliases aside)."""
        return (self.zh, self.en, self.key, self.api_name)


@dataclass(frozen=True, slots=True)
class HeaderMap:
    """Column position → column key, and each key's header as written in the file."""

    positions: dict[int, str]
    headers: dict[str, str]


def aliases_of(columns: Iterable[Column], extra: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
    """Normalised name → column key, for every name of every column and the `extra` (alias,
    key) pairs."""
    found = {normalise(name): c.key for c in columns for name in c.names if name.strip()}
    found.update((normalise(alias), key) for alias, key in extra)
    return found


@dataclass(frozen=True, slots=True)
class ColumnTable[C: Column]:
    """Columns in template order, the headers that name each (normalised) and the columns a
    header row must have (`C`: the service's column type)."""

    columns: tuple[C, ...]
    aliases: dict[str, str]
    by_key: Mapping[str, C]
    required: tuple[C, ...]

    @classmethod
    def build(
        cls, columns: Iterable[C], extra_aliases: Iterable[tuple[str, str]] = ()
    ) -> ColumnTable[C]:
        """A table of `columns`, each named by its own names and the `extra_aliases`; its
        required columns must be in every header row."""
        listed = tuple(columns)
        return cls(
            listed,
            aliases_of(listed, extra_aliases),
            {c.key: c for c in listed},
            tuple(c for c in listed if c.required),
        )

    def header(self, column: Column, language: str) -> str:
        """The column's header in `language` ("zh" or "en"): its label, or, when that label
        names another column, a name of its own that reads back as it."""
        labels = (column.en, column.zh) if language == "en" else (column.zh, column.en)
        for name in (*labels, *column.names):
            if self.aliases.get(normalise(name)) == column.key:
                return name
        return column.api_name  # pragma: no cover - every column keeps a name of its own

    def header_of(self, key: str) -> str:
        """The header of a column in the caller's language ('' for no column)."""
        column = self.by_key.get(key)
        if column is None:
            return ""
        return self.header(column, "en" if language_var.get() == EN else "zh")

    def resolve_header(self, cells: list[str]) -> HeaderMap:
        """Map a header row to column keys; BAD_USER_INPUT naming missing, unknown or
        repeated columns (all of them at once)."""
        positions: dict[int, str] = {}
        headers: dict[str, str] = {}
        unknown: list[str] = []
        repeated: list[str] = []
        for i, raw in enumerate(cells):
            text = raw.strip()
            if not text:
                continue
            key = self.aliases.get(normalise(text))
            if key is None:
                unknown.append(text)
            elif key in headers:
                repeated.append(text)
            else:
                positions[i] = key
                headers[key] = text
        missing = [c for c in self.required if c.key not in headers]
        refuse_header(missing, unknown, repeated)
        return HeaderMap(positions, headers)

    def template_header(self, language: str) -> list[str]:
        """The template's header row: zh or en, required columns marked with ``*``."""
        return [self.header(c, language) + ("*" if c.required else "") for c in self.columns]

    def template_notes(self, language: str) -> list[list[str]]:
        """The template's instructions sheet: one line per column, with its API name."""
        en = language == "en"
        head = (
            ["Column", "Required", "Key", "Notes"] if en else ["列名", "是否必填", "字段", "说明"]
        )
        yes, no = ("yes", "no") if en else ("是", "否")
        rows = [
            [self.header(c, language), yes if c.required else no, c.api_name,
             c.hint_en if en else c.hint_zh]
            for c in self.columns
        ]  # fmt: skip
        return [head, *rows]

    def cells(self, header: HeaderMap, values: list[str]) -> dict[str, str]:
        """A data row's cells by column key (a short row lacks its last columns)."""
        return {key: values[pos] for pos, key in header.positions.items() if pos < len(values)}


def _file_error(code: str, text: str) -> FieldError:
    return FieldError("file", code, text)


def refuse_header(missing: Sequence[Column], unknown: list[str], repeated: list[str]) -> None:
    """BAD_USER_INPUT with one `file` error per kind of header problem, in the caller's
    language; nothing when there is none."""
    en = language_var.get() == EN
    errors: list[FieldError] = []
    if missing:
        names = ", ".join(f"{c.zh} ({c.en})" for c in missing)
        text = "Missing required columns: " if en else "缺少必填列："
        errors.append(_file_error("MISSING_COLUMNS", text + names))
    if unknown:
        text = "Unknown columns: " if en else "无法识别的列："
        errors.append(_file_error("UNKNOWN_COLUMNS", text + ", ".join(unknown)))
    if repeated:
        text = "Repeated columns: " if en else "重复的列："
        errors.append(_file_error("REPEATED_COLUMNS", text + ", ".join(repeated)))
    if errors:
        raise BadUserInput(errors, "The header row does not match the template")


def missing_column_error(column: Column, why: str) -> BadUserInput:
    """BAD_USER_INPUT `file` MISSING_COLUMNS naming one column a choice made necessary (e.g.
    the column an UPSERT names its records by); `why` says which choice, in English."""
    text = f"{why} needs the column {column.zh} ({column.en})"
    return BadUserInput([_file_error("MISSING_COLUMNS", text)], text)
