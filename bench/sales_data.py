"""Bulk seeding of the sales database: the demo seed's "new business" pipeline (线索 → 需求确认
→ 方案报价 → 商务谈判 → 赢单 / 输单, with its gates and stall thresholds), the customer
projection, and opportunities per customer spread over the stages (a few per customer, two on
average at the default `per_customer`), stored exactly as the sales service stores them: the
pure model opens each deal in its stage through the stage gate (`open_opportunity`), the
service's own `Written.of` makes the document (base-currency sort key, the booking of a
closed deal) and the stage history entry is written beside it. Deals are in the base currency
(CNY), so no exchange rate is needed; cards get increasing kanban ranks. The board's summaries
are rebuilt from the stored deals afterwards (`kanban.summaries.rebuild`), as the migration
that introduced them does.

Like `bench.data`, this bypasses the GraphQL write path on purpose (one transaction per deal
through the gateway would take minutes); the `move stage` scenario measures the write path.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pymongo import AsyncMongoClient

from crm_dev.seed.sales_catalog import PIPELINES
from crm_sales.customers.model import CustomerView
from crm_sales.customers.store import CUSTOMERS, customer_to_doc
from crm_sales.history.store import STAGE_HISTORY, stage_change_to_doc
from crm_sales.kanban.model import RANK_GAP
from crm_sales.kanban.summaries import rebuild
from crm_sales.money.model import RateTable
from crm_sales.opportunities import model
from crm_sales.opportunities.publishing import Written
from crm_sales.opportunities.store import OPPORTUNITIES
from crm_sales.opportunities.values import Changes, NewOpportunity
from crm_sales.pipelines.model import (
    ForecastCategory,
    Pipeline,
    PipelineDraft,
    StageDraft,
    StageKind,
    define,
)
from crm_sales.pipelines.store import PIPELINE_VERSIONS, pipeline_to_doc, version_id
from crm_sales.pipelines.store import PIPELINES as PIPELINES_CURRENT

PIPELINE_ID = "bench-new-business"
BATCH = 1000
# where the deals sit: mostly early, a fifth closed
STAGE_WEIGHTS = {"lead": 25, "qualify": 20, "proposal": 20, "negotiation": 15, "won": 12, "lost": 8}
NEXT_STEPS = ("约客户 CIO 做方案演示", "发送技术白皮书", "安排商务谈判", "Send revised quote")
CLOSINGS = {"won": ("PRODUCT_FIT", "年度合同已签"), "lost": ("COMPETITOR", "客户选择了竞争对手")}


@dataclass
class SalesSeeded:
    pipeline: str = ""
    open_deals: list[str] = field(default_factory=list)  # ids, in the open stages
    opportunities: int = 0
    per_stage: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BenchCustomer:
    """What the sales projection and a deal need of a seeded customer."""

    id: str
    owner_id: str | None
    team: str | None
    stage: str


def bench_pipeline() -> Pipeline:
    """The demo seed's new-business pipeline, under a fixed id."""
    _, _, stages = PIPELINES["new"]
    drafts = tuple(
        StageDraft(
            id=s["id"],
            name_zh=s["nameZh"],
            name_en=s["nameEn"],
            kind=StageKind(s["kind"]),
            probability=s["probability"],
            forecast=ForecastCategory(s["forecastCategory"]) if "forecastCategory" in s else None,
            required_fields=tuple(s.get("requiredFields", ())),
            stall_days=s.get("stallDays"),
        )
        for s in stages
    )
    return define(
        PipelineDraft("新客户销售流程 (bench)", "New business (bench)", drafts), id=PIPELINE_ID
    )


