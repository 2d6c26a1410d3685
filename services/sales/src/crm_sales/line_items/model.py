"""Line items of an opportunity: product, quantity, unit price and discount, priced from a
price book. Pure data and rules, no I/O.

Arithmetic is `Decimal` from input to total. A line's total is quantity × unit price ×
(1 − discount / 100), rounded half-even to the currency's minor unit once per line, as an
invoice does; the opportunity's total is the sum of its lines, so the lines a customer sees add
up exactly to the total they are quoted.

The unit price is the book's list price unless the seller overrides it; either way the list
price is kept beside it, so a report can show the discount given by price as well as by
percent. The product's code, names and unit are copied onto the line: renaming a product later
does not change a deal already quoted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from crm_kit.errors import FieldError
from crm_sales.money.model import (
    MAX_AMOUNT,
    Money,
    money,
    parse_amount,
    parse_decimal,
    quantize,
)
from crm_sales.products.model import PriceBook, Product
from crm_sales.validation import SalesInputError, collect, raise_if_any

MAX_LINE_ITEMS = 100
QUANTITY_MAX_PLACES = 4
MAX_QUANTITY = Decimal("1e9")
DISCOUNT_MAX_PLACES = 2
HUNDRED = Decimal(100)
FIELD = "lineItems"


class LineItemError(SalesInputError):
    """A line item the pricing rules refuse; the field names the line (`lineItems[2].…`)."""


@dataclass(frozen=True, slots=True)
class LineItemInput:
    """A line as a client or an import row gives it; numbers are decimal strings (or
    `Decimal`s). `unit_price` None means the list price; `discount_percent` None means 0."""

    product_id: str
    quantity: object
    unit_price: object = None
    discount_percent: object = None


@dataclass(frozen=True, slots=True)
class LineItem:
    product_id: str
    product_code: str
    name_zh: str
    name_en: str
    unit: str
    currency: str
    quantity: Decimal
    list_price: Decimal
    unit_price: Decimal
    price_overridden: bool
    discount_percent: Decimal
    total: Decimal


def line_total(quantity: Decimal, unit_price: Decimal, discount: Decimal, code: str) -> Decimal:
    """quantity × unit price less the discount, rounded half-even once, in `code`."""
    return quantize(quantity * unit_price * (HUNDRED - discount) / HUNDRED, code)


def total(items: Sequence[LineItem], code: str) -> Money:
    """The sum of the lines' totals (each already rounded, so the sum is exact)."""
    return money(sum((item.total for item in items), Decimal(0)), code)


def price_lines(
    items: Sequence[LineItemInput],
    *,
    products: Mapping[str, Product],
    book: PriceBook,
    currency: str,
) -> tuple[LineItem, ...]:
    """Every line priced from `book`, or every problem of every line at once.

    `products` holds the catalogue entries the service found for the lines' product ids; an
    id missing from it is an unknown product. The book must be active and in the deal's
    currency."""
    errors: list[FieldError] = []
    if len(items) > MAX_LINE_ITEMS:
        errors.append(FieldError(FIELD, "TOO_MANY", f"at most {MAX_LINE_ITEMS} line items"))
    _check_book(errors, book, currency)
    raise_if_any(errors, LineItemError, "The line items are invalid")
    priced = [
        _price_line(errors, f"{FIELD}[{i}]", item, products, book) for i, item in enumerate(items)
    ]
    raise_if_any(errors, LineItemError, "The line items are invalid")
    lines = tuple(line for line in priced if line is not None)
    if total(lines, currency).amount >= MAX_AMOUNT:
        raise LineItemError.single(FIELD, "OUT_OF_RANGE", f"the total must be below {MAX_AMOUNT:f}")
    return lines


def _check_book(errors: list[FieldError], book: PriceBook, currency: str) -> None:
    if not book.active:
        errors.append(FieldError("priceBookId", "PRICE_BOOK_INACTIVE", f"{book.name} is inactive"))
    if book.currency != currency:
        errors.append(
            FieldError(
                "priceBookId",
                "CURRENCY_MISMATCH",
                f"{book.name} lists {book.currency} prices; the opportunity is in {currency}",
            )
        )


def _price_line(
    errors: list[FieldError],
    path: str,
    item: LineItemInput,
    products: Mapping[str, Product],
    book: PriceBook,
) -> LineItem | None:
    product = _product(errors, path, item.product_id, products, book)
    quantity = collect(errors, lambda: _quantity(item.quantity, f"{path}.quantity"))
    discount = collect(errors, lambda: _discount(item.discount_percent, f"{path}.discountPercent"))
    override = None
    if item.unit_price is not None:
        field = f"{path}.unitPrice"
        override = collect(
            errors, lambda: parse_amount(item.unit_price, book.currency, field=field)
        )
    if product is None or quantity is None or discount is None:
        return None
    if item.unit_price is not None and override is None:
        return None
    listed = book.prices[product.id]
    unit = override.amount if override is not None else listed
    return LineItem(
        product_id=product.id,
        product_code=product.code,
        name_zh=product.name_zh,
        name_en=product.name_en,
        unit=product.unit,
        currency=book.currency,
        quantity=quantity,
        list_price=listed,
        unit_price=unit,
        price_overridden=override is not None,
        discount_percent=discount,
        total=line_total(quantity, unit, discount, book.currency),
    )


def _product(
    errors: list[FieldError],
    path: str,
    product_id: str,
    products: Mapping[str, Product],
    book: PriceBook,
) -> Product | None:
    """The product of a line, if it may be sold from the book (else an error on productId)."""
    field = f"{path}.productId"
    product = products.get(product_id)
    if product is None:
        errors.append(FieldError(field, "UNKNOWN_PRODUCT", f"no product {product_id}"))
    elif not product.active:
        errors.append(FieldError(field, "PRODUCT_INACTIVE", f"{product.code} is no longer sold"))
    elif product.id not in book.prices:
        errors.append(
            FieldError(field, "NOT_IN_PRICE_BOOK", f"{product.code} has no price in {book.name}")
        )
    else:
        return product
    return None


def _quantity(raw: object, field: str) -> Decimal:
    value = parse_decimal(raw, field=field, max_places=QUANTITY_MAX_PLACES)
    if not Decimal(0) < value < MAX_QUANTITY:
        raise LineItemError.single(
            field, "OUT_OF_RANGE", f"{field} must be above 0 and below {MAX_QUANTITY:f}"
        )
    return value


def _discount(raw: object, field: str) -> Decimal:
    """A percentage from 0 to 100 inclusive (100: given away), two decimals at most."""
    if raw is None:
        return Decimal(0)
    value = parse_decimal(raw, field=field, max_places=DISCOUNT_MAX_PLACES)
    if not Decimal(0) <= value <= HUNDRED:
        raise LineItemError.single(field, "OUT_OF_RANGE", f"{field} must be from 0 to 100")
    return value
