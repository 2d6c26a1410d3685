"""The pipeline at a past instant and the waterfall between two instants, against the embedded
MongoDB: deals are opened, moved, changed, won, lost, reopened, handed over and merged, and an
exchange rate changes, with the board captured live (as ADMIN and as a SALES rep) at instants
between the writes; afterwards `pipelineAsOf` at each instant must read exactly as the board
read then, and every waterfall's bars must sum to the difference of its totals."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio

from tests.integration.sales.harness import ADMIN, Sales
from tests.integration.sales.opportunity_support import (
    MOVE,
    REOPEN,
    SALES_REP,
    UPDATE,
    field_codes,
    open_deal,
)
from tests.support import auth_headers, error_code

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

OPEN_STAGES = ("lead", "qualified", "proposal", "negotiation")
COLUMN = "stage { id } count unpricedCount amount { amount currency } weightedAmount { amount }"
BOARD = f"query($id: ID!) {{ pipelineBoard(pipelineId: $id) {{ columns {{ {COLUMN} }} }} }}"
AS_OF = f"""
query($id: ID!, $at: DateTime!, $filter: PointInTimeFilterInput) {{
  pipelineAsOf(pipelineId: $id, asOf: $at, filter: $filter) {{
    asOf currency pipeline {{ version }} count amount {{ amount }} columns {{ {COLUMN} }}
  }}
}}"""
WATERFALL = """
query($id: ID!, $from: DateTime!, $to: DateTime!, $within: DateRangeInput) {
  pipelineWaterfall(pipelineId: $id, from: $from, to: $to, closeWithin: $within) {
    start { count amount { amount } unpricedCount } end { count amount { amount } }
    change { amount currency }
    bars { kind count amount { amount }
      opportunities(first: 50) { totalCount
        edges { node { opportunityId amount { amount } opportunity { id } } } } }
  }
}"""
RATE = (
    "mutation($i: SaveExchangeRateInput!) { saveExchangeRate(input: $i) { exchangeRate { rate } } }"
)
ASSIGN = """
mutation($id: ID!, $owner: ID!, $team: String) {
  assignOpportunity(id: $id, ownerId: $owner, team: $team) { opportunity { id version } }
}"""
MERGE = """
mutation($i: MergeOpportunitiesInput!) { mergeOpportunities(input: $i) { merged { status } } }
"""
DECISION_MAKER = [{"name": "Lee", "role": "DECISION_MAKER"}]
VIEWERS = {"admin": ADMIN, "rep": SALES_REP}


def _open_columns(columns: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {c["stage"]["id"]: c for c in columns if c["stage"]["id"] in OPEN_STAGES}


class Story:
    """A pipeline's writes, with the board captured as each viewer saw it between writes."""

    def __init__(self, service: Sales, pipeline: str, customer: str) -> None:
        self.service, self.pipeline, self.customer = service, pipeline, customer
        self.boards: list[tuple[datetime, dict[str, dict[str, dict[str, Any]]]]] = []
        self.ids: dict[str, str] = {}
        self.versions: dict[str, int] = {}

    async def capture(self) -> datetime:
        """Half an hour after the last writes, the board as each viewer sees it; the next
        writes half an hour later: an instant strictly between two changes."""
        self.service.clock.advance(minutes=30)
        at, seen = self.service.clock.now, {}
        for name, headers in VIEWERS.items():
            data = await self.service.ok(BOARD, {"id": self.pipeline}, headers=headers)
            seen[name] = _open_columns(data["pipelineBoard"]["columns"])
        self.boards.append((at, seen))
        self.service.clock.advance(minutes=30)
        return at

    async def open(self, name: str, **fields: Any) -> None:
        found = await open_deal(self.service, self.pipeline, self.customer, name=name, **fields)
        self.ids[name], self.versions[name] = found["id"], found["version"]

    async def write(self, query: str, variables: dict[str, Any], name: str) -> None:
        data = await self.service.ok(query, variables)
        found = next(iter(data.values()))["opportunity"]
        self.versions[name] = found["version"]

    async def update(self, name: str, **fields: Any) -> None:
        variables = {"id": self.ids[name], "input": fields, "v": self.versions[name]}
        await self.write(UPDATE, variables, name)

    async def move(self, name: str, stage: str, **more: Any) -> None:
        await self.write(MOVE, {"input": {"id": self.ids[name], "stageId": stage} | more}, name)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def story(service: Sales) -> Story:
    """Five deals over a day and a half: every kind of change between the six captured
    instants (one story per module: its rates are the module's)."""
    story = Story(service, await service.new_pipeline(), await service.new_customer())
    today = service.clock.now.date()
    await service.ok(
        RATE, {"i": {"currency": "USD", "rate": "7.0", "effectiveFrom": str(today - timedelta(30))}}
    )
    close = str(today + timedelta(days=20))
    rep, other = {"ownerId": "li.lei", "team": "east"}, {"ownerId": "han.mei", "team": "east"}
    await story.open("a", amount="1000.00", expectedCloseDate=close, **rep)
    await story.open("b", currency="USD", amount="200.00", **rep)
    await story.open("c", stageId="qualified", **other)
    await story.open(
        "d",
        amount="500.00",
        probability=60,
        expectedCloseDate=close,
        contacts=DECISION_MAKER,
        ownerId="alice",
        team="east",
    )
    await story.capture()  # 0
    await story.move("a", "qualified")
    await story.update("b", amount="300.00")
    await story.update("d", expectedCloseDate=str(today + timedelta(days=40)))
    await story.capture()  # 1
    await story.move("a", "proposal")
    await story.move("d", "won", reason="PRICE")
    await story.move("c", "lost", reason="PRICE", note="预算取消")
    await story.capture()  # 2
    tomorrow = str(service.clock.now.date() + timedelta(days=1))
    await service.ok(RATE, {"i": {"currency": "USD", "rate": "7.3", "effectiveFrom": tomorrow}})
    service.clock.advance(days=1)
    await story.write(ASSIGN, {"id": story.ids["b"], "owner": "han.mei", "team": "east"}, "b")
    await story.capture()  # 3: the new rate, and b is han.mei's
    reopen = {"id": story.ids["d"], "stageId": "qualified", "reason": "客户追加预算"}
    await story.write(REOPEN, {"input": reopen}, "d")
    await story.update("a", currency="USD", amount="150.00")
    await story.open("e", amount="80.00", **rep)
    await story.capture()  # 4
    merge = {"survivorId": story.ids["b"], "mergedId": story.ids["e"]}
    await service.ok(MERGE, {"i": merge})
    await story.update("a", amount="170.00")
    await story.capture()  # 5
    return story


