"""The product catalogue and price books. Pure data and rules, no I/O.

A product is what can be sold (code, Chinese and English names, unit); an inactive product
stays in the catalogue for the deals that already hold it but cannot be added to a deal. A
price book lists prices in one currency; a deal in that currency prices its line items from
it, and a product missing from the book cannot be sold from it — that is how an ADMIN decides
what is offered in which currency.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from types import MappingProxyType

from crm_kit.errors import FieldError
from crm_sales.money.model import Money, currency, parse_amount
from crm_sales.validation import SalesInputError, collect, raise_if_any, text

CODE = re.compile(r"[A-Z0-9][A-Z0-9._-]{0,39}")
NAME_MAX_CHARS = 200
UNIT_MAX_CHARS = 20
BOOK_NAME_MAX_CHARS = 100


class ProductError(SalesInputError):
    """A product or a price book the rules refuse."""


@dataclass(frozen=True, slots=True)
class Product:
    id: str
    code: str
    name_zh: str
    name_en: str
    unit: str
    active: bool
    version: int


@dataclass(frozen=True, slots=True)
class NewProduct:
    code: str
    name_zh: str
    name_en: str
    unit: str
    active: bool = True


def define_product(command: NewProduct, *, id: str, version: int = 1) -> Product:
    """A checked product: an upper-case code (letters, digits, `.`, `_`, `-`), a name in at
    least one language (the other falls back on it) and a unit such as 套, 年, seat."""
    errors: list[FieldError] = []
    code = command.code.strip().upper()
    if not CODE.fullmatch(code):
        errors.append(
            FieldError("code", "INVALID", "a product code is A-Z, 0-9, '.', '_' or '-', 1 to 40")
        )
    zh = text(errors, "nameZh", command.name_zh, limit=NAME_MAX_CHARS, required=False)
    en = text(errors, "nameEn", command.name_en, limit=NAME_MAX_CHARS, required=False)
    if not (command.name_zh.strip() or command.name_en.strip()):
        errors.append(FieldError("nameZh", "REQUIRED", "a product needs a Chinese or English name"))
    unit = text(errors, "unit", command.unit, limit=UNIT_MAX_CHARS, required=True)
    raise_if_any(errors, ProductError, "The product is invalid")
    return Product(id, code, zh or en or "", en or zh or "", unit or "", command.active, version)


def set_active(product: Product, active: bool) -> Product:
    return replace(product, active=active, version=product.version + 1)


@dataclass(frozen=True, slots=True)
class PriceBook:
    """List prices in one currency, by product id."""

    id: str
    name: str
    currency: str
    active: bool
    prices: Mapping[str, Decimal]
    version: int

    def list_price(self, product_id: str) -> Money | None:
        price = self.prices.get(product_id)
        return Money(price, self.currency) if price is not None else None


def define_price_book(name: str, code: str, *, id: str, active: bool = True) -> PriceBook:
    errors: list[FieldError] = []
    kept = text(errors, "name", name, limit=BOOK_NAME_MAX_CHARS, required=True)
    found = collect(errors, lambda: currency(code))
    raise_if_any(errors, ProductError, "The price book is invalid")
    assert found is not None
    return PriceBook(id, kept or "", found.code, active, MappingProxyType({}), 1)


def set_list_price(
    book: PriceBook, product: Product, price: object, *, field: str = "listPrice"
) -> PriceBook:
    """The book with the product's list price set (an amount in the book's currency). An
    inactive product may be priced ahead of its launch."""
    checked = parse_amount(price, book.currency, field=field)
    prices = {**book.prices, product.id: checked.amount}
    return replace(book, prices=MappingProxyType(prices), version=book.version + 1)


def remove_list_price(book: PriceBook, product_id: str) -> PriceBook:
    prices = {key: value for key, value in book.prices.items() if key != product_id}
    return replace(book, prices=MappingProxyType(prices), version=book.version + 1)


def set_book_active(book: PriceBook, active: bool) -> PriceBook:
    return replace(book, active=active, version=book.version + 1)
