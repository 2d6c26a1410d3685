"""What a sales director sets up before the first deal: two pipelines with Chinese and English
stage names, gates and stall thresholds, a product catalogue, a CNY and a USD price book, and
the USD exchange rate. Every write is matched to what an earlier seed made (pipelines and
price books by name, products by code) or is an upsert, so a second seed changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crm_dev.seed.client import GatewayClient


@dataclass(frozen=True, slots=True)
class SalesCatalog:
    """The ids the opportunities need: pipelines by key, price books by currency."""

    pipelines: dict[str, str]
    price_books: dict[str, str]
    products: dict[str, str]  # code → id


def _stage(
    stage_id: str, names: tuple[str, str], kind: str, probability: int, **extra: Any
) -> dict[str, Any]:
    zh, en = names
    stage = {"id": stage_id, "nameZh": zh, "nameEn": en, "kind": kind, "probability": probability}
    return stage | extra


# key → (nameZh, nameEn, stages); a gate lists what a deal needs to enter the stage
PIPELINES: dict[str, tuple[str, str, list[dict[str, Any]]]] = {
    "new": ("新客户销售流程", "New business", [
        _stage("lead", ("线索", "Lead"), "OPEN", 10, stallDays=14),
        _stage("qualify", ("需求确认", "Qualification"), "OPEN", 25, stallDays=21,
               requiredFields=["nextStep"]),
        _stage("proposal", ("方案报价", "Proposal"), "OPEN", 50, stallDays=30,
               requiredFields=["amount", "expectedCloseDate"]),
        _stage("negotiation", ("商务谈判", "Negotiation"), "OPEN", 75, stallDays=21,
               requiredFields=["decisionMaker"]),
        _stage("won", ("赢单", "Won"), "WON", 100),
        _stage("lost", ("输单", "Lost"), "LOST", 0, requiredFields=["note"]),
    ]),
    "renewal": ("续约与增购", "Renewals and upsell", [
        _stage("due", ("续约提醒", "Renewal due"), "OPEN", 30, stallDays=30),
        _stage("quote", ("续约报价", "Renewal quote"), "OPEN", 60, stallDays=20,
               requiredFields=["lineItems", "expectedCloseDate"]),
        _stage("contract", ("合同审批", "Contract approval"), "OPEN", 90, stallDays=10,
               forecastCategory="COMMIT", requiredFields=["decisionMaker"]),
        _stage("renewed", ("续约成功", "Renewed"), "WON", 100),
        _stage("churned", ("未续约", "Churned"), "LOST", 0, requiredFields=["note"]),
    ]),
}  # fmt: skip

# code, nameZh, nameEn, unit, CNY list price, USD list price
PRODUCTS = (
    ("CRM-STD", "CRM 标准版（年度订阅）", "CRM Standard (annual)", "套/年", "12800.00", "1800.00"),
    ("CRM-PRO", "CRM 专业版（年度订阅）", "CRM Professional (annual)", "套/年", "29800.00",
     "4200.00"),
    ("CRM-SEAT", "增购用户许可", "Additional user seat", "个/年", "980.00", "140.00"),
    ("SVC-IMPL", "实施与培训服务", "Implementation and training", "人天", "3000.00", "450.00"),
    ("SVC-MIGR", "数据迁移服务", "Data migration", "次", "15000.00", "2100.00"),
    ("API-PACK", "接口扩展包", "API extension pack", "个", "5000.00", "700.00"),
)  # fmt: skip
PRICE_BOOKS = {"CNY": "2026 标准价目表（人民币）", "USD": "2026 International list (USD)"}
# USD → CNY from each date on (the older one stays for deals converted on earlier days)
USD_RATES = (("2026-01-01", "7.1800"), ("2026-07-01", "7.1200"))

PIPELINE_LIST = "{ pipelines { id nameZh } }"
CREATE_PIPELINE = """mutation($i: PipelineInput!, $k: String) {
  createPipeline(input: $i, idempotencyKey: $k) { pipeline { id } } }"""
PRODUCT_LIST = "{ products(first: 100) { edges { node { id code } } } }"
CREATE_PRODUCT = """mutation($i: CreateProductInput!) {
  createProduct(input: $i) { product { id } } }"""
BOOK_LIST = "{ priceBooks { id name currency } }"
CREATE_BOOK = """mutation($i: CreatePriceBookInput!) {
  createPriceBook(input: $i) { priceBook { id } } }"""
SAVE_ENTRY = """mutation($i: SavePriceBookEntryInput!) {
  savePriceBookEntry(input: $i) { priceBook { id } } }"""
SAVE_RATE = """mutation($i: SaveExchangeRateInput!) {
  saveExchangeRate(input: $i) { exchangeRate { rate } } }"""


async def seed_sales_catalog(gateway: GatewayClient) -> SalesCatalog:
    pipelines = await _pipelines(gateway)
    products = await _products(gateway)
    books = await _price_books(gateway, products)
    for day, rate in USD_RATES:
        await gateway.call(
            SAVE_RATE, {"i": {"currency": "USD", "rate": rate, "effectiveFrom": day}}
        )
    return SalesCatalog(pipelines, books, products)


async def _pipelines(gateway: GatewayClient) -> dict[str, str]:
    """Matched by Chinese name: a pipeline made by an earlier seed is kept as it is."""
    existing = {p["nameZh"]: p["id"] for p in (await gateway.call(PIPELINE_LIST))["pipelines"]}
    ids: dict[str, str] = {}
    for key, (zh, en, stages) in PIPELINES.items():
        if zh not in existing:
            variables = {"i": {"nameZh": zh, "nameEn": en, "stages": stages}}
            created = await gateway.call(CREATE_PIPELINE, variables | {"k": f"seed-pipeline-{key}"})
            existing[zh] = created["createPipeline"]["pipeline"]["id"]
        ids[key] = existing[zh]
    return ids


async def _products(gateway: GatewayClient) -> dict[str, str]:
    edges = (await gateway.call(PRODUCT_LIST))["products"]["edges"]
    ids = {e["node"]["code"]: e["node"]["id"] for e in edges}
    for code, zh, en, unit, _, _ in PRODUCTS:
        if code not in ids:
            product = {"code": code, "nameZh": zh, "nameEn": en, "unit": unit}
            product["idempotencyKey"] = f"seed-product-{code}"
            ids[code] = (await gateway.call(CREATE_PRODUCT, {"i": product}))["createProduct"][
                "product"
            ]["id"]
    return ids


async def _price_books(gateway: GatewayClient, products: dict[str, str]) -> dict[str, str]:
    """One book per currency, matched by name; its list prices are upserts."""
    existing = {b["name"]: b["id"] for b in (await gateway.call(BOOK_LIST))["priceBooks"]}
    books: dict[str, str] = {}
    for currency, name in PRICE_BOOKS.items():
        if name not in existing:
            book = {"name": name, "currency": currency}
            created = await gateway.call(CREATE_BOOK, {"i": book})
            existing[name] = created["createPriceBook"]["priceBook"]["id"]
        books[currency] = existing[name]
    for code, _, _, _, cny, usd in PRODUCTS:
        for currency, price in (("CNY", cny), ("USD", usd)):
            entry = {"priceBookId": books[currency], "productId": products[code]}
            await gateway.call(SAVE_ENTRY, {"i": entry | {"listPrice": price}})
    return books