async def _as_of(service: Sales, story: Story, at: datetime, headers: dict[str, str]) -> Any:
    variables = {"id": story.pipeline, "at": at.isoformat()}
    return (await service.ok(AS_OF, variables, headers=headers))["pipelineAsOf"]


async def test_the_pipeline_at_each_past_instant_is_the_board_as_it_was(
    service: Sales, story: Story
) -> None:
    assert len(story.boards) == 6
    for at, seen in story.boards:
        for name, headers in VIEWERS.items():
            found = await _as_of(service, story, at, headers)
            assert datetime.fromisoformat(found["asOf"]) == at
            assert _open_columns(found["columns"]) == seen[name], (at, name)
            assert found["count"] == sum(c["count"] for c in seen[name].values())
    admin = [await _as_of(service, story, at, ADMIN) for at, _ in story.boards]
    assert [a["count"] for a in admin] == [4, 4, 2, 2, 4, 3]
    rep = [await _as_of(service, story, at, SALES_REP) for at, _ in story.boards]
    assert [r["count"] for r in rep] == [2, 2, 2, 1, 2, 1]  # b is han.mei's from 3 on


async def _waterfall(
    service: Sales, story: Story, first: int, last: int, headers: dict[str, str] = ADMIN
) -> Any:
    variables = {
        "id": story.pipeline,
        "from": story.boards[first][0].isoformat(),
        "to": story.boards[last][0].isoformat(),
    }
    return (await service.ok(WATERFALL, variables, headers=headers))["pipelineWaterfall"]


def _bars(found: Any) -> dict[str, tuple[str, int]]:
    return {b["kind"]: (b["amount"]["amount"], b["count"]) for b in found["bars"] if b["count"]}


