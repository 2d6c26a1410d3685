"""Money: exact decimal amounts in an accepted ISO 4217 currency, exchange rates with the date
they take effect, and conversion to the organisation's base currency. Pure, no I/O.

Why `Decimal` and never `float`: a binary float cannot hold 0.10 exactly, so sums of prices
drift by fractions of a fen that finance then has to explain. Amounts arrive as decimal
strings (the API's money format) or `Decimal`s; a float is refused at the door, because by the
time it reaches us the damage is done.

Rounding is `ROUND_HALF_EVEN` (banker's rounding) to the currency's ISO 4217 minor unit: a
half goes to the even neighbour, so rounding many conversions or discounts does not push
totals up on average the way half-up does. What a person typed is never rounded — more
decimals than the currency has are refused (PRECISION) — only computed amounts are rounded,
each once, at the end of its computation.

A rate says how many units of the base currency one unit of a currency buys, from its
effective date on. The rate for a day is the latest whose effective date is on or before that
day, so entering a new rate never changes what an earlier day converted at.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from types import MappingProxyType

from crm_kit.errors import FieldError
from crm_sales.validation import SalesInputError, collect, parse_date, raise_if_any

ROUNDING = ROUND_HALF_EVEN
BASE_CURRENCY = "CNY"
# Exclusive bound: 10^15 with 3 minor digits is 10^18 minor units, inside a signed 64-bit
# integer, so an amount always fits MongoDB's exact integer type as minor units.
MAX_AMOUNT = Decimal("1e15")
MAX_INPUT_CHARS = 40
RATE_MAX_PLACES = 10
MAX_RATE = Decimal("1e6")

# ASCII digits only: `Decimal` also reads "1_000", "1e3" and other scripts' digits, which a
# money field must not silently accept.
_DECIMAL_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_NON_FINITE = frozenset({"nan", "snan", "inf", "infinity"})


class MoneyError(SalesInputError):
    """An amount, a currency or a rate the money rules refuse."""


@dataclass(frozen=True, slots=True)
class Currency:
    code: str
    minor_units: int
    name_zh: str
    name_en: str

    @property
    def quantum(self) -> Decimal:
        """The smallest amount of the currency (0.01 for CNY, 1 for JPY, 0.001 for KWD)."""
        return Decimal(1).scaleb(-self.minor_units)


def _table(*rows: tuple[str, int, str, str]) -> Mapping[str, Currency]:
    return MappingProxyType({row[0]: Currency(*row) for row in rows})


# The currencies we accept, with their ISO 4217 minor units. A short list on purpose: each one
# needs an exchange rate before its amounts can be reported in the base currency.
CURRENCIES: Mapping[str, Currency] = _table(
    ("CNY", 2, "人民币", "Chinese yuan"),
    ("USD", 2, "美元", "US dollar"),
    ("EUR", 2, "欧元", "Euro"),
    ("HKD", 2, "港元", "Hong Kong dollar"),
    ("MOP", 2, "澳门元", "Macanese pataca"),
    ("TWD", 2, "新台币", "New Taiwan dollar"),
    ("JPY", 0, "日元", "Japanese yen"),
    ("KRW", 0, "韩元", "South Korean won"),
    ("GBP", 2, "英镑", "Pound sterling"),
    ("SGD", 2, "新加坡元", "Singapore dollar"),
    ("AUD", 2, "澳大利亚元", "Australian dollar"),
    ("NZD", 2, "新西兰元", "New Zealand dollar"),
    ("CAD", 2, "加拿大元", "Canadian dollar"),
    ("CHF", 2, "瑞士法郎", "Swiss franc"),
    ("SEK", 2, "瑞典克朗", "Swedish krona"),
    ("NOK", 2, "挪威克朗", "Norwegian krone"),
    ("DKK", 2, "丹麦克朗", "Danish krone"),
    ("THB", 2, "泰铢", "Thai baht"),
    ("MYR", 2, "马来西亚林吉特", "Malaysian ringgit"),
    ("IDR", 2, "印度尼西亚卢比", "Indonesian rupiah"),
    ("PHP", 2, "菲律宾比索", "Philippine peso"),
    ("VND", 0, "越南盾", "Vietnamese dong"),
    ("INR", 2, "印度卢比", "Indian rupee"),
    ("AED", 2, "阿联酋迪拉姆", "UAE dirham"),
    ("SAR", 2, "沙特里亚尔", "Saudi riyal"),
    ("RUB", 2, "俄罗斯卢布", "Russian ruble"),
    ("BRL", 2, "巴西雷亚尔", "Brazilian real"),
    ("MXN", 2, "墨西哥比索", "Mexican peso"),
    ("ZAR", 2, "南非兰特", "South African rand"),
    ("KWD", 3, "科威特第纳尔", "Kuwaiti dinar"),
    ("BHD", 3, "巴林第纳尔", "Bahraini dinar"),
)


def currency(code: str, *, field: str = "currency") -> Currency:
    """The accepted currency of an ISO 4217 code (case and surrounding blanks ignored)."""
    found = CURRENCIES.get(code.strip().upper()) if isinstance(code, str) else None
    if found is None:
        raise MoneyError.single(
            field, "INVALID_CURRENCY", f"{field} must be one of {', '.join(CURRENCIES)}"
        )
    return found


def quantize(value: Decimal, code: str) -> Decimal:
    """`value` rounded half-even to the minor unit of the currency (`code` must be accepted)."""
    rounded = value.quantize(CURRENCIES[code].quantum, rounding=ROUNDING)
    return rounded.copy_abs() if rounded.is_zero() else rounded  # no "-0.00"


@dataclass(frozen=True, slots=True)
class Money:
    """An amount quantised to its currency's minor unit. Build it with `parse_amount` or
    `money`; the constructor trusts its caller."""

    amount: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{self.text} {self.currency}"

    @property
    def text(self) -> str:
        """The API's decimal string: every minor digit written, never an exponent."""
        return f"{self.amount:f}"

    @property
    def minor(self) -> int:
        """Whole minor units (fen, cents): the exact integer a store can sum."""
        return int(self.amount.scaleb(CURRENCIES[self.currency].minor_units))

    def plus(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot add {other.currency} to {self.currency}")
        return Money(self.amount + other.amount, self.currency)

    def times(self, factor: Decimal) -> Money:
        """The amount multiplied, rounded once (half-even)."""
        return money(self.amount * factor, self.currency)


def money(value: Decimal | int, code: str) -> Money:
    """A computed amount: rounded half-even to the currency (trusted, not validated)."""
    return Money(quantize(Decimal(value), code), code)


def zero(code: str) -> Money:
    return money(0, code)


def from_minor(minor: int, code: str) -> Money:
    return money(Decimal(minor).scaleb(-CURRENCIES[code].minor_units), code)


def parse_decimal(raw: object, *, field: str, max_places: int) -> Decimal:
    """A finite decimal from a decimal string, a `Decimal` or an int — never a float.

    Trailing zeros are not decimals: "100.00" has no places, so it is a valid JPY amount.
    The sign is left to the caller (an amount may not be negative; other numbers may be)."""
    value = _read_decimal(raw, field)
    places = _places(value)
    if places > max_places:
        raise MoneyError.single(
            field, "PRECISION", f"{field} has at most {max_places} decimal places"
        )
    return value


def _read_decimal(raw: object, field: str) -> Decimal:
    if isinstance(raw, float):
        raise MoneyError.single(
            field, "FLOAT_NOT_ALLOWED", f"{field} must be a decimal string, not a float"
        )
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int) and not isinstance(raw, bool):
        value = Decimal(raw)
    elif isinstance(raw, str):
        value = _read_text(raw, field)
    else:
        raise MoneyError.single(field, "INVALID", f"{field} must be a decimal string")
    if not value.is_finite():
        raise MoneyError.single(field, "NOT_FINITE", f"{field} must be a finite number")
    return value


