"""The sales scenarios of `make bench`: the kanban board of a pipeline, the opportunity list
with filters, the customer 360 with its opportunities, and moving a deal between open stages
(through their gates). They run when the data set has a pipeline (`SeededData.pipeline`)."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.data import SeededData
from bench.scenarios import CUSTOMER_360, Gateway, GraphQLError, Scenario

BOARD = """query Board($p: ID!) {
  pipelineBoard(pipelineId: $p) {
    currency
    columns {
      stage { id name probability }
      count unpricedCount amount { amount currency } weightedAmount { amount currency }
      cards(first: 10) { edges { node { id name ownerId amount { amount currency }
        expectedCloseDate stalled } } }
    }
  }
}"""

OPPORTUNITIES = """query Opportunities($f: OpportunityFilterInput, $o: OpportunityOrderInput) {
  opportunities(filter: $f, orderBy: $o, first: 20) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id name customerId ownerId stageId probability
      amount { amount currency } expectedCloseDate updatedAt } }
  }
}"""

CUSTOMER_360_SALES = CUSTOMER_360.replace(
    "    notifications(first: 5)",
    "    opportunities(first: 5) { totalCount edges { node { id name stage { name }\n"
    "      amount { amount currency } expectedCloseDate } } }\n"
    "    openPipeline { count amount { amount currency } weightedAmount { amount currency } }\n"
    "    notifications(first: 5)",
).replace("query Customer360(", "query Customer360Sales(")

MOVABLE = """query Movable($p: ID!, $n: Int!) {
  opportunities(filter: {pipelineId: $p, stageIds: ["proposal"]}, first: $n,
                orderBy: {field: CREATED_AT, direction: ASC}) {
    edges { node { id stageId version } }
  }
}"""

MOVE = """mutation Move($i: MoveOpportunityInput!) {
  moveOpportunity(input: $i) { opportunity { id stageId version probability } }
}"""

DEAL = "query Deal($id: ID!) { opportunity(id: $id) { id stageId version } }"

# the two open stages a moved deal goes back and forth between (the bench data gives every
# deal past the first stage what their gates ask for: amount, close date, a decision maker)
MOVE_STAGES = ("proposal", "negotiation")
OWNERS = [f"staff{i}" for i in range(20)]


def list_filters(pipeline: str) -> list[tuple[dict[str, Any], dict[str, str]]]:
    """The list's filter and order pairs, in turn: a stage slice by amount, a rep's open
    deals by close date, the quarter's open deals by close date, a team's latest changes."""
    today = datetime.now(UTC).date()
    quarter = {"from": today.isoformat(), "to": (today + timedelta(days=90)).isoformat()}
    return [
        ({"pipelineId": pipeline, "stageIds": ["proposal", "negotiation"]},
         {"field": "AMOUNT", "direction": "DESC"}),
        ({"ownerId": "staff3", "statuses": ["OPEN"]},
         {"field": "EXPECTED_CLOSE_DATE", "direction": "ASC"}),
        ({"pipelineId": pipeline, "statuses": ["OPEN"], "expectedClose": quarter},
         {"field": "EXPECTED_CLOSE_DATE", "direction": "ASC"}),
        ({"team": "east", "pipelineId": pipeline}, {"field": "UPDATED_AT", "direction": "DESC"}),
    ]  # fmt: skip


def _reads(gw: Gateway, data: SeededData) -> list[Scenario]:
    rng = random.Random(11)
    filters = list_filters(data.pipeline)

    async def board(vu: int, seq: int) -> None:
        found = (await gw.gql(BOARD, {"p": data.pipeline}))["pipelineBoard"]
        if found is None or not any(c["count"] for c in found["columns"]):
            raise GraphQLError("empty board")

    async def listing(vu: int, seq: int) -> None:
        flt, order = filters[seq % len(filters)]
        found = (await gw.gql(OPPORTUNITIES, {"f": flt, "o": order}))["opportunities"]
        if not found["edges"] and found["totalCount"]:
            raise GraphQLError("empty page with a non-zero totalCount")

    async def view_360(vu: int, seq: int) -> None:
        found = await gw.gql(CUSTOMER_360_SALES, {"id": rng.choice(data.customers)})
        if found["customer"] is None:
            raise GraphQLError("seeded customer not found")

    reads = 4
    return [
        Scenario("kanban board", "pipelineBoard: 6 columns, count + raw and weighted sums in "
                 "CNY per stage, first 10 cards each", board, reads),
        Scenario("opportunity list", "opportunities(filter, orderBy) first 20 + totalCount: "
                 "stages by amount, owner by close date, close-date range, team by update",
                 listing, reads),
        Scenario("customer 360 + sales", "the customer 360 plus 5 opportunities and the open "
                 "pipeline sums (4 subgraphs)", view_360, reads),
    ]  # fmt: skip


def _move(gw: Gateway, data: SeededData) -> Scenario:
    users = 2
    deals: dict[int, dict[str, Any]] = {}
    turns = itertools.count()

    async def prepare() -> None:
        found = await gw.gql(MOVABLE, {"p": data.pipeline, "n": 50})
        edges = [e["node"] for e in found["opportunities"]["edges"]]
        if len(edges) < users:
            raise GraphQLError(f"only {len(edges)} deals in stage proposal")
        offset = next(turns) * users % max(1, len(edges) - users + 1)  # a fresh pair per run
        for vu in range(users):
            deals[vu] = dict(edges[offset + vu])

    async def move(vu: int, seq: int) -> None:
        deal = deals[vu]
        target = MOVE_STAGES[1] if deal["stageId"] == MOVE_STAGES[0] else MOVE_STAGES[0]
        payload = {"id": deal["id"], "stageId": target, "expectedVersion": deal["version"]}
        try:
            moved = (await gw.gql(MOVE, {"i": payload}))["moveOpportunity"]["opportunity"]
        except GraphQLError:  # counted as an error; the next call starts from what is stored
            moved = (await gw.gql(DEAL, {"id": deal["id"]}))["opportunity"]
            deal.update(stageId=moved["stageId"], version=moved["version"])
            raise
        deal.update(stageId=moved["stageId"], version=moved["version"])

    return Scenario("move stage", "moveOpportunity 方案报价 ⇄ 商务谈判 (stage gate, kanban "
                    "rank, stage history, outbox)", move, users, write=True,
                    setup=prepare)  # fmt: skip


def sales_reads(gw: Gateway, data: SeededData) -> list[Scenario]:
    return _reads(gw, data) if data.pipeline else []


def sales_writes(gw: Gateway, data: SeededData) -> list[Scenario]:
    return [_move(gw, data)] if data.pipeline else []


def sales_operations(data: SeededData, target: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """The sales operations of the cost model (none without a pipeline): the 360 of `target`
    with its opportunities, the board, two lists."""
    if not data.pipeline:
        return {}
    (by_amount, amount_order), (by_owner, close_order), *_ = list_filters(data.pipeline)
    return {
        "customer 360 + sales": (CUSTOMER_360_SALES, {"id": target}),
        "kanban board": (BOARD, {"p": data.pipeline}),
        "opportunity list (stages by amount)": (OPPORTUNITIES, {"f": by_amount, "o": amount_order}),
        "opportunity list (owner by close date)": (
            OPPORTUNITIES, {"f": by_owner, "o": close_order}
        ),
    }  # fmt: skip