async def test_the_waterfall_bars_sum_to_the_difference_of_the_totals(
    service: Sales, story: Story
) -> None:
    for first in range(6):
        for last in range(first + 1, 6):
            for headers in VIEWERS.values():
                found = await _waterfall(service, story, first, last, headers)
                start, end = (
                    Decimal(found["start"]["amount"]["amount"]),
                    Decimal(found["end"]["amount"]["amount"]),
                )
                bars = sum(Decimal(b["amount"]["amount"]) for b in found["bars"])
                assert bars == end - start == Decimal(found["change"]["amount"])
                for bar in found["bars"]:
                    edges = bar["opportunities"]["edges"]
                    assert bar["opportunities"]["totalCount"] == bar["count"] == len(edges)
                    parts = sum(Decimal(e["node"]["amount"]["amount"]) for e in edges)
                    assert parts == Decimal(bar["amount"]["amount"])
    # 2 → 3: only the USD rate moved (b: 300 × 0.3) — and, for the rep, b left them
    assert _bars(await _waterfall(service, story, 2, 3)) == {"CURRENCY": ("90.00", 1)}
    assert _bars(await _waterfall(service, story, 2, 3, SALES_REP)) == {
        "ASSIGNED_OUT": ("-2100.00", 1)
    }
    # 0 → 2: a up stages (no change), b +100 USD at 7.0, d won, c lost (no amount)
    assert _bars(await _waterfall(service, story, 0, 2)) == {
        "AMOUNT_UP": ("700.00", 1),
        "WON": ("-500.00", 1),
        "LOST": ("0.00", 1),
    }
    # 3 → 5: d reopened, e opened and merged away, a to 170 USD
    three_five = _bars(await _waterfall(service, story, 3, 5))
    assert three_five == {"OPENED": ("500.00", 1), "AMOUNT_UP": ("241.00", 1)}
    # 1 → 4: a 1000 CNY → 150 USD (+50 at 7.0, +45 as 7.0 → 7.3), b +90, e opened, c lost
    before_rate = _bars(await _waterfall(service, story, 1, 4))
    assert before_rate["CURRENCY"] == ("135.00", 2)  # b 300 × 0.3 + a 150 × 0.3
    ids = {
        e["node"]["opportunityId"]: e["node"]["opportunity"]
        for b in (await _waterfall(service, story, 1, 4))["bars"]
        for e in b["opportunities"]["edges"]
    }
    assert all(opportunity["id"] == i for i, opportunity in ids.items())


async def test_bad_instants_unknown_pipelines_and_roles_are_refused(service: Sales) -> None:
    pipeline = await service.new_pipeline()
    now = service.clock.now
    future = await service.gql(
        AS_OF, {"id": pipeline, "at": (now + timedelta(hours=1)).isoformat()}
    )
    assert future["data"]["pipelineAsOf"] is None and field_codes(future) == {
        "asOf": "OUT_OF_RANGE"
    }
    unknown = await service.gql(AS_OF, {"id": "nope", "at": now.isoformat()})
    assert field_codes(unknown) == {"pipelineId": "UNKNOWN_PIPELINE"}
    span = {"id": pipeline, "from": now.isoformat(), "to": now.isoformat()}
    assert field_codes(await service.gql(WATERFALL, span)) == {"to": "OUT_OF_RANGE"}
    reversed_window = span | {
        "from": (now - timedelta(hours=1)).isoformat(),
        "within": {"from": "2026-02-01", "to": "2026-01-01"},
    }
    assert field_codes(await service.gql(WATERFALL, reversed_window)) == {
        "closeWithin.to": "OUT_OF_RANGE"
    }
    agent = auth_headers(sub="zhou", roles=("SERVICE",), team="east")
    refused = await service.gql(AS_OF, {"id": pipeline, "at": now.isoformat()}, headers=agent)
    assert error_code(refused) == "FORBIDDEN"
    before = await service.ok(
        AS_OF, {"id": pipeline, "at": (now - timedelta(days=400)).isoformat()}
    )
    assert before["pipelineAsOf"]["count"] == 0  # before the pipeline: its first version, empty