def _read_text(raw: str, field: str) -> Decimal:
    stripped = raw.strip()
    if stripped.lstrip("+-").lower() in _NON_FINITE:
        raise MoneyError.single(field, "NOT_FINITE", f"{field} must be a finite number")
    if len(stripped) > MAX_INPUT_CHARS or not _DECIMAL_TEXT.fullmatch(stripped):
        raise MoneyError.single(
            field, "INVALID", f"{field} must be a decimal string such as 1234.50"
        )
    return Decimal(stripped)


def _places(value: Decimal) -> int:
    if value.is_zero():
        return 0
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def parse_amount(
    raw: object, code: str, *, field: str = "amount", currency_field: str = "currency"
) -> Money:
    """An amount a person or a system gave: not negative, below 10^15, with no more decimals
    than the currency has. An unknown currency and a bad amount are reported together."""
    errors: list[FieldError] = []
    found = collect(errors, lambda: currency(code, field=currency_field))
    places = found.minor_units if found is not None else RATE_MAX_PLACES
    value = collect(errors, lambda: parse_decimal(raw, field=field, max_places=places))
    if value is not None and value < 0:
        errors.append(FieldError(field, "NEGATIVE", f"{field} must not be negative"))
    elif value is not None and value >= MAX_AMOUNT:
        errors.append(FieldError(field, "OUT_OF_RANGE", f"{field} must be below {MAX_AMOUNT:f}"))
    raise_if_any(errors, MoneyError)
    assert found is not None and value is not None
    return money(value, found.code)


