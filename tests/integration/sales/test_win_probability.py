"""Win probability against the embedded MongoDB: the plain stage default while the
organisation has too few closed deals, then — with 40 won and lost deals seeded in which
deals whose close date was pushed twice were mostly lost — a learned probability whose
push factor takes points away, from statistics kept for five minutes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio

from tests.integration.sales.harness import Sales, serve_sales
from tests.integration.sales.opportunity_support import UPDATE, open_deal

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

READ = """
query($id: ID!) {
  opportunity(id: $id) {
    winProbability {
      probability stageDefault basis fallbackReason closedDealsUsed
      factors { factor value unit bucket bucketDeals contribution explanation }
      unavailableFactors { factor reason }
    }
  }
}"""


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def sales(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Sales]:
    async with serve_sales(mongodb_uri, amqp_url) as service:
        yield service


async def _read(sales: Sales, deal_id: str) -> dict[str, Any]:
    data = await sales.ok(READ, {"id": deal_id})
    found: dict[str, Any] = data["opportunity"]["winProbability"]
    return found


async def _pushed_twice(sales: Sales) -> str:
    pipeline_id, customer_id = await sales.new_pipeline(), await sales.new_customer()
    deal = await open_deal(sales, pipeline_id, customer_id, expectedCloseDate="2027-01-15")
    for version, day in ((1, "2027-02-15"), (2, "2027-03-15")):
        body = await sales.gql(
            UPDATE, {"id": deal["id"], "input": {"expectedCloseDate": day}, "v": version}
        )
        assert "errors" not in body, body
    return str(deal["id"])


async def _seed_closed(sales: Sales, won: int, lost: int, pushes: int) -> None:
    closed_at = sales.clock.now - timedelta(days=30)
    deals: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for n in range(won + lost):
        deal_id = f"seed-{pushes}-{n}"
        status = "WON" if n < won else "LOST"
        deals.append(
            {
                "_id": deal_id,
                "status": status,
                "ownerId": "seeder",
                "closing": {"at": closed_at, "reason": "OTHER", "by": "seeder"},
                "bookedMinor": None,
                "lineItems": [],
            }
        )
        for push in range(pushes):
            old, new = f"2026-0{push + 1}-01", f"2026-0{push + 2}-01"
            changes.append(
                {"_id": f"{deal_id}:{push}", "opportunityId": deal_id, "field": "expectedCloseDate"}
                | {"old": old, "new": new, "at": closed_at, "actorId": "seeder"}
            )
    await sales.db["opportunities"].insert_many(deals)
    if changes:
        await sales.db["opportunity_field_history"].insert_many(changes)


async def test_stage_default_then_learned(sales: Sales) -> None:
    deal_id = await _pushed_twice(sales)
    plain = await _read(sales, deal_id)
    assert plain["basis"] == "STAGE_DEFAULT"
    assert plain["fallbackReason"] == "NOT_ENOUGH_CLOSED_DEALS"
    assert (plain["probability"], plain["stageDefault"], plain["closedDealsUsed"]) == (10, 10, 0)
    assert plain["factors"] == []
    assert {"factor": "DAYS_SINCE_INTERACTION", "reason": "NOT_KEPT_BY_SALES"} in plain[
        "unavailableFactors"
    ]

    await _seed_closed(sales, won=18, lost=2, pushes=0)
    await _seed_closed(sales, won=2, lost=18, pushes=2)
    sales.commands.clear()
    assert (await _read(sales, deal_id))["basis"] == "STAGE_DEFAULT"  # kept five minutes
    assert "aggregate" not in sales.commands.on("opportunities")

    sales.clock.advance(minutes=6)
    learned = await _read(sales, deal_id)
    assert learned["basis"] == "LEARNED"
    assert (learned["fallbackReason"], learned["closedDealsUsed"]) == (None, 40)
    # 2+ pushes: (2 + 1) / (20 + 2) against 1/2 → ln(3/19) onto the stage's 10 %: 1.7 % → 2
    assert (learned["probability"], learned["stageDefault"]) == (2, 10)
    factors = {f["factor"]: f for f in learned["factors"]}
    pushed = factors["CLOSE_DATE_PUSHES"]
    assert (pushed["value"], pushed["unit"], pushed["bucket"], pushed["bucketDeals"]) == (
        2.0,
        "PUSHES",
        "2+",
        20,
    )
    assert pushed["contribution"] == -8
    assert factors["DISCOUNT"]["contribution"] == 0  # every deal without a discount
    assert sum(f["contribution"] for f in learned["factors"]) == 2 - 10
    assert "推迟 2 次" in pushed["explanation"]  # Chinese by default
