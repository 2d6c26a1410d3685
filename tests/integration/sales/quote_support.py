"""What the quote tests share: the queries they send, a priced catalogue, a deal with line
items owned by a sales rep, and a quote document download."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from crm_kit.events import CloudEvent
from tests.integration.sales.harness import ADMIN, Sales
from tests.integration.sales.opportunity_support import SALES_REP, open_deal
from tests.support import eventually, unique

CUSTOMER_NAME = "杭州云帆科技有限公司"
QUOTE = """
id number revision status version opportunityId customerId customerName currency taxRate
validUntil note supersedesId supersededById opportunityWon allowedNextStatuses
discountPercent largestLineDiscountPercent
subtotal { amount currency } tax { amount } total { amount currency }
lines { productCode nameZh nameEn quantity unitPrice { amount } discountPercent total { amount } }
approval { status thresholdPercent requestedById approvedById }
"""
CREATE = f"""
mutation($input: CreateQuoteInput!) {{ createQuote(input: $input) {{ quote {{ {QUOTE} }} }} }}"""
UPDATE = f"""
mutation($id: ID!, $input: UpdateQuoteDraftInput!, $v: Int) {{
  updateQuoteDraft(id: $id, input: $input, expectedVersion: $v) {{ quote {{ {QUOTE} }} }}
}}"""
REVISE = f"mutation($id: ID!) {{ reviseQuote(id: $id) {{ quote {{ {QUOTE} }} }} }}"
REQUEST = f"mutation($id: ID!) {{ requestQuoteApproval(id: $id) {{ quote {{ {QUOTE} }} }} }}"
APPROVE = f"""
mutation($id: ID!, $note: String) {{ approveQuote(id: $id, note: $note) {{ quote {{ {QUOTE} }} }} }}
"""
SEND = f"mutation($id: ID!) {{ sendQuote(id: $id) {{ quote {{ {QUOTE} }} }} }}"
ACCEPT = f"""
mutation($id: ID!, $won: Boolean, $reason: String) {{
  acceptQuote(id: $id, markOpportunityWon: $won, wonReason: $reason) {{ quote {{ {QUOTE} }} }}
}}"""
REJECT = f"""
mutation($id: ID!, $reason: String) {{
  rejectQuote(id: $id, reason: $reason) {{ quote {{ {QUOTE} }} }}
}}"""
READ = f"query($id: ID!) {{ quote(id: $id) {{ {QUOTE} }} }}"
LINKS = """
query($id: ID!) { quote(id: $id) {
  pdfLink { fileName contentType url expiresAt } xlsxLink { fileName contentType url expiresAt }
} }"""
LIST = """
query($filter: QuoteFilterInput, $first: Int, $after: String) {
  quotes(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id number revision status } }
  }
}"""
DEAL_QUOTES = """
query($id: ID!) { opportunity(id: $id) { status
  quotes(first: 10) { totalCount edges { node { id number revision } } }
} }"""
SETTINGS = """
mutation($input: UpdateQuoteSettingsInput!, $v: Int) {
  updateQuoteSettings(input: $input, expectedVersion: $v) {
    settings { discountThreshold defaultTaxRate validityDays companyName version }
  }
}"""
CREATE_PRODUCT = """
mutation($i: CreateProductInput!) { createProduct(input: $i) { product { id code } } }"""
CREATE_BOOK = """
mutation($i: CreatePriceBookInput!) { createPriceBook(input: $i) { priceBook { id } } }"""
SAVE_ENTRY = """
mutation($i: SavePriceBookEntryInput!) { savePriceBookEntry(input: $i) { priceBook { id } } }"""


@dataclass(frozen=True)
class Catalogue:
    book_id: str
    suite_id: str  # 企业版客户管理系统, 12 800.00
    service_id: str  # 年度运维服务, 3 000.00


async def catalogue(service: Sales) -> Catalogue:
    """A CNY price book with two products."""
    book = await service.ok(CREATE_BOOK, {"i": {"name": unique("报价价目表"), "currency": "CNY"}})
    book_id = book["createPriceBook"]["priceBook"]["id"]
    ids = []
    for zh, en, unit, price in (
        ("企业版客户管理系统", "CRM Enterprise Suite", "套", "12800.00"),
        ("年度运维服务", "Annual support", "年", "3000.00"),
    ):
        code = unique("Q").upper()
        made = await service.ok(
            CREATE_PRODUCT, {"i": {"code": code, "nameZh": zh, "nameEn": en, "unit": unit}}
        )
        product_id = made["createProduct"]["product"]["id"]
        entry = {"priceBookId": book_id, "productId": product_id, "listPrice": price}
        await service.ok(SAVE_ENTRY, {"i": entry})
        ids.append(product_id)
    return Catalogue(book_id, ids[0], ids[1])


async def priced_deal(
    service: Sales,
    pipeline: str,
    goods: Catalogue,
    *,
    discount: str = "5",
    **fields: Any,
) -> dict[str, Any]:
    """An open deal of li.lei (SALES, east) with two lines: 2 suites at `discount` % and one
    year of support."""
    lines = [
        {"productId": goods.suite_id, "quantity": "2", "discountPercent": discount},
        {"productId": goods.service_id, "quantity": "1"},
    ]
    customer = await service.new_customer(owner_id="li.lei", team="east")
    return await open_deal(
        service,
        pipeline,
        customer,
        SALES_REP,
        lineItems=lines,
        priceBookId=goods.book_id,
        **fields,
    )


async def create_quote(
    service: Sales, deal_id: str, headers: dict[str, str] | None = None, **input: Any
) -> dict[str, Any]:
    body = {"opportunityId": deal_id, "customerName": CUSTOMER_NAME} | input
    data = await service.ok(CREATE, {"input": body}, headers=headers or SALES_REP)
    quote: dict[str, Any] = data["createQuote"]["quote"]
    return quote


async def write(
    service: Sales, query: str, variables: dict[str, Any], headers: dict[str, str] = SALES_REP
) -> dict[str, Any]:
    """A quote mutation that must succeed: the quote it left."""
    data = await service.ok(query, variables, headers=headers)
    quote: dict[str, Any] = next(iter(data.values()))["quote"]
    return quote


async def download(service: Sales, url: str, **headers: str) -> httpx.Response:
    """GET a `/files/sales/<token>` link from the service itself (the gateway forwards the
    token to `/files/<token>`)."""
    token = url.removeprefix("/files/sales/")
    return await service.http.get(f"{service.base}/files/{token}", headers=headers)


__all__ = ["ADMIN", "SALES_REP"]


async def rename(service: Sales, customer_id: str, version: int, name: str) -> None:
    """The customer's snapshot at `version`, named `name` (`customer.updated.v1`), handled."""
    snapshot = {
        "id": customer_id,
        "displayName": name,
        "stage": "LEAD",
        "ownerId": "li.lei",
        "team": "east",
        "version": version,
    }
    data = {"customer": snapshot}
    event = CloudEvent("customer.updated.v1", "crm/customer", customer_id, data)
    await service.bus.publish(event)
    key = f"{service.settings.service_name}:{event.id}"
    await eventually(lambda: service.db["inbox"].find_one({"_id": key}), interval=0.02)


async def unnamed_quote(service: Sales, deal_id: str) -> dict[str, Any]:
    """createQuote with no `customerName`: the raw answer."""
    return await service.gql(CREATE, {"input": {"opportunityId": deal_id}}, headers=SALES_REP)


async def sent_quote(service: Sales, pipeline: str, goods: Catalogue, **deal: Any) -> Any:
    opened = await priced_deal(service, pipeline, goods, **deal)
    quote = await create_quote(service, opened["id"])
    return opened, await write(service, SEND, {"id": quote["id"]})
