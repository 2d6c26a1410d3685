"""The figures of a quote: its lines as copied from the deal, the totals printed on it, its
discounts against list prices and the number it carries. Pure.

Each line total was rounded once (half-even, the currency's minor unit) when the deal priced
it; the subtotal is their exact sum, the tax is subtotal × rate rounded once, and the total is
subtotal plus tax, so the printed figures add up exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from crm_sales.line_items.model import HUNDRED, LineItem
from crm_sales.money.model import Money, money

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class QuoteLine:
    product_id: str
    product_code: str
    name_zh: str
    name_en: str
    unit: str
    quantity: Decimal
    list_price: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    total: Decimal

    @classmethod
    def of(cls, item: LineItem) -> QuoteLine:
        return cls(
            product_id=item.product_id,
            product_code=item.product_code,
            name_zh=item.name_zh,
            name_en=item.name_en,
            unit=item.unit,
            quantity=item.quantity,
            list_price=item.list_price,
            unit_price=item.unit_price,
            discount_percent=item.discount_percent,
            total=item.total,
        )


@dataclass(frozen=True, slots=True)
class Totals:
    subtotal: Money
    tax: Money
    total: Money


def quote_number(year: int, sequence: int) -> str:
    """`Q-<year>-<sequence>`, the sequence zero-padded to six digits (more when it grows)."""
    return f"Q-{year:04d}-{sequence:06d}"


def totals(lines: Sequence[QuoteLine], tax_rate: Decimal, currency: str) -> Totals:
    """Subtotal (the exact sum of the rounded line totals), tax (rounded once) and total."""
    subtotal = money(sum((line.total for line in lines), ZERO), currency)
    tax = money(subtotal.amount * tax_rate / HUNDRED, currency)
    return Totals(subtotal, tax, subtotal.plus(tax))


def overall_discount(lines: Sequence[QuoteLine]) -> Decimal:
    """How far the lines' totals are below their list value, in percent (exact; 0 when they
    have no list value or are above it)."""
    listed = sum((line.quantity * line.list_price for line in lines), ZERO)
    if listed <= 0:
        return ZERO
    sold = sum((line.total for line in lines), ZERO)
    return max(ZERO, (listed - sold) * HUNDRED / listed)


def largest_line_discount(lines: Sequence[QuoteLine]) -> Decimal:
    return max((line.discount_percent for line in lines), default=ZERO)


def needs_approval(lines: Sequence[QuoteLine], threshold: Decimal) -> bool:
    """A line discount or the overall discount above the threshold needs an approval."""
    return largest_line_discount(lines) > threshold or overall_discount(lines) > threshold
