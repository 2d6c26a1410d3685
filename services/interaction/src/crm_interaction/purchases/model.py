"""Purchases / orders: exact decimal money in an ISO 4217 currency. Pure, no I/O.

Amounts are kept as decimal strings plus `amount_minor` (integer minor units, e.g. fen or
cents) so sums are exact on any MongoDB.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from crm_interaction.timeline.model import TimelineEntry, TimelineKind, entry_id
from crm_kit.auth import Principal, Role
from crm_kit.errors import BadUserInput, FieldError, Forbidden

MAX_ITEMS = 200
TEXT_MAX_CHARS = 200
MAX_AMOUNT = Decimal("1e15")

# ISO 4217 active codes and their minor-unit exponents (2 unless listed).
_ZERO_DECIMALS = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "ISK",
        "JPY",
        "KMF",
        "KRW",
        "PYG",
        "RWF",
        "UGX",
        "UYI",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
_THREE_DECIMALS = frozenset(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"])
_TWO_DECIMALS = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BMD",
        "BND",
        "BOB",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHF",
        "CNY",
        "COP",
        "CRC",
        "CUP",
        "CVE",
        "CZK",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IRR",
        "JMD",
        "KES",
        "KGS",
        "KHR",
        "KPW",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SVC",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "USD",
        "UYU",
        "UZS",
        "VES",
        "WST",
        "XCD",
        "YER",
        "ZAR",
        "ZMW",
        "ZWG",
    ]
)
CURRENCIES = _ZERO_DECIMALS | _THREE_DECIMALS | _TWO_DECIMALS

WRITER_ROLES = (Role.ADMIN, Role.MANAGER, Role.SALES)


class PurchaseStatus(StrEnum):
    PENDING = "PENDING"
    PAID = "PAID"
    SHIPPED = "SHIPPED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    REFUNDED = "REFUNDED"


COUNTED_STATUSES = frozenset(
    {PurchaseStatus.PAID, PurchaseStatus.SHIPPED, PurchaseStatus.COMPLETED}
)


def exponent(currency: str) -> int:
    if currency in _ZERO_DECIMALS:
        return 0
    return 3 if currency in _THREE_DECIMALS else 2


def to_minor(amount: Decimal, currency: str) -> int:
    return int(amount.scaleb(exponent(currency)))


def from_minor(minor: int, currency: str) -> Decimal:
    return (
        Decimal(minor).scaleb(-exponent(currency)).quantize(Decimal(1).scaleb(-exponent(currency)))
    )


@dataclass(frozen=True, slots=True)
class LineItem:
    sku: str
    name: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True, slots=True)
class Purchase:
    id: str
    customer_id: str
    order_number: str
    items: tuple[LineItem, ...]
    amount: Decimal
    currency: str
    status: PurchaseStatus
    purchased_at: datetime
    source: str
    external_id: str
    recorded_by: str
    recorded_at: datetime
    version: int

    @property
    def amount_minor(self) -> int:
        return to_minor(self.amount, self.currency)

    def same_content(self, other: Purchase) -> bool:
        keys = ("customer_id", "order_number", "items", "amount", "currency", "status")
        return all(getattr(self, k) == getattr(other, k) for k in keys) and (
            self.purchased_at == other.purchased_at
        )


@dataclass(frozen=True, slots=True)
class RecordPurchase:
    customer_id: str
    order_number: str
    amount: str
    currency: str
    purchased_at: datetime
    source: str
    external_id: str
    status: PurchaseStatus = PurchaseStatus.PAID
    items: tuple[tuple[str, str, int, str], ...] = ()


def ensure_writer(principal: Principal) -> None:
    if not principal.has_role(*WRITER_ROLES):
        raise Forbidden(
            "Only sales staff, managers and admins record purchases",
            message_key="PURCHASE_WRITER_ROLE",
        )


def _money(errors: list[FieldError], field: str, raw: str, currency: str) -> Decimal | None:
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        errors.append(FieldError(field, "INVALID", f"{field} must be a decimal string"))
        return None
    if not value.is_finite():
        errors.append(FieldError(field, "INVALID", f"{field} must be a finite decimal"))
        return None
    if value < 0:
        errors.append(FieldError(field, "NEGATIVE", f"{field} must not be negative"))
        return None
    if value >= MAX_AMOUNT:
        errors.append(FieldError(field, "OUT_OF_RANGE", f"{field} is too large"))
        return None
    exp = value.as_tuple().exponent
    if currency in CURRENCIES and isinstance(exp, int) and -exp > exponent(currency):
        errors.append(
            FieldError(
                field, "PRECISION", f"{currency} has {exponent(currency)} decimal places at most"
            )
        )
        return None
    return value


def purchase_id(source: str, external_id: str) -> str:
    """Deterministic id: the same ERP order always maps to the same purchase."""
    return "p_" + hashlib.sha256(f"{source}\n{external_id}".encode()).hexdigest()[:32]


def _reference_errors(command: RecordPurchase, currency: str) -> list[FieldError]:
    """The currency and the order's references (order number, source, external id)."""
    errors: list[FieldError] = []
    if currency not in CURRENCIES or command.currency.strip() != currency:
        errors.append(
            FieldError("currency", "INVALID_CURRENCY", "currency must be an ISO 4217 code")
        )
    for field, value in (
        ("orderNumber", command.order_number),
        ("source", command.source),
        ("externalId", command.external_id),
    ):
        if not value.strip():
            errors.append(FieldError(field, "REQUIRED", f"{field} is required"))
        elif len(value) > TEXT_MAX_CHARS:
            errors.append(FieldError(field, "TOO_LONG", f"{field} is too long"))
    return errors


