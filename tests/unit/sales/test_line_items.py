"""Products, price books and line items: what may be sold from a book, pricing and totals in
Decimal, each refusal naming the line's field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crm_sales.line_items.model import (
    LineItemError,
    LineItemInput,
    line_total,
    price_lines,
    total,
)
from crm_sales.money.model import Money, MoneyError
from crm_sales.products.model import (
    NewProduct,
    PriceBook,
    ProductError,
    define_price_book,
    define_product,
    remove_list_price,
    set_active,
    set_book_active,
    set_list_price,
)
from tests.unit.sales.samples import book, product


def test_a_product_has_a_code_a_name_and_a_unit() -> None:
    made = define_product(NewProduct(" crm-pro ", "", "CRM Pro", "seat"), id="p1")
    assert (made.code, made.name_zh, made.name_en, made.unit, made.active) == (
        "CRM-PRO",
        "CRM Pro",
        "CRM Pro",
        "seat",
        True,
    )
    with pytest.raises(ProductError) as refused:
        define_product(NewProduct("bad code!", " ", "", ""), id="p2")
    assert refused.value.codes == {"code": "INVALID", "nameZh": "REQUIRED", "unit": "REQUIRED"}
    retired = set_active(made, False)
    assert (retired.active, retired.version) == (False, 2)


def test_a_price_book_has_one_currency_and_checked_list_prices() -> None:
    item = product()
    priced = set_list_price(define_price_book("美元价", "usd", id="pb"), item, "99.90")
    assert priced.currency == "USD"
    assert priced.list_price(item.id) == Money(Decimal("99.90"), "USD")
    assert priced.list_price("other") is None
    assert remove_list_price(priced, item.id).list_price(item.id) is None
    for raw, code in (("-1", "NEGATIVE"), ("1.001", "PRECISION"), (9.9, "FLOAT_NOT_ALLOWED")):
        with pytest.raises(MoneyError) as refused:
            set_list_price(priced, item, raw)
        assert refused.value.codes == {"listPrice": code}
    with pytest.raises(ProductError) as bad_book:
        define_price_book(" ", "XXX", id="pb")
    assert bad_book.value.codes == {"name": "REQUIRED", "currency": "INVALID_CURRENCY"}


def test_lines_take_the_list_price_unless_overridden_and_total_in_decimal() -> None:
    pro, addon = product(), product("CRM-ADDON", id="prod-2")
    prices = book((pro, "19999.00"), (addon, "0.10"))
    lines = price_lines(
        [
            LineItemInput(pro.id, "3", discount_percent="12.5"),
            LineItemInput(addon.id, "3", unit_price="0.10"),
            LineItemInput(addon.id, Decimal("0.5")),
        ],
        products={pro.id: pro, addon.id: addon},
        book=prices,
        currency="CNY",
    )
    first, second, third = lines
    assert (first.unit_price, first.price_overridden, first.total) == (
        Decimal("19999.00"),
        False,
        Decimal("52497.38"),  # 59997 × 0.875 = 52497.375 → half-even
    )
    assert (first.product_code, first.name_zh, first.unit) == ("CRM-PRO", "客户管理专业版", "套")
    assert second.price_overridden and second.total == Decimal("0.30")  # never 0.30000000000000004
    assert third.total == Decimal("0.05")
    assert total(lines, "CNY") == Money(Decimal("52497.73"), "CNY")


def test_line_total_rounds_half_even_once() -> None:
    assert line_total(Decimal(1), Decimal("0.05"), Decimal(50), "CNY") == Decimal("0.02")
    assert line_total(Decimal(1), Decimal("0.15"), Decimal(50), "CNY") == Decimal("0.08")
    assert line_total(Decimal(2), Decimal("10"), Decimal(100), "CNY") == Decimal("0.00")


def _refused(*items: LineItemInput, prices: PriceBook | None = None) -> dict[str, str]:
    pro = product()
    retired = set_active(product("OLD", id="prod-old"), False)
    unpriced = product("NEW", id="prod-new")
    with pytest.raises(LineItemError) as refused:
        price_lines(
            list(items),
            products={p.id: p for p in (pro, retired, unpriced)},
            book=prices or book((pro, "100.00"), (retired, "50.00")),
            currency="CNY",
        )
    return refused.value.codes


def test_a_discount_over_100_percent_is_refused_naming_the_line() -> None:
    assert _refused(LineItemInput("prod-1", "1", discount_percent="100.01")) == {
        "lineItems[0].discountPercent": "OUT_OF_RANGE"
    }
    assert _refused(LineItemInput("prod-1", "1", discount_percent="-5")) == {
        "lineItems[0].discountPercent": "OUT_OF_RANGE"
    }
    assert _refused(LineItemInput("prod-1", "1", discount_percent="10.125")) == {
        "lineItems[0].discountPercent": "PRECISION"
    }


def test_an_inactive_unknown_or_unpriced_product_is_refused_naming_the_line() -> None:
    assert _refused(
        LineItemInput("prod-1", "1"),
        LineItemInput("prod-old", "1"),
        LineItemInput("prod-new", "1"),
        LineItemInput("prod-gone", "1"),
    ) == {
        "lineItems[1].productId": "PRODUCT_INACTIVE",
        "lineItems[2].productId": "NOT_IN_PRICE_BOOK",
        "lineItems[3].productId": "UNKNOWN_PRODUCT",
    }


def test_quantities_and_overridden_prices_are_exact_positive_decimals() -> None:
    assert _refused(
        LineItemInput("prod-1", "0"),
        LineItemInput("prod-1", 2.5),
        LineItemInput("prod-1", "1.00001"),
        LineItemInput("prod-1", "1", unit_price="-3"),
        LineItemInput("prod-1", "1", unit_price="abc"),
    ) == {
        "lineItems[0].quantity": "OUT_OF_RANGE",
        "lineItems[1].quantity": "FLOAT_NOT_ALLOWED",
        "lineItems[2].quantity": "PRECISION",
        "lineItems[3].unitPrice": "NEGATIVE",
        "lineItems[4].unitPrice": "INVALID",
    }


def test_the_book_must_be_active_and_in_the_deal_currency() -> None:
    usd = define_price_book("USD", "USD", id="pb-usd")
    assert _refused(LineItemInput("prod-1", "1"), prices=usd) == {
        "priceBookId": "CURRENCY_MISMATCH"
    }
    with pytest.raises(LineItemError) as refused:
        price_lines([], products={}, book=set_book_active(usd, False), currency="USD")
    assert refused.value.codes == {"priceBookId": "PRICE_BOOK_INACTIVE"}


def test_too_many_lines_or_too_large_a_total_is_refused() -> None:
    assert _refused(*[LineItemInput("prod-1", "1")] * 101) == {"lineItems": "TOO_MANY"}
    assert _refused(LineItemInput("prod-1", "999999999", unit_price="99999999")) == {
        "lineItems": "OUT_OF_RANGE"
    }
