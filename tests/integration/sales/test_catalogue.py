"""Exchange rates, products and price books (ADMIN writes, opportunity readers read)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.sales.harness import Sales
from tests.support import auth_headers, error_code, unique

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

SALES_REP = auth_headers(sub="li.lei", roles=("SALES",), team="east")
SAVE_RATE = """
mutation($input: SaveExchangeRateInput!) {
  saveExchangeRate(input: $input) { exchangeRate { currency base rate effectiveFrom } }
}"""
RATES = """
query($c: String, $first: Int, $after: String) {
  exchangeRates(currency: $c, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { currency rate effectiveFrom } }
  }
}"""
CREATE_PRODUCT = """
mutation($input: CreateProductInput!) {
  createProduct(input: $input) { product { id code name unit active version } }
}"""
UPDATE_PRODUCT = """
mutation($id: ID!, $input: UpdateProductInput!, $v: Int) {
  updateProduct(id: $id, input: $input, expectedVersion: $v) { product { active version nameEn } }
}"""
CREATE_BOOK = """
mutation($input: CreatePriceBookInput!) { createPriceBook(input: $input) { priceBook { id } } }"""
SAVE_ENTRY = """
mutation($input: SavePriceBookEntryInput!) {
  savePriceBookEntry(input: $input) {
    priceBook { version entries { productId listPrice { amount currency } product { code } } }
  }
}"""


def field_codes(body: dict[str, Any]) -> dict[str, str]:
    errors = body["errors"][0]["extensions"]["fieldErrors"]
    return {e["field"]: e["code"] for e in errors}


async def test_an_admin_saves_rates_by_date_and_a_day_is_replaced(service: Sales) -> None:
    for day, rate in (("2026-01-01", "7.1"), ("2026-03-01", "7.2315"), ("2026-01-01", "7.05")):
        await service.ok(
            SAVE_RATE, {"input": {"currency": "usd", "rate": rate, "effectiveFrom": day}}
        )
    page = (await service.ok(RATES, {"c": "USD", "first": 1}, headers=SALES_REP))["exchangeRates"]
    assert page["totalCount"] == 2
    assert page["edges"][0]["node"] == {
        "currency": "USD",
        "rate": "7.05",
        "effectiveFrom": "2026-01-01",
    }
    after = page["pageInfo"]["endCursor"]
    rest = (await service.ok(RATES, {"c": "USD", "after": after}))["exchangeRates"]
    assert [e["node"]["rate"] for e in rest["edges"]] == ["7.2315"]
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_a_bad_rate_is_refused_naming_each_field(service: Sales) -> None:
    body = await service.gql(
        SAVE_RATE, {"input": {"currency": "CNY", "rate": "-1", "effectiveFrom": "2026-02-30"}}
    )
    assert field_codes(body) == {
        "currency": "SAME_AS_BASE",
        "rate": "OUT_OF_RANGE",
        "effectiveFrom": "INVALID_DATE",
    }
    forbidden = await service.gql(
        SAVE_RATE,
        {"input": {"currency": "EUR", "rate": "7.9", "effectiveFrom": "2026-01-01"}},
        headers=SALES_REP,
    )
    assert error_code(forbidden) == "FORBIDDEN"


async def test_products_have_unique_codes_and_versions(service: Sales) -> None:
    code = unique("crm").upper()[:30]
    first = await service.ok(
        CREATE_PRODUCT, {"input": {"code": code, "nameZh": "客户管理专业版", "unit": "套"}}
    )
    product = first["createProduct"]["product"]
    assert (product["code"], product["name"], product["version"]) == (code, "客户管理专业版", 1)
    taken = await service.gql(
        CREATE_PRODUCT, {"input": {"code": code.lower(), "nameEn": "Other", "unit": "seat"}}
    )
    assert error_code(taken) == "CONFLICT"
    assert taken["errors"][0]["extensions"]["conflictingId"] == product["id"]
    changed = await service.ok(
        UPDATE_PRODUCT,
        {"id": product["id"], "input": {"active": False, "nameEn": "CRM Pro"}, "v": 1},
    )
    assert changed["updateProduct"]["product"] == {
        "active": False,
        "version": 2,
        "nameEn": "CRM Pro",
    }
    stale = await service.gql(UPDATE_PRODUCT, {"id": product["id"], "input": {}, "v": 1})
    assert error_code(stale) == "CONFLICT"
    bad = await service.gql(CREATE_PRODUCT, {"input": {"code": "a b", "unit": ""}})
    assert field_codes(bad) == {"code": "INVALID", "nameZh": "REQUIRED", "unit": "REQUIRED"}


async def test_a_price_book_lists_prices_in_its_currency(service: Sales) -> None:
    code = unique("seat").upper()[:30]
    created = await service.ok(
        CREATE_PRODUCT, {"input": {"code": code, "nameEn": "Seat", "unit": "seat"}}
    )
    product_id = created["createProduct"]["product"]["id"]
    book = await service.ok(CREATE_BOOK, {"input": {"name": "Standard JPY", "currency": "JPY"}})
    book_id = book["createPriceBook"]["priceBook"]["id"]
    entry = {"priceBookId": book_id, "productId": product_id, "listPrice": "1200"}
    saved = (await service.ok(SAVE_ENTRY, {"input": entry}))["savePriceBookEntry"]["priceBook"]
    assert saved["entries"] == [
        {
            "productId": product_id,
            "listPrice": {"amount": "1200", "currency": "JPY"},
            "product": {"code": code},
        }
    ]
    decimals = await service.gql(SAVE_ENTRY, {"input": entry | {"listPrice": "1200.5"}})
    assert field_codes(decimals) == {"listPrice": "PRECISION"}
    unknown = await service.gql(SAVE_ENTRY, {"input": entry | {"productId": "nope"}})
    assert field_codes(unknown) == {"productId": "UNKNOWN_PRODUCT"}
    books = await service.ok('{ priceBooks(currency: "jpy") { id currency } }', headers=SALES_REP)
    assert {"id": book_id, "currency": "JPY"} in books["priceBooks"]
    currencies = await service.ok("{ currencies { code minorUnits base } }")
    assert {"code": "CNY", "minorUnits": 2, "base": True} in currencies["currencies"]