def _line_items(
    errors: list[FieldError], raw: tuple[tuple[str, str, int, str], ...], currency: str
) -> list[LineItem]:
    """The valid line items; what is wrong with the others goes to `errors`."""
    if len(raw) > MAX_ITEMS:
        errors.append(FieldError("items", "TOO_MANY", f"at most {MAX_ITEMS} items"))
    items: list[LineItem] = []
    for index, (sku, name, quantity, price) in enumerate(raw):
        unit = _money(errors, f"items[{index}].unitPrice", price, currency)
        if quantity <= 0:
            errors.append(
                FieldError(f"items[{index}].quantity", "OUT_OF_RANGE", "quantity must be > 0")
            )
        if not sku.strip() or len(sku) > TEXT_MAX_CHARS or len(name) > TEXT_MAX_CHARS:
            errors.append(FieldError(f"items[{index}].sku", "INVALID", "sku is required"))
        if unit is not None:
            items.append(LineItem(sku.strip(), name.strip(), quantity, unit))
    return items


def build(command: RecordPurchase, *, recorded_by: str, now: datetime, version: int) -> Purchase:
    currency = command.currency.strip().upper()
    errors = _reference_errors(command, currency)
    amount = _money(errors, "amount", command.amount, currency)
    items = _line_items(errors, command.items, currency)
    if errors:
        raise BadUserInput(errors)
    assert amount is not None
    return Purchase(
        id=purchase_id(command.source.strip(), command.external_id.strip()),
        customer_id=command.customer_id.strip(),
        order_number=command.order_number.strip(),
        items=tuple(items),
        amount=amount,
        currency=currency,
        status=command.status,
        purchased_at=command.purchased_at,
        source=command.source.strip(),
        external_id=command.external_id.strip(),
        recorded_by=recorded_by,
        recorded_at=now,
        version=version,
    )


def timeline_entry(item: Purchase) -> TimelineEntry:
    """How a purchase appears on its customer's timeline."""
    return TimelineEntry(
        id=entry_id(TimelineKind.PURCHASE, item.id),
        customer_id=item.customer_id,
        kind=TimelineKind.PURCHASE,
        ref_id=item.id,
        at=item.purchased_at,
        title=f"Order {item.order_number}",
        summary=f"{item.amount} {item.currency}",
        status=str(item.status),
        actor_id=item.recorded_by,
    )
