"""What a person sets on a quote — its validity, tax rate, note and the name it is addressed
to — and the ADMIN's quote
settings: the discount threshold above which a quote needs a manager's approval, the default
tax rate and validity of a new quote, and the company name printed on the documents. Pure.

Percentages (tax rate, threshold) are decimal strings from 0 to 100 with at most two decimals;
a float is refused as every amount is (`money.parse_decimal`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from crm_kit.errors import FieldError
from crm_sales.line_items.model import HUNDRED
from crm_sales.money.model import parse_decimal
from crm_sales.validation import SalesInputError, collect, parse_date, raise_if_any, text

PERCENT_MAX_PLACES = 2
NOTE_MAX_CHARS = 2_000
REASON_MAX_CHARS = 500
COMPANY_MAX_CHARS = 200
CUSTOMER_NAME_MAX_CHARS = 200
MAX_VALIDITY_DAYS = 365
DEFAULT_THRESHOLD = Decimal(10)
DEFAULT_TAX_RATE = Decimal(13)  # the standard PRC VAT rate
DEFAULT_VALIDITY_DAYS = 30


class QuoteError(SalesInputError):
    """A quote write the rules refuse; `fieldErrors` name the field (`id` for the quote's
    state: NOT_DRAFT, SUPERSEDED, EXPIRED, APPROVAL_REQUIRED, …)."""


@dataclass(frozen=True, slots=True)
class Terms:
    """What createQuote and updateQuoteDraft give (None: the default, or unchanged)."""

    valid_until: str | date | None = None
    tax_rate: object = None
    note: str | None = None  # a blank note removes it
    customer_name: str | None = None  # whom the quote is addressed to


def percent(raw: object, field: str) -> Decimal:
    """A percentage from 0 to 100 inclusive with at most two decimals."""
    value = parse_decimal(raw, field=field, max_places=PERCENT_MAX_PLACES)
    if not Decimal(0) <= value <= HUNDRED:
        raise QuoteError.single(field, "OUT_OF_RANGE", f"{field} must be from 0 to 100")
    return value


def tax_rate_of(errors: list[FieldError], raw: object, default: Decimal) -> Decimal | None:
    if raw is None:
        return default
    return collect(errors, lambda: percent(raw, "taxRate"))


def valid_until_of(
    errors: list[FieldError], raw: str | date | None, today: date, default_days: int
) -> date | None:
    """The last day a quote may be accepted: from today to a year ahead (omitted: today +
    the default validity)."""
    if raw is None:
        return today + timedelta(days=default_days)
    day = collect(errors, lambda: parse_date(raw, field="validUntil"))
    if day is not None and day < today:
        errors.append(FieldError("validUntil", "IN_PAST", "validUntil must be today or later"))
        return None
    if day is not None and day > today + timedelta(days=MAX_VALIDITY_DAYS):
        errors.append(
            FieldError(
                "validUntil",
                "OUT_OF_RANGE",
                f"validUntil must be at most {MAX_VALIDITY_DAYS} days ahead",
            )
        )
        return None
    return day


def customer_name_of(errors: list[FieldError], raw: str | None, current: str) -> str:
    """The name the quote is addressed to: given, else `current` (required either way)."""
    value = current if raw is None else raw
    found = text(errors, "customerName", value, limit=CUSTOMER_NAME_MAX_CHARS, required=True)
    return found or ""


def note_of(errors: list[FieldError], raw: str | None, current: str | None) -> str | None:
    if raw is None:
        return current
    return text(errors, "note", raw, limit=NOTE_MAX_CHARS, required=False)


@dataclass(frozen=True, slots=True)
class QuoteSettings:
    """The ADMIN's quote settings; version 0 until first saved (the defaults)."""

    discount_threshold: Decimal = DEFAULT_THRESHOLD
    default_tax_rate: Decimal = DEFAULT_TAX_RATE
    validity_days: int = DEFAULT_VALIDITY_DAYS
    company_name: str = ""
    version: int = 0
    updated_by: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SettingsChanges:
    """What updateQuoteSettings changes (None: unchanged; a blank company name: none)."""

    discount_threshold: object = None
    default_tax_rate: object = None
    validity_days: int | None = None
    company_name: str | None = None


def _percent_change(errors: list[FieldError], raw: object, field: str, current: Decimal) -> Decimal:
    if raw is None:
        return current
    found = collect(errors, lambda: percent(raw, field))
    return current if found is None else found


def change_settings(
    current: QuoteSettings, changes: SettingsChanges, *, actor: str, now: datetime
) -> QuoteSettings:
    """The settings with the changes applied, every problem reported at once."""
    errors: list[FieldError] = []
    threshold = _percent_change(
        errors, changes.discount_threshold, "discountThreshold", current.discount_threshold
    )
    tax = _percent_change(
        errors, changes.default_tax_rate, "defaultTaxRate", current.default_tax_rate
    )
    days = current.validity_days if changes.validity_days is None else changes.validity_days
    if not 1 <= days <= MAX_VALIDITY_DAYS:
        errors.append(
            FieldError(
                "validityDays", "OUT_OF_RANGE", f"validityDays must be 1 to {MAX_VALIDITY_DAYS}"
            )
        )
    company: str | None = current.company_name
    if changes.company_name is not None:
        limit = COMPANY_MAX_CHARS
        company = text(errors, "companyName", changes.company_name, limit=limit, required=False)
    raise_if_any(errors, QuoteError, "The quote settings are invalid")
    return QuoteSettings(threshold, tax, days, company or "", current.version + 1, actor, now)
