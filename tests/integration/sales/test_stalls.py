"""The stall watch against the embedded MongoDB and the project-local RabbitMQ, with a clock
the tests move: `opportunity.stalled.v1` once per stay in a stage — never twice for the same
stay, again after the deal moves on and stalls in the next stage — and one pass at a time
although two replicas share the database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio

from crm_dev.ports import free_port
from crm_kit.mongo import Document
from crm_sales.money.queries import RateQueries
from crm_sales.opportunities.store import OpportunityRepository
from crm_sales.pipelines.queries import PipelineQueries
from crm_sales.settings import SalesSettings
from crm_sales.stalls.service import Sources, StallWatch, WatchOptions
from crm_sales.stalls.store import StallRepository
from tests.harness import observer, serve_service
from tests.integration.sales.harness import STAGES, Clock, Sales, serve_sales
from tests.integration.sales.opportunity_support import MOVE, REOPEN, open_deal
from tests.support import eventually

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

STALLED = "opportunity.stalled.v1"
# The background watch looks once an hour: the tests run passes themselves (`tick`).
QUIET = SalesSettings(customer_wait_seconds=0.5, stall_check_seconds=3600)
# lead stalls after 14 days, qualified after 7; the later open stages never.
WATCHED_STAGES: list[dict[str, Any]] = [
    STAGES[0],
    {**STAGES[1], "stallDays": 7},
    *STAGES[2:],
]


@dataclass
class Replicas:
    a: Sales
    b_watch: StallWatch
    clock: Clock

    @property
    def watches(self) -> tuple[StallWatch, StallWatch]:
        return self.a.app.state.stall_watch, self.b_watch

    async def tick(self) -> None:
        await self.a.app.state.stall_watch.tick()

    async def stalls(self, customer_id: str) -> list[dict[str, Any]]:
        docs: list[Document] = await self.a.outbox(STALLED, customer_id)
        return [d["envelope"] for d in docs]

    async def deal(self, pipeline_id: str, **fields: Any) -> dict[str, Any]:
        return await open_deal(self.a, pipeline_id, await self.a.new_customer(), **fields)

    async def move(self, deal_id: str, stage_id: str, **fields: Any) -> None:
        await self.a.ok(MOVE, {"input": {"id": deal_id, "stageId": stage_id, **fields}})


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def pair(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Replicas]:
    """Replica a (the harness's) and replica b on the same database, exchange and clock."""
    clock = Clock()
    async with (
        serve_sales(mongodb_uri, amqp_url, options=QUIET, clock=clock) as a,
        serve_service(
            "sales",
            mongodb_uri,
            amqp_url,
            settings=a.settings,
            port=free_port(),
            options=QUIET,
            clock=clock,
        ) as b,
    ):
        yield Replicas(a, b.app.state.stall_watch, clock)


async def test_a_stay_stalls_once_and_the_next_stage_stalls_again(
    pair: Replicas, amqp_url: str
) -> None:
    pipeline = await pair.a.new_pipeline(WATCHED_STAGES)
    deal = await pair.deal(pipeline, contacts=[{"name": "张伟", "role": "DECISION_MAKER"}])
    customer = deal["customerId"]
    pair.clock.advance(days=13, hours=23)
    await pair.tick()
    assert await pair.stalls(customer) == []  # not yet: 14 days in lead

    async with observer(amqp_url, pair.a.exchange, STALLED) as seen:
        pair.clock.advance(hours=2)
        await pair.tick()
        await pair.tick()  # the same stay again: nothing more
        pair.clock.advance(days=3)
        await pair.tick()
        [stalled] = await pair.stalls(customer)

        async def arrived() -> list[dict[str, Any]]:
            return [e for e in seen if e["subject"] == customer]

        [published] = await eventually(arrived)
    assert published["id"] == stalled["id"] and published["type"] == STALLED
    data = stalled["data"]
    assert data["stage"] == {"id": "lead", "nameZh": "线索", "nameEn": "Lead", "stallDays": 14}
    assert data["opportunity"]["id"] == deal["id"]
    assert data["opportunity"]["ownerId"] == "alice"
    assert data["opportunity"]["stageId"] == "lead" and data["customerId"] == customer
    assert data["stalledAt"] < data["detectedAt"]
    assert "张伟" not in str(stalled)  # contact persons stay in the service

    await pair.move(deal["id"], "qualified")
    pair.clock.advance(days=6)
    await pair.tick()
    assert len(await pair.stalls(customer)) == 1  # 6 of qualified's 7 days
    pair.clock.advance(days=1, minutes=1)
    await pair.tick()
    await pair.tick()
    first, second = await pair.stalls(customer)
    assert first["id"] == stalled["id"]
    assert second["data"]["stage"]["id"] == "qualified"
    assert second["data"]["stageEnteredAt"] > first["data"]["stageEnteredAt"]


async def test_a_deal_moved_away_or_closed_in_time_never_stalls(pair: Replicas) -> None:
    pipeline = await pair.a.new_pipeline(WATCHED_STAGES)
    moved_on = await pair.deal(pipeline)
    lost = await pair.deal(pipeline)
    pair.clock.advance(days=10)
    await pair.move(moved_on["id"], "proposal", amount="100.00", expectedCloseDate="2027-06-30")
    await pair.move(lost["id"], "lost", reason="PRICE", note="预算不足")
    pair.clock.advance(days=60)
    await pair.tick()
    assert await pair.stalls(moved_on["customerId"]) == []  # proposal has no threshold
    assert await pair.stalls(lost["customerId"]) == []


async def test_back_in_a_stage_is_a_new_stay(pair: Replicas) -> None:
    pipeline = await pair.a.new_pipeline(WATCHED_STAGES)
    deal = await pair.deal(pipeline)
    pair.clock.advance(days=15)
    await pair.tick()
    await pair.move(deal["id"], "lost", reason="TIMING", note="明年再谈")
    pair.clock.advance(days=1)
    reopen = {"id": deal["id"], "stageId": "lead", "reason": "客户重启采购"}
    await pair.a.ok(REOPEN, {"input": reopen})
    pair.clock.advance(days=14, minutes=1)
    await pair.tick()
    first, second = await pair.stalls(deal["customerId"])
    assert first["data"]["stage"]["id"] == second["data"]["stage"]["id"] == "lead"
    assert first["data"]["stageEnteredAt"] < second["data"]["stageEnteredAt"]


async def test_two_replicas_publish_each_stall_once(pair: Replicas) -> None:
    pipeline = await pair.a.new_pipeline(WATCHED_STAGES)
    deals = [await pair.deal(pipeline) for _ in range(3)]
    pair.clock.advance(days=15)
    for _ in range(3):
        await asyncio.gather(*(watch.tick() for watch in pair.watches))
    for deal in deals:
        assert len(await pair.stalls(deal["customerId"])) == 1
    stays = await pair.a.db["opportunity_stalls"].count_documents(
        {"opportunityId": {"$in": [d["id"] for d in deals]}}
    )
    assert stays == 3


async def test_the_background_watch_runs_when_a_pass_is_due(pair: Replicas) -> None:
    """Each replica's loop looks once an interval: the pass falls due with the clock."""
    pipeline = await pair.a.new_pipeline(WATCHED_STAGES)
    deal = await pair.deal(pipeline)
    pair.clock.advance(days=15)
    watch = pair.a.app.state.stall_watch
    assert await watch.pass_due()  # the next pass was planned an hour of clock time ahead
    assert await watch.look() == 1
    assert len(await pair.stalls(deal["customerId"])) == 1
    assert not await watch.pass_due()  # the next one an interval later
    assert await watch.look() == 0


async def test_a_pass_cut_short_goes_on_where_it_stopped(pair: Replicas) -> None:
    """Read one stay at a time and stopped after the first page: the next pass publishes the
    rest, nothing twice."""
    pipeline = await pair.a.new_pipeline(WATCHED_STAGES)
    deals = [await pair.deal(pipeline) for _ in range(3)]
    customers = [d["customerId"] for d in deals]
    pair.clock.advance(days=15)
    db = pair.a.app.state.runtime.db
    sources = Sources(OpportunityRepository(db), PipelineQueries(db), RateQueries(db, "CNY"))
    options = WatchOptions(page=1, owner="page-by-page")
    watch = StallWatch(
        StallRepository(db), sources, pair.a.app.state.runtime.uow, pair.clock, options
    )
    stop = asyncio.Event()
    stop.set()
    job = await watch.claim(force=True)
    assert job is not None
    assert await watch.work(job, stop) is False  # one page, then the stop
    assert job.published <= 1
    while (job := await watch.claim()) is not None:  # due again at once
        assert await watch.work(job, asyncio.Event())
    for customer in customers:
        assert len(await pair.stalls(customer)) == 1
