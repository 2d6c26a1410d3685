"""The demo pipeline: opportunities of the seeded customers, owned by their owners, spread over
every stage of both pipelines. Each deal is opened in the first stage and walked stage by
stage through `moveOpportunity`, with the fields each gate asks for, so its stage history
reads like real work; some are won or lost with a reason and a note (a won deal makes a LEAD
or PROSPECT customer ACTIVE), some are priced by line items from the CNY or USD price book.
A second seed finds each deal by its customer and name and only finishes its walk."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from crm_dev.seed.catalog import SALES
from crm_dev.seed.client import GatewayClient
from crm_dev.seed.sales_catalog import PIPELINES, PRODUCTS, SalesCatalog

CUSTOMER_DEALS = """query($id: ID!) { customer(id: $id) { ownerId team
  opportunities(first: 20) { edges { node { id name stageId version } } } } }"""
CREATE = """mutation($i: CreateOpportunityInput!) {
  createOpportunity(input: $i) { opportunity { id name stageId version } } }"""
MOVE = """mutation($i: MoveOpportunityInput!) {
  moveOpportunity(input: $i) { opportunity { id stageId version } } }"""

# the stage each deal ends in, taken in turn per pipeline so that every column has cards
TARGETS = {
    "new": ("lead", "qualify", "proposal", "negotiation", "won", "lost", "proposal", "won"),
    "renewal": ("due", "quote", "contract", "renewed", "churned"),
}
CLOSED_FROM = {"lost": "proposal", "churned": "quote"}  # where lost deals drop out
DEAL_NAMES = (
    "CRM 专业版年度采购", "华东区销售团队扩容", "客服中心数字化升级", "Global rollout phase 1",
    "经销商门户项目", "数据迁移与系统集成", "移动办公增购", "Annual subscription renewal",
)  # fmt: skip
NEXT_STEPS = ("约客户 CIO 做方案演示", "发送技术白皮书", "安排商务谈判", "Send revised quote")
SOURCES = ("官网咨询", "展会", "老客户转介绍", "渠道伙伴", "Inbound call")
COMPETITORS = ("销售易", "纷享销客", "Salesforce", "HubSpot")
WON = (
    ("PRODUCT_FIT", "产品功能完全匹配需求"),
    ("RELATIONSHIP", "Long-standing relationship"),
    ("PRICE", "年付折扣打动客户"),
    ("SERVICE", "本地化实施服务获认可"),
)
LOST = (
    ("COMPETITOR", "客户选择了竞争对手的行业方案"),
    ("NO_BUDGET", "预算被冻结到明年"),
    ("TIMING", "Project postponed to next fiscal year"),
    ("PRICE", "报价高于预算 30%"),
)
CONTACTS = (("张伟", "DECISION_MAKER"), ("李娜", "CHAMPION"), ("Tom Chen", "TECHNICAL_EVALUATOR"))


@dataclass(slots=True)
class Deal:
    """One deal of the plan: where it lives, where it ends, and what it carries."""

    number: int
    customer_id: str
    pipeline: str  # key of PIPELINES
    target: str
    fields: dict[str, Any]


async def seed_opportunities(
    gateway: GatewayClient, rng: random.Random, ids: list[str], catalog: SalesCatalog
) -> int:
    """One deal per customer and a second for every third one; returns how many."""
    turns = dict.fromkeys(TARGETS, 0)
    number = 0
    for i, customer_id in enumerate(ids):
        found = (await gateway.call(CUSTOMER_DEALS, {"id": customer_id}))["customer"]
        existing = {e["node"]["name"]: e["node"] for e in found["opportunities"]["edges"]}
        for _ in range(2 if i % 3 == 0 else 1):
            pipeline = "renewal" if number % 4 == 3 else "new"
            target = TARGETS[pipeline][turns[pipeline] % len(TARGETS[pipeline])]
            turns[pipeline] += 1
            deal = Deal(number, customer_id, pipeline, target, {})
            deal.fields = _fields(rng, deal, found, catalog)
            current = existing.get(deal.fields["name"]) or await _create(gateway, deal, catalog)
            await _walk(gateway, deal, current)
            number += 1
    return number


def _fields(
    rng: random.Random, deal: Deal, customer: dict[str, Any], catalog: SalesCatalog
) -> dict[str, Any]:
    """What the deal carries from the start: enough for every gate on its way when it goes
    past the first stage; a bare lead (no amount: counted, not summed) otherwise."""
    owner = customer["ownerId"] or SALES[deal.number % len(SALES)].id
    team = customer["team"] or next((s.team for s in SALES if s.id == owner), "east")
    name = DEAL_NAMES[deal.number % len(DEAL_NAMES)]
    fields: dict[str, Any] = {"name": name, "ownerId": owner, "team": team}
    fields |= {"source": rng.choice(SOURCES), "tags": ["重点"] if deal.number % 5 == 0 else []}
    if deal.target == TARGETS[deal.pipeline][0]:
        return fields
    close = datetime.now(UTC).date() + timedelta(days=rng.randrange(10, 150))
    fields |= {"expectedCloseDate": close.isoformat(), "nextStep": rng.choice(NEXT_STEPS)}
    fields |= {"contacts": [{"name": n, "role": r} for n, r in CONTACTS[: rng.randrange(1, 4)]]}
    fields["competitors"] = rng.sample(COMPETITORS, rng.randrange(0, 3))
    currency = "USD" if deal.number % 5 == 4 else "CNY"
    if deal.pipeline == "renewal" or deal.number % 3 == 0:
        fields |= {"currency": currency, "priceBookId": catalog.price_books[currency]}
        fields["lineItems"] = _line_items(rng, catalog)
    else:
        amount = rng.randrange(20, 900) * (1000 if currency == "CNY" else 150)
        fields |= {"currency": currency, "amount": f"{amount}.00"}
    return fields


def _line_items(rng: random.Random, catalog: SalesCatalog) -> list[dict[str, Any]]:
    lines = []
    for code, *_ in rng.sample(PRODUCTS, rng.randrange(1, 4)):
        line: dict[str, Any] = {"productId": catalog.products[code]}
        line["quantity"] = str(rng.choice((1, 2, 5, 10, 20)))
        if rng.random() < 0.3:
            line["discountPercent"] = rng.choice(("5", "10", "15"))
        lines.append(line)
    return lines


async def _create(gateway: GatewayClient, deal: Deal, catalog: SalesCatalog) -> dict[str, Any]:
    opening = {"customerId": deal.customer_id, "pipelineId": catalog.pipelines[deal.pipeline]}
    opening["idempotencyKey"] = f"seed-deal-{deal.number}"
    created = await gateway.call(CREATE, {"i": deal.fields | opening})
    return dict(created["createOpportunity"]["opportunity"])


def path(pipeline: str, target: str) -> list[str]:
    """The stages a deal walks through from its first to `target` (won: through every open
    stage; lost: dropped out after the stage of CLOSED_FROM)."""
    stages = [s["id"] for s in PIPELINES[pipeline][2] if s["kind"] == "OPEN"]
    if target in stages:
        return stages[: stages.index(target) + 1]
    if target in CLOSED_FROM:
        return [*stages[: stages.index(CLOSED_FROM[target]) + 1], target]
    return [*stages, target]


async def _walk(gateway: GatewayClient, deal: Deal, current: dict[str, Any]) -> None:
    """The moves still to make from the deal's current stage (none after an earlier seed)."""
    stages = path(deal.pipeline, deal.target)
    if current["stageId"] not in stages:
        return  # moved by hand since: leave it
    version = current["version"]
    for stage in stages[stages.index(current["stageId"]) + 1 :]:
        move: dict[str, Any] = {"id": current["id"], "stageId": stage, "expectedVersion": version}
        move |= _closing(deal, stage)
        version = (await gateway.call(MOVE, {"i": move}))["moveOpportunity"]["opportunity"][
            "version"
        ]


def _closing(deal: Deal, stage: str) -> dict[str, str]:
    kinds = {s["id"]: s["kind"] for s in PIPELINES[deal.pipeline][2]}
    if kinds[stage] == "OPEN":
        return {}
    reason, note = (WON if kinds[stage] == "WON" else LOST)[deal.number % 4]
    return {"reason": reason, "note": note}