async def seed_sales(
    mongodb_uri: str,
    customers: list[BenchCustomer],
    *,
    sales_db: str,
    per_customer: float = 2.0,
    seed_value: int = 10,
    rank_from: int = 0,
) -> SalesSeeded:
    """The pipeline (once), the customers' projection and about `per_customer` deals each;
    `rank_from` continues the kanban ranks of an earlier seeding."""
    rng = random.Random(seed_value)
    out = SalesSeeded(pipeline=PIPELINE_ID)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri, tz_aware=True)
    try:
        db = client[sales_db]
        pipeline = await _pipeline(db)
        now = datetime.now(UTC)
        views = [
            customer_to_doc(CustomerView(c.id, c.owner_id, c.team, c.stage, 1, now))
            for c in customers
        ]
        for i in range(0, len(views), BATCH):
            await db[CUSTOMERS].insert_many(views[i : i + BATCH])
        deals, history = _deals(customers, pipeline, rng, now, per_customer, rank_from, out)
        for i in range(0, len(deals), BATCH):
            await db[OPPORTUNITIES].insert_many(deals[i : i + BATCH], ordered=False)
            await db[STAGE_HISTORY].insert_many(history[i : i + BATCH], ordered=False)
        await rebuild(db[OPPORTUNITIES])  # the board's summaries, which these inserts bypass
        out.opportunities = len(deals)
    finally:
        await client.close()
    return out


async def _pipeline(db: Any) -> Pipeline:
    """The pipeline, stored once as `PipelineRepository.add` stores it (outside a session)."""
    pipeline, at = bench_pipeline(), datetime.now(UTC)
    if await db[PIPELINES_CURRENT].find_one({"_id": PIPELINE_ID}) is None:
        doc = pipeline_to_doc(pipeline)
        await db[PIPELINES_CURRENT].insert_one(
            doc | {"createdAt": at, "updatedAt": at, "updatedBy": "bench"}
        )
        version = {"_id": version_id(PIPELINE_ID, pipeline.version), "pipelineId": PIPELINE_ID}
        await db[PIPELINE_VERSIONS].insert_one(
            doc | version | {"definedAt": at, "definedBy": "bench"}
        )
    return pipeline


def _deals(  # noqa: PLR0917 - the seeding's parts
    customers: list[BenchCustomer],
    pipeline: Pipeline,
    rng: random.Random,
    now: datetime,
    per_customer: float,
    rank_from: int,
    out: SalesSeeded,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The documents of the deals and of their stage history entries, in the same order:
    per customer `per_customer` ± 1 deals (at least none), each in a weighted-random stage."""
    stages, weights = list(STAGE_WEIGHTS), list(STAGE_WEIGHTS.values())
    rates, today = RateTable([]), now.date()
    deals: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    middle = round(per_customer)
    for customer in customers:
        for _ in range(max(0, rng.choice((middle - 1, middle, middle + 1)))):
            stage = rng.choices(stages, weights)[0]
            moved = model.open_opportunity(
                _command(customer, stage, rng, today, rank_from + len(deals)),
                id=uuid.uuid4().hex,
                pipeline=pipeline,
                actor="bench",
                now=now,
            )
            rank = (rank_from + len(deals) + 1) * RANK_GAP
            opportunity = replace(moved.opportunity, rank=rank)
            written = Written.of(opportunity, pipeline, rates, today)
            deals.append(written.doc)
            history.append(
                stage_change_to_doc(moved.stage_change, opportunity.version, written.booked_doc())
            )
            out.per_stage[stage] = out.per_stage.get(stage, 0) + 1
            if opportunity.is_open:
                out.open_deals.append(opportunity.id)
    return deals, history


def _command(
    customer: BenchCustomer, stage: str, rng: random.Random, today: date, n: int
) -> NewOpportunity:
    """A deal with what every gate up to `stage` asks for (a lead half the time bare)."""
    owner = customer.owner_id or f"staff{n % 20}"
    changes = Changes()
    if stage != "lead" or rng.random() < 0.5:
        reason, note = CLOSINGS.get(stage, (None, None))
        changes = Changes(
            amount=f"{rng.randrange(20, 900) * 1000}.00",
            currency="CNY",
            expected_close_date=today + timedelta(days=rng.randrange(-60, 180)),
            next_step=rng.choice(NEXT_STEPS),
            contacts=(("张伟", "DECISION_MAKER"),),
            reason=reason,
            note=note,
        )
    return NewOpportunity(
        customer_id=customer.id,
        name=f"商机 {n:06d}",
        owner_id=owner,
        pipeline_id=PIPELINE_ID,
        team=customer.team,
        stage_id=stage,
        changes=changes,
    )
