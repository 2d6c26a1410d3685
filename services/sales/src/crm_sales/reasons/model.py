"""The lists of reasons a deal may be won or lost for: codes (what the stage gate checks and
reports count by) with a Chinese and an English label. Pure, no I/O.

The lists start as the defaults below; an ADMIN replaces them whole. A code removed from a
list stays on the deals closed with it (their closing keeps the code); it can no longer be
chosen.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from crm_kit.errors import FieldError
from crm_sales.opportunities.values import DEFAULT_CLOSE_REASONS, CloseReasons
from crm_sales.validation import SalesInputError, raise_if_any, text

CODE = re.compile(r"[A-Z][A-Z0-9_]{0,39}")
LABEL_MAX_CHARS = 60
MAX_REASONS = 30


class ReasonError(SalesInputError):
    """A reason list the rules refuse."""


@dataclass(frozen=True, slots=True)
class CloseReason:
    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True, slots=True)
class CloseReasonList:
    won: tuple[CloseReason, ...]
    lost: tuple[CloseReason, ...]
    version: int

    def codes(self) -> CloseReasons:
        """What the stage gate checks a closing reason against."""
        return CloseReasons(tuple(r.code for r in self.won), tuple(r.code for r in self.lost))


_LABELS = {
    "PRICE": ("价格", "Price"),
    "PRODUCT_FIT": ("产品契合度", "Product fit"),
    "RELATIONSHIP": ("客户关系", "Relationship"),
    "SERVICE": ("服务", "Service"),
    "OTHER": ("其他", "Other"),
    "COMPETITOR": ("选择了竞争对手", "Went with a competitor"),
    "NO_BUDGET": ("没有预算", "No budget"),
    "NO_DECISION": ("未做决定", "No decision"),
    "TIMING": ("时机不对", "Timing"),
}


def _defaults(codes: tuple[str, ...]) -> tuple[CloseReason, ...]:
    return tuple(CloseReason(code, *_LABELS[code]) for code in codes)


DEFAULT_REASONS = CloseReasonList(
    _defaults(DEFAULT_CLOSE_REASONS.won), _defaults(DEFAULT_CLOSE_REASONS.lost), 0
)


def define_reasons(
    won: Sequence[CloseReason], lost: Sequence[CloseReason], *, version: int
) -> CloseReasonList:
    """Both lists checked: 1 to 30 reasons each, codes upper case (A-Z, 0-9, _) and distinct
    within their list, a label in at least one language (the other falls back on it)."""
    errors: list[FieldError] = []
    kept_won = _reasons(errors, "won", won)
    kept_lost = _reasons(errors, "lost", lost)
    raise_if_any(errors, ReasonError, "The reason lists are invalid")
    return CloseReasonList(kept_won, kept_lost, version)


def _reasons(
    errors: list[FieldError], field: str, given: Sequence[CloseReason]
) -> tuple[CloseReason, ...]:
    if not given:
        errors.append(FieldError(field, "REQUIRED", f"{field} needs at least one reason"))
        return ()
    if len(given) > MAX_REASONS:
        errors.append(FieldError(field, "TOO_MANY", f"at most {MAX_REASONS} reasons"))
        return ()
    kept: dict[str, CloseReason] = {}
    for index, reason in enumerate(given):
        path = f"{field}[{index}]"
        code = reason.code.strip().upper()
        if not CODE.fullmatch(code):
            errors.append(
                FieldError(f"{path}.code", "INVALID", "a code is A-Z, 0-9 or _, 1 to 40 long")
            )
        elif code in kept:
            errors.append(FieldError(f"{path}.code", "DUPLICATE_ID", f"{code} repeats"))
        zh = text(errors, f"{path}.nameZh", reason.name_zh, limit=LABEL_MAX_CHARS, required=False)
        en = text(errors, f"{path}.nameEn", reason.name_en, limit=LABEL_MAX_CHARS, required=False)
        if not (zh or en):
            errors.append(FieldError(f"{path}.nameZh", "REQUIRED", "a reason needs a label"))
        kept.setdefault(code, CloseReason(code, zh or en or "", en or zh or ""))
    return tuple(kept.values())
