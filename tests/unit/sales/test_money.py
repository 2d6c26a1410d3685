"""Money: parsing that refuses what is not an exact amount, quantising per currency, rates by
effective date and conversion to the base currency (half-even)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from crm_kit.errors import BadUserInput
from crm_sales.money.model import (
    BASE_CURRENCY,
    CURRENCIES,
    Money,
    MoneyError,
    RateTable,
    currency,
    exchange_rate,
    from_minor,
    money,
    parse_amount,
    parse_decimal,
    quantize,
)


def test_the_accepted_currencies_and_their_minor_units() -> None:
    assert BASE_CURRENCY == "CNY"
    assert {"CNY", "USD", "EUR", "HKD", "JPY", "GBP"} <= set(CURRENCIES)
    assert CURRENCIES["CNY"].minor_units == 2
    assert CURRENCIES["JPY"].minor_units == 0
    assert CURRENCIES["KWD"].minor_units == 3
    assert all(c.name_zh and c.name_en for c in CURRENCIES.values())
    assert currency(" usd ").code == "USD"


@pytest.mark.parametrize(
    ("raw", "code", "expected"),
    [
        ("1234.5", "CNY", "1234.50"),
        ("0", "USD", "0.00"),
        ("-0", "USD", "0.00"),
        ("100.00", "JPY", "100"),  # trailing zeros are not decimals
        (Decimal("12.345"), "KWD", "12.345"),
        (42, "EUR", "42.00"),
        ("  7.1 ", "HKD", "7.10"),
    ],
)
def test_parse_amount_quantises_to_the_currency(raw: object, code: str, expected: str) -> None:
    parsed = parse_amount(raw, code)
    assert parsed == Money(Decimal(expected), code)
    assert parsed.text == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (12.5, "FLOAT_NOT_ALLOWED"),
        (0.1, "FLOAT_NOT_ALLOWED"),
        ("-1", "NEGATIVE"),
        (Decimal("-0.01"), "NEGATIVE"),
        ("NaN", "NOT_FINITE"),
        ("-Infinity", "NOT_FINITE"),
        ("inf", "NOT_FINITE"),
        (Decimal("NaN"), "NOT_FINITE"),
        (Decimal("Infinity"), "NOT_FINITE"),
        ("12.345", "PRECISION"),
        ("abc", "INVALID"),
        ("", "INVALID"),
        ("1,000.00", "INVALID"),
        ("1_000", "INVALID"),
        ("1e3", "INVALID"),
        (".5", "INVALID"),
        ("5.", "INVALID"),
        ("١٢", "INVALID"),  # Arabic-Indic digits, which Decimal itself would read
        ("1" * 41, "INVALID"),
        (True, "INVALID"),
        (None, "INVALID"),
        ("1000000000000000", "OUT_OF_RANGE"),
    ],
)
def test_parse_amount_refuses_each_bad_amount_naming_the_field(raw: object, code: str) -> None:
    with pytest.raises(MoneyError) as refused:
        parse_amount(raw, "CNY", field="lineItems[0].unitPrice")
    assert refused.value.codes == {"lineItems[0].unitPrice": code}
    assert isinstance(refused.value, BadUserInput)  # answered as BAD_USER_INPUT


def test_too_many_decimals_is_per_currency() -> None:
    assert parse_amount("12.34", "USD").amount == Decimal("12.34")
    for code, raw in (("JPY", "1.5"), ("USD", "1.005"), ("KWD", "1.0005")):
        with pytest.raises(MoneyError) as refused:
            parse_amount(raw, code)
        assert refused.value.codes == {"amount": "PRECISION"}


def test_unknown_currency_is_named_with_a_bad_amount_in_one_answer() -> None:
    with pytest.raises(MoneyError) as refused:
        parse_amount("-3", "XYZ")
    assert refused.value.codes == {"currency": "INVALID_CURRENCY", "amount": "NEGATIVE"}
    for bad in ("", "RMB", "US", "BTC", "usd1"):
        with pytest.raises(MoneyError) as unknown:
            currency(bad, field="priceBook.currency")
        assert unknown.value.codes == {"priceBook.currency": "INVALID_CURRENCY"}


def test_parse_decimal_leaves_the_sign_to_the_caller_and_bounds_places() -> None:
    assert parse_decimal("-2.50", field="x", max_places=2) == Decimal("-2.50")
    with pytest.raises(MoneyError) as refused:
        parse_decimal("0.125", field="x", max_places=2)
    assert refused.value.codes == {"x": "PRECISION"}


def test_rounding_is_half_even_and_never_gives_negative_zero() -> None:
    assert quantize(Decimal("0.125"), "CNY") == Decimal("0.12")
    assert quantize(Decimal("0.135"), "CNY") == Decimal("0.14")
    assert quantize(Decimal("2.5"), "JPY") == Decimal("2")
    assert quantize(Decimal("3.5"), "JPY") == Decimal("4")
    assert str(quantize(Decimal("-0.001"), "CNY")) == "0.00"


def test_money_arithmetic_stays_in_one_currency_and_in_minor_units() -> None:
    a, b = parse_amount("10.10", "CNY"), parse_amount("0.20", "CNY")
    assert a.plus(b) == Money(Decimal("10.30"), "CNY")
    assert a.times(Decimal("0.5")).text == "5.05"
    assert a.minor == 1010
    assert from_minor(1010, "CNY") == a
    assert from_minor(1500, "JPY").text == "1500"
    assert str(money(Decimal("1"), "USD")) == "1.00 USD"
    with pytest.raises(ValueError, match="USD"):
        a.plus(parse_amount("1", "USD"))


def _table() -> RateTable:
    return RateTable(
        [
            exchange_rate("USD", "7.1000", date(2026, 1, 1)),
            exchange_rate("USD", "7.2500", "2026-03-01"),
            exchange_rate("JPY", "0.048", date(2026, 1, 1)),
        ]
    )


def test_the_rate_on_a_day_is_the_latest_in_effect_by_then() -> None:
    table = _table()
    assert table.rate_on("USD", date(2025, 12, 31)) is None
    first = table.rate_on("USD", date(2026, 1, 1))
    assert first is not None and first.rate == Decimal("7.1000")
    before_change = table.rate_on("USD", date(2026, 2, 28))
    assert before_change is not None and before_change.effective_from == date(2026, 1, 1)
    after_change = table.rate_on("USD", date(2026, 3, 1))
    assert after_change is not None and after_change.rate == Decimal("7.2500")


def test_conversion_returns_the_amount_and_the_rate_used() -> None:
    table = _table()
    converted = table.convert(parse_amount("100.01", "USD"), date(2026, 2, 1))
    assert converted.amount == Money(Decimal("710.07"), "CNY")  # 710.071 rounded
    assert converted.rate == Decimal("7.1000")
    assert converted.rate_effective_from == date(2026, 1, 1)
    later = table.convert(parse_amount("100.01", "USD"), date(2026, 3, 5))
    assert later.amount.text == "725.07"  # 725.0725 → half-even on the cent
    yen = table.convert(parse_amount("1250", "JPY"), date(2026, 3, 5))
    assert yen.amount.text == "60.00"
    same = table.convert(parse_amount("9.99", "CNY"), date(2020, 1, 1))
    assert (same.amount.text, same.rate, same.rate_effective_from) == ("9.99", Decimal(1), None)


def test_conversion_without_a_rate_names_the_currency() -> None:
    table = _table()
    with pytest.raises(MoneyError) as refused:
        table.convert(parse_amount("1", "EUR"), date(2026, 3, 1))
    assert refused.value.codes == {"currency": "NO_EXCHANGE_RATE"}
    assert table.try_convert(parse_amount("1", "USD"), date(2025, 1, 1)) is None
    assert table.try_convert(parse_amount("1", "CNY"), date(2025, 1, 1)) is not None


def test_exchange_rates_are_checked() -> None:
    with pytest.raises(MoneyError) as refused:
        exchange_rate("CNY", "0", "2026-02-30")
    assert refused.value.codes == {
        "currency": "SAME_AS_BASE",
        "rate": "OUT_OF_RANGE",
        "effectiveFrom": "INVALID_DATE",
    }
    for raw, code in ((7.1, "FLOAT_NOT_ALLOWED"), ("-7", "OUT_OF_RANGE"), ("x", "INVALID")):
        with pytest.raises(MoneyError) as bad:
            exchange_rate("USD", raw, date(2026, 1, 1))
        assert bad.value.codes == {"rate": code}
    with pytest.raises(MoneyError) as unknown:
        exchange_rate("ABC", "1", date(2026, 1, 1))
    assert unknown.value.codes == {"currency": "INVALID_CURRENCY"}


def test_a_table_refuses_two_rates_for_one_day_and_a_foreign_base() -> None:
    rate = exchange_rate("USD", "7", date(2026, 1, 1))
    with pytest.raises(ValueError, match="two USD rates"):
        RateTable([rate, rate])
    with pytest.raises(ValueError, match="USD rate in a"):
        RateTable([exchange_rate("EUR", "1.1", date(2026, 1, 1), base="USD")])
