"""The planted personal data of the privacy tests: distinctive values of every kind, seeded
through the gateway (customers, a changed version, a duplicate, an enterprise contact, an
interaction with participants, a ticket, a task, an import, an export, a sales pipeline and
catalogue, an opportunity with a contact person), and who may see what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson

from crm_customer.customers.validators import id_card_check_digit
from crm_kit.auth import Principal, Role
from crm_kit.personal import PersonalKind, visibility_of
from tests.integration.notification.harness import Receiver
from tests.support import auth_headers, gql

# role -> (sub, team); SALES owns the planted customers
ROLES: dict[str, tuple[str, str]] = {
    "ADMIN": ("adm", "east"),
    "MANAGER": ("mgr", "east"),
    "SALES": ("sal-own", "east"),
    "SERVICE": ("svc", "east"),
    "ANALYST": ("ana", "east"),
}
ID_CARD = "11010519800101123" + id_card_check_digit("11010519800101123")
# kind -> the clear values planted of it (each distinctive enough to search answers for)
CLEAR: dict[PersonalKind, tuple[str, ...]] = {
    PersonalKind.NAME: ("隐私测试张三丰", "联系人李四光"),
    PersonalKind.PHONE: ("13912345678", "13812349876"),
    PersonalKind.EMAIL: ("leak.probe@example.cn", "contact.probe@example.cn"),
    PersonalKind.ID_CARD: (ID_CARD,),
    PersonalKind.ADDRESS: ("隐私路88号院",),
    PersonalKind.WECHAT: ("wx_leakprobe_01",),
    PersonalKind.BIRTHDAY: ("1980-01-01",),
}
ENTERPRISE = "隐私测试企业有限公司"  # public: an enterprise's name is not personal data


def headers(role: str) -> dict[str, str]:
    sub, team = ROLES[role]
    return auth_headers(sub=sub, roles=(role,), team=team)


def hidden_from(role: str) -> list[PersonalKind]:
    sub, team = ROLES[role]
    visible = visibility_of(Principal(sub, sub, frozenset({Role(role)}), team))
    return [k for k in PersonalKind if not visible(k)]


def leaks(text: str, kinds: list[PersonalKind]) -> list[str]:
    return [value for kind in kinds for value in CLEAR[kind] if value in text]


@dataclass
class Seeded:
    gateway: str
    http: httpx.AsyncClient
    ids: dict[str, str]  # GraphQL type name -> the id of a planted one
    events: list[dict[str, Any]]
    hooks: Receiver
    duplicate: str = ""  # a second record of the planted individual

    async def ok(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        body = await gql(self.http, f"{self.gateway}/graphql", query, variables, headers("ADMIN"))
        assert "errors" not in body, body
        return body["data"]

    async def call(self, role: str, query: str, variables: Any = None) -> dict[str, Any]:
        return await gql(self.http, f"{self.gateway}/graphql", query, variables, headers(role))


CREATE = "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id version } }"
UPDATE = """mutation($id: ID!, $v: Int!, $i: UpdateCustomerInput!) {
  updateCustomer(id: $id, expectedVersion: $v, input: $i) { id } }"""
ADDRESS = {"province": "北京市", "city": "北京市", "district": "朝阳区", "postalCode": "100020"}


async def seed_customers(s: Seeded) -> str:
    name, _ = CLEAR[PersonalKind.NAME]
    phone, contact_phone = CLEAR[PersonalKind.PHONE]
    email, contact_email = CLEAR[PersonalKind.EMAIL]
    owner = {"ownerId": "sal-own", "team": "east"}
    person = {
        "kind": "INDIVIDUAL", "name": name, "phones": [phone], "emails": [email],
        "idCardNumber": ID_CARD, "wechatId": CLEAR[PersonalKind.WECHAT][0],
        "addresses": [{**ADDRESS, "street": CLEAR[PersonalKind.ADDRESS][0]}], **owner,
    }  # fmt: skip
    created = (await s.ok(CREATE, {"i": person}))["createCustomer"]
    change = {"phones": [phone, "13700001111"], "emails": [email, "other@example.cn"],
              "wechatId": "wx_other", "addresses": [{**ADDRESS, "street": "新街1号"}]}  # fmt: skip
    await s.ok(UPDATE, {"id": created["id"], "v": created["version"], "i": change})
    duplicate = await s.ok(CREATE, {"i": {**person, "idCardNumber": None, "force": True}})
    s.duplicate = str(duplicate["createCustomer"]["id"])
    contact = {"name": CLEAR[PersonalKind.NAME][1], "phones": [contact_phone],
               "emails": [contact_email], "primary": True}  # fmt: skip
    await s.ok(
        CREATE, {"i": {"kind": "ENTERPRISE", "name": ENTERPRISE, "contacts": [contact], **owner}}
    )
    return str(created["id"])


async def seed_work(s: Seeded, customer: str) -> None:
    due = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    logged = await s.ok(
        """mutation($c: ID!, $n: String!) { logInteraction(input: {customerId: $c, channel: PHONE,
        direction: OUTBOUND, content: "回访", participants: [{kind: CONTACT, name: $n},
        {kind: STAFF, id: "sal-own", name: "销售王"}]}) { id } }""",
        {"c": customer, "n": CLEAR[PersonalKind.NAME][0]},
    )
    ticket = await s.ok(
        """mutation($c: ID!) { createTicket(input: {customerId: $c, type: COMPLAINT,
        subject: "投诉", team: "east"}) { id } }""",
        {"c": customer},
    )
    await s.ok(
        """mutation($c: ID!, $d: DateTime!) { createTask(input: {customerId: $c, title: "跟进",
        dueAt: $d, assigneeId: "sal-own"}) { id } }""",
        {"c": customer, "d": due},
    )
    s.ids["Interaction"] = logged["logInteraction"]["id"]
    s.ids["Ticket"] = ticket["createTicket"]["id"]


async def seed_jobs(s: Seeded) -> None:
    bad = CLEAR[PersonalKind.EMAIL][0]
    csv = (
        "Kind,Name,Phones,Province\nINDIVIDUAL,导入客户,13900002222,北京市\n"
        f"INDIVIDUAL,坏号码,{bad},北京市\n"
    )
    operations = {
        "query": "mutation($f: Upload!) { importCustomers(file: $f) { id } }",
        "variables": {"f": None},
    }
    response = await s.http.post(
        f"{s.gateway}/graphql",
        data={"operations": orjson.dumps(operations).decode(), "map": '{"0":["variables.f"]}'},
        files={"0": ("customers.csv", csv.encode(), "text/csv")},
        headers=headers("ADMIN"),
    )
    s.ids["CustomerImportJob"] = response.json()["data"]["importCustomers"]["id"]
    exported = await s.ok("mutation { exportCustomers(format: CSV) { id } }")
    s.ids["CustomerExportJob"] = exported["exportCustomers"]["id"]


PIPELINE = """mutation($i: PipelineInput!) { createPipeline(input: $i) { pipeline { id } } }"""
PRODUCT = """mutation { createProduct(input: {code: "PRIV-1", nameZh: "隐私测试许可",
  unit: "年"}) { product { id } } }"""
PRICE_BOOK = """mutation { createPriceBook(input: {name: "隐私测试价目", currency: "CNY"})
  { priceBook { id } } }"""
ENTRY = """mutation($b: ID!, $p: ID!) { savePriceBookEntry(input: {priceBookId: $b,
  productId: $p, listPrice: "100.00"}) { priceBook { id } } }"""
OPPORTUNITY = """mutation($i: CreateOpportunityInput!) {
  createOpportunity(input: $i) { opportunity { id } } }"""
QUOTE = """mutation($i: CreateQuoteInput!) { createQuote(input: $i) { quote { id } } }"""
STAGES = [
    {"id": "lead", "nameZh": "线索", "nameEn": "Lead", "kind": "OPEN", "probability": 10},
    {"id": "won", "nameZh": "赢单", "nameEn": "Won", "kind": "WON", "probability": 100},
    {"id": "lost", "nameZh": "输单", "nameEn": "Lost", "kind": "LOST", "probability": 0},
]


async def seed_sales(s: Seeded) -> None:
    """A pipeline, a product in a price book, and an opportunity with a contact person named
    by a planted name, of a customer of its own (owned by SALES): a deal moves its customer's
    lifecycle stage, and the planted individual's version must stay as the tests expect. A
    quote of the deal addressed to a planted name (`Quote.customerName`)."""
    owner = {"ownerId": "sal-own", "team": "east"}
    created = await s.ok(CREATE, {"i": {"kind": "ENTERPRISE", "name": "商机测试有限公司", **owner}})
    customer = created["createCustomer"]["id"]
    pipeline = await s.ok(
        PIPELINE, {"i": {"nameZh": "隐私流程", "nameEn": "Privacy", "stages": STAGES}}
    )
    product = (await s.ok(PRODUCT))["createProduct"]["product"]["id"]
    book = (await s.ok(PRICE_BOOK))["createPriceBook"]["priceBook"]["id"]
    await s.ok(ENTRY, {"b": book, "p": product})
    deal = {
        "customerId": customer,
        "pipelineId": pipeline["createPipeline"]["pipeline"]["id"],
        "name": "隐私测试商机",
        **owner,
        "priceBookId": book,
        "lineItems": [{"productId": product, "quantity": "2"}],
        "contacts": [{"name": CLEAR[PersonalKind.NAME][0], "role": "DECISION_MAKER"}],
    }
    created = await s.ok(OPPORTUNITY, {"i": deal})
    s.ids["Pipeline"] = pipeline["createPipeline"]["pipeline"]["id"]
    s.ids["Product"], s.ids["PriceBook"] = product, book
    s.ids["Opportunity"] = created["createOpportunity"]["opportunity"]["id"]
    quoted = {"opportunityId": s.ids["Opportunity"], "customerName": CLEAR[PersonalKind.NAME][0]}
    s.ids["Quote"] = (await s.ok(QUOTE, {"i": quoted}))["createQuote"]["quote"]["id"]
