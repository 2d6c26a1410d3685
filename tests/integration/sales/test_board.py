"""The kanban board: columns with counts and raw and weighted sums in the base currency, the
cards of every column in rank order, and moves to a position that renumber only a few
neighbours."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.sales.harness import Sales
from tests.integration.sales.opportunity_support import MOVE, READ, open_deal, opportunity
from tests.support import error_code

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

BOARD = """
query($id: ID!, $filter: OpportunityFilterInput, $first: Int) {
  pipelineBoard(pipelineId: $id, filter: $filter) {
    currency
    columns {
      stage { id } count unpricedCount amount { amount currency } weightedAmount { amount }
      cards(first: $first) { totalCount pageInfo { hasNextPage } edges { node { name } } }
    }
  }
}"""
RATE = (
    "mutation($i: SaveExchangeRateInput!) { saveExchangeRate(input: $i) { exchangeRate { rate } } }"
)


async def board(service: Sales, pipeline: str, **variables: Any) -> dict[str, Any]:
    data = await service.ok(BOARD, {"id": pipeline, **variables})
    return {c["stage"]["id"]: c for c in data["pipelineBoard"]["columns"]}


def card_names(column: dict[str, Any]) -> list[str]:
    return [e["node"]["name"] for e in column["cards"]["edges"]]


async def test_columns_count_and_sum_in_the_base_currency(service: Sales) -> None:
    pipeline = await service.new_pipeline()
    customer = await service.new_customer()
    await service.ok(RATE, {"i": {"currency": "HKD", "rate": "0.9", "effectiveFrom": "2001-01-01"}})
    await open_deal(service, pipeline, customer, name="a", amount="1000.00")
    await open_deal(service, pipeline, customer, name="b", amount="2000.00", probability=50)
    await open_deal(service, pipeline, customer, name="c")  # no amount: counted, not summed
    await open_deal(service, pipeline, customer, name="d", currency="KWD", amount="1.000")
    await open_deal(
        service, pipeline, customer, name="e", currency="HKD", amount="100.00", stageId="qualified"
    )
    won = await open_deal(
        service,
        pipeline,
        customer,
        name="f",
        amount="500.00",
        expectedCloseDate="2026-06-30",
        contacts=[{"name": "Lee", "role": "DECISION_MAKER"}],
    )
    await service.ok(MOVE, {"input": {"id": won["id"], "stageId": "won", "reason": "PRICE"}})
    columns = await board(service, pipeline)
    lead = columns["lead"]
    assert (lead["count"], lead["unpricedCount"]) == (4, 2)  # c: no amount; d: no KWD rate
    assert lead["amount"] == {"amount": "3000.00", "currency": "CNY"}
    assert lead["weightedAmount"] == {"amount": "1100.00"}  # 1000 × 10 % + 2000 × 50 %
    assert card_names(lead) == ["a", "b", "c", "d"]
    qualified = columns["qualified"]
    assert (qualified["amount"]["amount"], qualified["weightedAmount"]["amount"]) == (
        "90.00",
        "22.50",
    )
    assert (columns["won"]["count"], columns["won"]["weightedAmount"]["amount"]) == (1, "500.00")
    assert columns["lost"]["count"] == 0 and columns["lost"]["amount"]["amount"] == "0.00"
    few = await board(service, pipeline, first=1)
    assert few["lead"]["cards"]["pageInfo"]["hasNextPage"] is True
    only_b = await board(service, pipeline, filter={"expectedClose": None, "ownerId": "nobody"})
    assert only_b["lead"]["count"] == 0
    unknown = await service.gql(BOARD, {"id": "nope"})
    assert unknown["data"]["pipelineBoard"] is None and error_code(unknown) == "NOT_FOUND"


async def test_a_card_goes_where_it_is_dropped(service: Sales) -> None:
    pipeline = await service.new_pipeline()
    customer = await service.new_customer()
    ids = {}
    for name in ("p", "q", "r"):
        ids[name] = (await open_deal(service, pipeline, customer, name=name))["id"]
    moved = await open_deal(service, pipeline, customer, name="s", stageId="qualified")
    drop = {"id": moved["id"], "stageId": "lead", "position": {"beforeId": ids["q"]}}
    assert (
        opportunity(await service.gql(MOVE, {"input": drop}), "moveOpportunity")["stageId"]
        == "lead"
    )
    assert card_names((await board(service, pipeline))["lead"]) == ["p", "s", "q", "r"]
    reorder = {"id": ids["p"], "stageId": "lead", "position": {"afterId": ids["r"]}}
    reordered = opportunity(await service.gql(MOVE, {"input": reorder}), "moveOpportunity")
    assert reordered["version"] == 1  # a reorder changes the order only
    assert card_names((await board(service, pipeline))["lead"]) == ["s", "q", "r", "p"]
    stranger = {"id": ids["p"], "stageId": "lead", "position": {"beforeId": moved["id"] + "x"}}
    body = await service.gql(MOVE, {"input": stranger})
    assert body["errors"][0]["extensions"]["fieldErrors"][0] == {
        "field": "position.beforeId",
        "code": "NOT_IN_STAGE",
        "message": body["errors"][0]["extensions"]["fieldErrors"][0]["message"],
    }


async def test_a_crowded_spot_renumbers_a_few_neighbours_only(service: Sales) -> None:
    """Dropping cards again and again into one spot halves the gap there each time; once it
    is used up, a move renumbers a small window around the spot, never the column."""
    pipeline = await service.new_pipeline()
    customer = await service.new_customer()
    ids = [(await open_deal(service, pipeline, customer, name=f"n{i}"))["id"] for i in range(8)]

    async def ranks() -> dict[str, int]:
        found = service.db["opportunities"].find({"_id": {"$in": ids}}, {"rank": 1})
        return {d["_id"]: d["rank"] async for d in found}

    most_changed = 0
    for drop in range(36):  # n7 and n6 in turn, each just below n3
        card = ids[7 - drop % 2]
        before = await ranks()
        await service.ok(
            MOVE, {"input": {"id": card, "stageId": "lead", "position": {"afterId": ids[3]}}}
        )
        after = await ranks()
        most_changed = max(most_changed, sum(before[c] != after[c] for c in ids))
    assert 1 < most_changed <= 4  # a renumbering happened, and it moved a few cards only
    names = card_names((await board(service, pipeline))["lead"])
    assert names == ["n0", "n1", "n2", "n3", "n6", "n7", "n4", "n5"]


async def test_a_deal_left_in_a_stage_stalls(service: Sales) -> None:
    pipeline = await service.new_pipeline()
    deal = await open_deal(service, pipeline, await service.new_customer())
    query = "query($id: ID!) { opportunity(id: $id) { stalled stageAgeDays } }"
    assert (await service.ok(query, {"id": deal["id"]}))["opportunity"] == {
        "stalled": False,
        "stageAgeDays": 0,
    }
    service.clock.advance(days=15)
    try:
        found = (await service.ok(query, {"id": deal["id"]}))["opportunity"]
    finally:
        service.clock.advance(days=-15)
    assert found == {"stalled": True, "stageAgeDays": 15}
    assert (await service.ok(READ, {"id": deal["id"]}))["opportunity"]["stageId"] == "lead"
