"""`make seed` through the gateway: the demo data shows every capability the console opens
on (staff directory, tags, custom fields, assignment rules, customers with custom values, a
duplicate pair, an import with an error report, interactions, tickets at several stages,
tasks, purchases, notifications, pipelines with opportunities in every stage, products and
price books), and a second seed writes nothing new."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from crm_dev.seed import seed
from tests.harness import SystemHandle, serve_system
from tests.support import auth_headers, eventually, token

pytestmark = pytest.mark.e2e

COUNT = 8
CATALOG = """{ staffDirectory { edges { node { id name } } } tags { name }
  customFieldDefinitions { key } assignmentRules { id } possibleDuplicates { totalCount }
  importJobs { totalCount edges { node { status failed created } } }
  customers(first: 50) { totalCount edges { node { id ownerId customFields } } } }"""
WORK = """{ tickets(first: 50) { totalCount edges { node { status } } } }"""
CUSTOMER_WORK = """query($id: ID!) { customer(id: $id) { purchases { totalCount } openTasks { id }
  tasks { totalCount } interactions { totalCount } } }"""
INBOX = """{ myNotifications(first: 50) { totalCount edges { node { type } } } }"""
SALES = """{ pipelines { id nameZh stages { id nameZh nameEn stallDays requiredFields } }
  products(first: 50) { edges { node { code } } } priceBooks { currency entries { productId } }
  exchangeRates(currency: "USD") { edges { node { rate effectiveFrom } } }
  opportunities(first: 100) { totalCount edges { node {
    customerId status currency lineItems { productId } closing { reason note } } } } }"""
BOARD = """query($p: ID!) { pipelineBoard(pipelineId: $p) { columns {
  stage { id } count amount { amount currency } } } }"""
STAGES = "query($id: ID!) { customer(id: $id) { stage } }"


@pytest.fixture
async def system(mongodb_uri: str, amqp_url: str) -> AsyncIterator[SystemHandle]:
    async with serve_system(mongodb_uri, amqp_url) as system:
        yield system


async def catalog(system: SystemHandle) -> dict[str, Any]:
    body = await system.gql(CATALOG)
    assert "errors" not in body, body
    return dict(body["data"])


async def test_seed_shows_every_capability_and_is_idempotent(system: SystemHandle) -> None:
    written = await seed(system.graphql, COUNT, token(sub="admin", roles=("ADMIN",)))
    assert written["customers"] == COUNT and written["tickets"] and written["purchases"]
    data = await catalog(system)
    names = {e["node"]["id"]: e["node"]["name"] for e in data["staffDirectory"]["edges"]}
    assert names["li.lei"] == "李雷" and names["zhao.min"] == "赵敏"  # before anyone signs in
    assert {t["name"] for t in data["tags"]} >= {"vip", "重点", "续约"}
    assert {f["key"] for f in data["customFieldDefinitions"]} >= {"vip_level", "contract_end"}
    assert len(data["assignmentRules"]) == 3
    assert data["possibleDuplicates"]["totalCount"] >= 1
    [job] = [e["node"] for e in data["importJobs"]["edges"]]
    assert job["status"] == "COMPLETED" and job["failed"] == 1 and job["created"] == 3
    nodes = [e["node"] for e in data["customers"]["edges"]]
    assert data["customers"]["totalCount"] == COUNT + 1 + 3  # the duplicate twin, the import
    assert all(n["ownerId"] for n in nodes)  # the rules routed the unowned quarter
    assert sum(1 for n in nodes if (n["customFields"] or {}).get("vip_level")) == COUNT

    tickets = (await system.gql(WORK))["data"]["tickets"]
    assert {e["node"]["status"] for e in tickets["edges"]} >= {"IN_PROGRESS", "RESOLVED", "CLOSED"}
    work = [(await system.gql(CUSTOMER_WORK, {"id": n["id"]}))["data"]["customer"] for n in nodes]
    assert sum(w["purchases"]["totalCount"] for w in work) == written["purchases"]
    assert sum(len(w["openTasks"] or []) for w in work) == written["tasks"]
    assert sum(w["tasks"]["totalCount"] for w in work) == written["tasks"]  # none done yet
    assert sum(w["interactions"]["totalCount"] for w in work) == written["interactions"]

    async def notified() -> set[str]:
        types: set[str] = set()
        for rep in ("li.lei", "han.meimei", "wang.qiang", "zhou.yu"):
            headers = auth_headers(sub=rep, roles=("SALES",))
            inbox = await system.gql(INBOX, headers=headers)
            types |= {e["node"]["type"] for e in inbox["data"]["myNotifications"]["edges"]}
        return types if "CUSTOMER_ASSIGNED" in types else set()

    assert "CUSTOMER_ASSIGNED" in await eventually(notified, timeout=30)
    await check_sales(system, written)

    again = await seed(system.graphql, COUNT, token(sub="admin", roles=("ADMIN",)))
    assert again == written
    after = await catalog(system)
    assert after["customers"]["totalCount"] == data["customers"]["totalCount"]
    assert after["importJobs"]["totalCount"] == 1
    assert (await system.gql(WORK))["data"]["tickets"]["totalCount"] == tickets["totalCount"]
    assert (await sales(system))["opportunities"]["totalCount"] == written["opportunities"]


async def sales(system: SystemHandle) -> dict[str, Any]:
    body = await system.gql(SALES)
    assert "errors" not in body, body
    return dict(body["data"])


async def check_sales(system: SystemHandle, written: dict[str, int]) -> None:
    """Both pipelines with zh/en stages, gates and stall thresholds, every column of the
    main board holding cards, products and price books in two currencies, won and lost deals
    with reasons, and each customer with a won deal moved on from LEAD/PROSPECT."""
    data = await sales(system)
    pipelines = {p["nameZh"]: p for p in data["pipelines"]}
    main = pipelines["新客户销售流程"]
    assert [s["nameZh"] for s in main["stages"]] == [
        "线索", "需求确认", "方案报价", "商务谈判", "赢单", "输单",
    ]  # fmt: skip
    assert main["stages"][2]["requiredFields"] == ["amount", "expectedCloseDate"]
    assert all(s["stallDays"] for s in main["stages"][:4])
    assert "续约与增购" in pipelines
    assert len(data["products"]["edges"]) == written["products"]
    assert {b["currency"] for b in data["priceBooks"]} == {"CNY", "USD"}
    assert all(b["entries"] for b in data["priceBooks"])
    assert data["exchangeRates"]["edges"]
    counts = {}
    for name, pipeline in pipelines.items():
        board = await system.gql(BOARD, {"p": pipeline["id"]})
        counts[name] = [c["count"] for c in board["data"]["pipelineBoard"]["columns"]]
    assert all(counts["新客户销售流程"]), counts  # every column of the main board holds cards
    assert sum(counts["续约与增购"]) and sum(map(sum, counts.values())) == written["opportunities"]
    deals = [e["node"] for e in data["opportunities"]["edges"]]
    assert data["opportunities"]["totalCount"] == written["opportunities"] == len(deals)
    assert {d["status"] for d in deals} == {"OPEN", "WON", "LOST"}
    assert all(d["closing"]["reason"] and d["closing"]["note"] for d in deals if d["closing"])
    assert any(d["lineItems"] for d in deals) and any(d["currency"] == "USD" for d in deals)
    won = {d["customerId"] for d in deals if d["status"] == "WON"}

    async def activated() -> bool:  # opportunity.won.v1 → customer service
        stages = [(await system.gql(STAGES, {"id": c}))["data"]["customer"] for c in won]
        return all(s["stage"] not in ("LEAD", "PROSPECT") for s in stages)

    assert await eventually(activated, timeout=30)
