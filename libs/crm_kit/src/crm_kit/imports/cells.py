"""Reading import cells (pure): lists, dates and numbers as people type them in spreadsheets.

Lists are separated by ``;`` (also ``,``, ``，``, ``；``, ``、``, ``|`` or a line break); dates
are ``2024-01-05``, ``2024/1/5``, ``2024年1月5日`` or ``20240105``; numbers may group thousands
with commas (``1,234,567.8``).
"""

from __future__ import annotations

import re
from datetime import date

LIST_SEPARATORS = re.compile(r"[;,，；、|\n]+")
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")  # 1,234,567.8


def split_list(value: str) -> list[str]:
    """The items of a list cell, trimmed, blanks left out."""
    return [p.strip() for p in LIST_SEPARATORS.split(value) if p.strip()]


def split_on(pattern: re.Pattern[str], value: str) -> list[str]:
    """The items of a cell split by `pattern`, trimmed, blanks left out."""
    return [p.strip() for p in pattern.split(value) if p.strip()]


def parse_date(raw: str) -> date | None:
    """``2024-01-05``, ``2024/1/5``, ``2024年1月5日`` or ``20240105``; None if not a date."""
    found = _COMPACT_DATE.fullmatch(raw) or _DATE.match(raw)
    try:
        return date(int(found[1]), int(found[2]), int(found[3])) if found else None
    except ValueError:
        return None


def ungrouped(raw: str) -> str:
    """A number's text without thousands separators (``1,234.5`` → ``1234.5``); any other
    text as it is (a list ``1,2`` is not a grouped number)."""
    return raw.replace(",", "") if _GROUPED.match(raw) else raw


def number_or_text(raw: str) -> int | float | str:
    """A cell as a number when it is one (a whole number as an int), else the cell itself."""
    text = ungrouped(raw)
    if not _NUMBER.match(text):
        return raw
    number = float(text)
    # A whole number is stored as one while a float holds it exactly (and BSON can store it).
    return int(number) if number.is_integer() and abs(number) < 2**53 else number