@dataclass(frozen=True, slots=True)
class ExchangeRate:
    """One unit of `currency` is worth `rate` units of `base` from `effective_from` on."""

    currency: str
    rate: Decimal
    effective_from: date
    base: str = BASE_CURRENCY


def exchange_rate(
    code: str, rate: object, effective_from: date | str, *, base: str = BASE_CURRENCY
) -> ExchangeRate:
    """An ADMIN's rate, checked: an accepted currency other than the base, a positive decimal
    (10 places at most, below 10^6) and a calendar date."""
    errors: list[FieldError] = []
    found = collect(errors, lambda: currency(code))
    if found is not None and found.code == base:
        errors.append(FieldError("currency", "SAME_AS_BASE", f"{base} is the base currency"))
    value = collect(errors, lambda: parse_decimal(rate, field="rate", max_places=RATE_MAX_PLACES))
    if value is not None and not Decimal(0) < value < MAX_RATE:
        errors.append(
            FieldError("rate", "OUT_OF_RANGE", f"rate must be above 0 and below {MAX_RATE:f}")
        )
    day = collect(errors, lambda: parse_date(effective_from, field="effectiveFrom"))
    raise_if_any(errors, MoneyError)
    assert found is not None and value is not None and day is not None
    return ExchangeRate(found.code, value, day, base)


@dataclass(frozen=True, slots=True)
class Conversion:
    """An amount in the base currency and how it was obtained. `rate_effective_from` is None
    when the amount was already in the base currency (rate 1)."""

    source: Money
    amount: Money
    rate: Decimal
    rate_effective_from: date | None


class RateTable:
    """Every rate of one base currency, looked up by the day of the amount."""

    def __init__(self, rates: Iterable[ExchangeRate], *, base: str = BASE_CURRENCY) -> None:
        self.base = base
        by_currency: dict[str, dict[date, ExchangeRate]] = {}
        for rate in rates:
            if rate.base != base:
                raise ValueError(f"a {rate.base} rate in a {base} table")
            days = by_currency.setdefault(rate.currency, {})
            if rate.effective_from in days:
                raise ValueError(f"two {rate.currency} rates from {rate.effective_from}")
            days[rate.effective_from] = rate
        self._days = {code: sorted(days) for code, days in by_currency.items()}
        self._rates = by_currency

    def rate_on(self, code: str, day: date) -> ExchangeRate | None:
        """The latest rate of `code` whose effective date is on or before `day`."""
        days = self._days.get(code, [])
        at = bisect.bisect_right(days, day)
        return self._rates[code][days[at - 1]] if at else None

    def convert(self, amount: Money, day: date, *, field: str = "currency") -> Conversion:
        """`amount` in the base currency at the rate in effect on `day`, rounded half-even."""
        if amount.currency == self.base:
            return Conversion(amount, amount, Decimal(1), None)
        rate = self.rate_on(amount.currency, day)
        if rate is None:
            raise MoneyError.single(
                field,
                "NO_EXCHANGE_RATE",
                f"no {amount.currency} to {self.base} rate is in effect on {day.isoformat()}",
            )
        converted = money(amount.amount * rate.rate, self.base)
        return Conversion(amount, converted, rate.rate, rate.effective_from)

    def try_convert(self, amount: Money, day: date) -> Conversion | None:
        """Like `convert`, None when no rate is in effect (reports count such amounts apart)."""
        rate = self.rate_on(amount.currency, day)
        if amount.currency != self.base and rate is None:
            return None
        return self.convert(amount, day)
