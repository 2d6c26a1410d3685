"""The demo customers: individuals and enterprises from the benchmark's generator with custom
field values, a quarter left without an owner so the assignment rules route them, one record
that duplicates another (for the review queue) and a small CSV import with one bad row (for
the import history and its error report)."""

from __future__ import annotations

import random
from typing import Any

from bench.customer.generator import customer, graphql_input
from crm_dev.seed.catalog import SALES
from crm_dev.seed.client import GatewayClient

CREATE = """mutation($input: CreateCustomerInput!) {
  createCustomer(input: $input) { id ownerId phones } }"""
IMPORT = """mutation($file: Upload!, $key: String) {
  importCustomers(file: $file, idempotencyKey: $key) { id } }"""
VIP_LEVELS = ("普通", "银卡", "金卡", "钻石")
CONTACT_PREFERENCES = ("电话", "微信", "邮件")
IMPORT_CSV = (
    "客户类型,客户名称,手机号码,省份,城市,标签\n"
    "企业,杭州云栖数据有限公司,13905710001,浙江省,杭州市,高意向\n"
    "企业,广州南沙港务物流有限公司,13802000002,广东省,广州市,渠道\n"
    "个人,林晓燕,13600000003,上海市,上海市,新客户\n"
    "个人,号码有误,12345,江苏省,南京市,\n"
)


def custom_fields(rng: random.Random) -> dict[str, Any]:
    values: dict[str, Any] = {"vip_level": rng.choice(VIP_LEVELS)}
    if rng.random() < 0.6:
        values["annual_budget"] = rng.randrange(5, 500) * 10
    if rng.random() < 0.5:
        values["contract_end"] = f"2027-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
    values["preferred_contact"] = rng.choice(CONTACT_PREFERENCES)
    values["newsletter"] = rng.random() < 0.5
    return values


def customer_input(rng: random.Random, i: int) -> dict[str, Any]:
    fields = graphql_input(customer(rng, i))
    if i % 4 == 3:  # left to the assignment rules (they route by province)
        fields |= {"ownerId": None, "team": None}
    else:
        owner = rng.choice(SALES)
        fields |= {"ownerId": owner.id, "team": owner.team}
    fields["customFields"] = custom_fields(rng)
    return fields


async def seed_customers(gateway: GatewayClient, rng: random.Random, count: int) -> list[str]:
    """`count` customers, then one more sharing the first one's phone: a duplicate pair."""
    ids: list[str] = []
    first_phones: list[str] = []
    for i in range(count):
        # force: a generated name or phone may resemble an earlier row; demo data keeps both
        fields = customer_input(rng, i) | {"force": True, "idempotencyKey": f"seed-{i}"}
        created = (await gateway.call(CREATE, {"input": fields}))["createCustomer"]
        ids.append(created["id"])
        first_phones = first_phones or list(fields.get("phones") or [])
    if first_phones:
        twin: dict[str, Any] = {
            "kind": "INDIVIDUAL",
            "name": "重复的联系人",
            "phones": first_phones[:1],
        }
        twin |= {"force": True, "idempotencyKey": "seed-duplicate", "ownerId": SALES[0].id}
        await gateway.call(CREATE, {"input": twin})
    return ids


async def seed_import(gateway: GatewayClient) -> str:
    """A four-row CSV (one invalid phone) imported as a user would upload it."""
    data = await gateway.upload(
        IMPORT, {"key": "seed-import"}, "示例客户.csv", IMPORT_CSV.encode("utf-8")
    )
    return str(data["importCustomers"]["id"])
