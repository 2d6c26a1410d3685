"""The board's counts and sums come from summaries kept by every opportunity write: after each
kind of write — create, update of amount, currency and probability, moves, won, lost, reopen,
reorder, assignment, merge, the customer lifecycle, a stage's new default probability — the
board agrees with the cards recomputed from the stored opportunities, for every role's scope
and filter, and the kept summaries equal the ones a rebuild makes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from crm_sales.kanban import model as kanban
from crm_sales.kanban.summaries import BOARD_SUMMARIES, COUNTERS, rebuild
from crm_sales.money.queries import RateQueries
from crm_sales.opportunities.store import opportunity_from_doc
from crm_sales.pipelines.store import pipeline_from_doc
from crm_sales.shared.clock import day_of
from tests.integration.sales.harness import ADMIN, STAGES, Sales
from tests.integration.sales.opportunity_support import (
    MANAGER,
    MOVE,
    REOPEN,
    SALES_REP,
    UPDATE,
    open_deal,
)
from tests.support import auth_headers, eventually

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

BOARD = """
query($id: ID!, $filter: OpportunityFilterInput) {
  pipelineBoard(pipelineId: $id, filter: $filter) {
    columns { stage { id } count unpricedCount amount { amount } weightedAmount { amount }
      cards(first: 50) { totalCount edges { node { id } } } }
  }
}"""
RATE = (
    "mutation($i: SaveExchangeRateInput!) { saveExchangeRate(input: $i) { exchangeRate { rate } } }"
)
ASSIGN = """mutation($id: ID!, $owner: ID!, $team: String) {
  assignOpportunity(id: $id, ownerId: $owner, team: $team) { opportunity { id } } }"""
MERGE = """mutation($i: MergeOpportunitiesInput!) {
  mergeOpportunities(input: $i) { survivor { id } } }"""
REVISE = """mutation($id: ID!, $input: PipelineInput!) {
  revisePipeline(id: $id, input: $input) { pipeline { version } } }"""
WEST_REP = auth_headers(sub="zhou.jie", roles=("SALES",), team="west")
DECIDER = [{"name": "Lee", "role": "DECISION_MAKER"}]

type Doc = dict[str, Any]
type Figures = dict[str, tuple[int, int, str, str, int]]


def mine(sub: str) -> Callable[[Doc], bool]:
    return lambda d: d["ownerId"] == sub


def team_of(sub: str, team: str) -> Callable[[Doc], bool]:
    return lambda d: d["ownerId"] == sub or d["team"] == team


def anyone(_doc: Doc) -> bool:
    return True


def in_2026(doc: Doc) -> bool:
    return "2026-01-01" <= (doc["expectedCloseDate"] or "") <= "2026-12-31"


async def recomputed(
    service: Sales, pipeline_id: str, keep: Callable[[Doc], bool], statuses: tuple[str, ...]
) -> Figures:
    """The columns from the stored deals one by one (the cards' own figures)."""
    stored = await service.db["pipelines"].find_one({"_id": pipeline_id})
    assert stored is not None
    pipeline = pipeline_from_doc(stored)
    rates = await RateQueries(service.db, "CNY").table()
    today = day_of(service.clock())
    docs = service.db["opportunities"].find({"pipelineId": pipeline_id})
    cards = [
        kanban.card_of(opportunity_from_doc(d)[0], pipeline, rates, today)
        async for d in docs
        if d["status"] in statuses and keep(d)
    ]
    columns = kanban.columns(pipeline, cards)
    return {
        c.stage_id: (
            c.totals.count,
            c.totals.unpriced,
            c.totals.amount.text,
            c.totals.weighted.text,
            c.totals.count,
        )
        for c in columns
    }


async def shown(
    service: Sales, pipeline_id: str, headers: dict[str, str], board_filter: Doc
) -> Figures:
    data = await service.ok(BOARD, {"id": pipeline_id, "filter": board_filter}, headers=headers)
    return {
        c["stage"]["id"]: (
            c["count"],
            c["unpricedCount"],
            c["amount"]["amount"],
            c["weightedAmount"]["amount"],
            len(c["cards"]["edges"]),
        )
        for c in data["pipelineBoard"]["columns"]
    }


OPEN_OR_CLOSED = ("OPEN", "WON", "LOST")


async def agrees(service: Sales, pipeline_id: str, customer: str) -> None:
    """Every view of the board equals the recomputation; the kept summaries equal a rebuild's."""
    views: list[tuple[dict[str, str], Doc, Callable[[Doc], bool], tuple[str, ...]]] = [
        (ADMIN, {}, anyone, OPEN_OR_CLOSED),
        (ADMIN, {"ownerId": "li.lei"}, mine("li.lei"), OPEN_OR_CLOSED),
        (ADMIN, {"team": "west"}, lambda d: d["team"] == "west", OPEN_OR_CLOSED),
        (ADMIN, {"statuses": ["OPEN"]}, anyone, ("OPEN",)),
        (ADMIN, {"statuses": ["MERGED", "WON"]}, anyone, ("MERGED", "WON")),
        (SALES_REP, {}, mine("li.lei"), OPEN_OR_CLOSED),
        (WEST_REP, {"stageIds": ["lead", "won"]}, mine("zhou.jie"), OPEN_OR_CLOSED),
        (MANAGER, {}, team_of("wang.fang", "east"), OPEN_OR_CLOSED),
        # filters the summaries do not hold: summed by the aggregate
        (ADMIN, {"customerId": customer}, lambda d: d["customerId"] == customer, OPEN_OR_CLOSED),
        (
            ADMIN,
            {"expectedClose": {"from": "2026-01-01", "to": "2026-12-31"}},
            in_2026,
            OPEN_OR_CLOSED,
        ),
    ]
    for headers, board_filter, keep, statuses in views:
        expected = await recomputed(service, pipeline_id, keep, statuses)
        if "stageIds" in board_filter:
            stages = set(board_filter["stageIds"])
            expected = {
                s: f if s in stages else (0, 0, "0.00", "0.00", 0) for s, f in expected.items()
            }
        assert await shown(service, pipeline_id, headers, board_filter) == expected, board_filter
    await kept_equal_rebuilt(service)


def _normal(doc: Doc) -> tuple[Any, ...]:
    return (doc["_id"], *(int(doc.get(name, 0)) for name in COUNTERS))


async def kept_equal_rebuilt(service: Sales) -> None:
    summaries = service.db[BOARD_SUMMARIES]
    # a summary every deal has left keeps its document at zero; a rebuild makes none
    kept = {_normal(d) for d in await summaries.find().to_list() if any(_normal(d)[1:])}
    await rebuild(service.db["opportunities"])
    assert {_normal(d) for d in await summaries.find().to_list()} == kept


async def write(service: Sales, query: str, variables: Doc) -> Doc:
    data: Doc = await service.ok(query, variables)
    return data


async def test_the_board_agrees_with_its_deals_after_every_kind_of_write(service: Sales) -> None:
    pipeline = await service.new_pipeline()
    customer = await service.new_customer()
    other = await service.new_customer(owner_id="zhou.jie", team="west")
    await write(
        service, RATE, {"i": {"currency": "HKD", "rate": "0.9", "effectiveFrom": "2001-01-01"}}
    )

    async def deal(owner: str, team: str, on: str = customer, **fields: Any) -> Doc:
        return await open_deal(service, pipeline, on, ownerId=owner, team=team, **fields)

    a = await deal("li.lei", "east", amount="1000.00")
    b = await deal("li.lei", "east", amount="2000.00", probability=35)
    c = await deal("han.mei", "east")  # no amount: counted, not summed
    d = await deal("zhou.jie", "west", other, currency="KWD", amount="1.000")  # no KWD rate
    e = await deal("wang.fang", "east", currency="HKD", amount="100.00", stageId="qualified")
    f = await deal("zhou.jie", "west", other, amount="300.00", probability=90)
    await agrees(service, pipeline, customer)

    # updates: amount, currency, a probability override set and cleared
    await write(service, UPDATE, {"id": a["id"], "input": {"amount": "1500.00"}, "v": 1})
    await write(service, UPDATE, {"id": e["id"], "input": {"currency": "CNY"}, "v": 1})
    await write(service, UPDATE, {"id": c["id"], "input": {"probability": 60}, "v": 1})
    await write(service, UPDATE, {"id": b["id"], "input": {"probability": None}, "v": 1})
    await write(service, UPDATE, {"id": d["id"], "input": {"amount": "2.500"}, "v": 1})
    await agrees(service, pipeline, customer)

    # moves between open stages, won, lost, reopen and a reorder within a column
    proposal = {"stageId": "proposal", "expectedCloseDate": "2026-06-30"}
    await write(service, MOVE, {"input": {"id": a["id"], **proposal}})
    won = {"stageId": "won", "reason": "PRICE", "contacts": DECIDER}
    await write(service, MOVE, {"input": {"id": a["id"], **won}})
    lost = {"id": f["id"], "stageId": "lost", "reason": "PRICE", "note": "预算不足"}
    await write(service, MOVE, {"input": lost})
    await agrees(service, pipeline, customer)
    reopen = {"id": a["id"], "stageId": "negotiation", "reason": "客户回来了"}
    await write(service, REOPEN, {"input": reopen})
    reorder = {"id": b["id"], "stageId": "lead", "position": {"beforeId": c["id"]}}
    await write(service, MOVE, {"input": reorder})
    await agrees(service, pipeline, customer)

    # assignment to another owner and team, and a merge (the merged deal: MERGED)
    await write(service, ASSIGN, {"id": b["id"], "owner": "zhou.jie", "team": "west"})
    await write(service, ASSIGN, {"id": c["id"], "owner": "li.lei"})
    await write(service, MERGE, {"i": {"survivorId": e["id"], "mergedId": c["id"]}})
    await agrees(service, pipeline, customer)

    # the customer lifecycle: merged into another, erased (no figure moves)
    merged = await service.publish_customer(
        "customer.merged.v1", customer, 2, survivorId=other, mergedIds=[customer], mergeId="m1"
    )
    await handled(service, merged.id)
    erased = await service.publish_customer("customer.erased.v1", other, 3)
    await handled(service, erased.id)
    await agrees(service, pipeline, other)


async def test_weighted_sums_follow_a_new_stage_default(service: Sales) -> None:
    pipeline = await service.new_pipeline()
    customer = await service.new_customer()
    await open_deal(service, pipeline, customer, amount="1000.00")
    await open_deal(service, pipeline, customer, amount="500.00", probability=50)
    before = await shown(service, pipeline, ADMIN, {})
    assert before["lead"][3] == "350.00"  # 1000 × 10 % + 500 × 50 %
    stages = [s | {"probability": 40} if s["id"] == "lead" else s for s in STAGES]
    definition = {"nameZh": "标准流程", "nameEn": "Standard", "stages": stages}
    await write(service, REVISE, {"id": pipeline, "input": definition})
    after = await shown(service, pipeline, ADMIN, {})
    assert after["lead"][3] == "650.00"  # the default part at 40 %, the override kept
    await agrees(service, pipeline, customer)


async def handled(service: Sales, event_id: str) -> None:
    key = f"{service.settings.service_name}:{event_id}"
    await eventually(lambda: service.db["inbox"].find_one({"_id": key}), interval=0.02)
