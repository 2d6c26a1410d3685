"""Sales forecasts against the embedded MongoDB and real RabbitMQ, for FY2026-Q2 (April to
June 2026, Beijing time): li.lei's and team east's figures by forecast category computed by
hand, submissions and a manager's adjustment with a note, the refusal of a manager of another
team, accuracy once the quarter is over, and the calibration of the closing probabilities."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio

from crm_sales.settings import SalesSettings
from tests.integration.sales.harness import ADMIN, Clock, Sales, serve_sales
from tests.integration.sales.opportunity_support import (
    ANALYST,
    MANAGER,
    OTHER_REP,
    SALES_REP,
    WEST_MANAGER,
    field_codes,
    open_deal,
)
from tests.support import auth_headers, error_code

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

WEST_REP = auth_headers(sub="zhou.li", roles=("SALES",), team="west")
EVERYONE = (ADMIN, SALES_REP, OTHER_REP, MANAGER, WEST_MANAGER, WEST_REP, ANALYST)
Q2 = {"kind": "QUARTER", "year": 2026, "number": 2}  # 2026-03-31T16:00Z … 2026-06-30T16:00Z
LI = {"staffId": "li.lei"}
EAST = {"team": "east"}
STAGES: list[dict[str, Any]] = [
    {"id": "lead", "nameZh": "线索", "nameEn": "Lead", "kind": "OPEN", "probability": 10},
    {"id": "parked", "nameZh": "搁置", "nameEn": "Parked", "kind": "OPEN", "probability": 30,
     "forecastCategory": "OMITTED"},
    {"id": "upside", "nameZh": "有望", "nameEn": "Upside", "kind": "OPEN", "probability": 60},
    {"id": "commit", "nameZh": "承诺", "nameEn": "Commit", "kind": "OPEN", "probability": 90},
    {"id": "won", "nameZh": "赢单", "nameEn": "Won", "kind": "WON", "probability": 100},
    {"id": "lost", "nameZh": "输单", "nameEn": "Lost", "kind": "LOST", "probability": 0},
]  # fmt: skip

SUBMIT = """
mutation($input: SubmitForecastInput!) {
  submitForecast(input: $input) {
    submission { id amount { amount currency } note kind submittedBy subject { staffId team } }
  }
}"""
FORECAST = """
query($subject: SalesTargetSubjectInput!, $period: SalesPeriodInput!) {
  salesForecast(subject: $subject, period: $period) {
    period { label } closedWon { amount currency } wonDeals commit { amount } bestCase { amount }
    pipeline { amount } weightedPipeline { amount } openDeals openWithoutBaseAmount
    submissions { amount { amount } kind note submittedBy } target { amount { amount } }
  }
}"""
ACCURACY = """
query($subject: SalesTargetSubjectInput!, $period: SalesPeriodInput!) {
  forecastAccuracy(subject: $subject, period: $period) {
    period { label }
    lines { subject { staffId team } forecast { amount { amount } kind } actual { amount }
            error { amount } biasPercent absolutePercentageError }
  }
}"""
CALIBRATION = """
query($filter: ProbabilityCalibrationFilterInput!) {
  probabilityCalibration(filter: $filter) {
    deals bands { fromPercent toPercent deals won wonPercent meanProbabilityPercent }
  }
}"""
MOVE = """
mutation($input: MoveOpportunityInput!) { moveOpportunity(input: $input) { opportunity { id } } }
"""


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def service(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Sales]:
    clock = Clock(datetime(2026, 3, 20, tzinfo=UTC))
    options = SalesSettings(customer_wait_seconds=0.5)
    async with serve_sales(mongodb_uri, amqp_url, options=options, clock=clock) as sales:
        yield sales


async def visit(service: Sales, at: datetime) -> None:
    """Move the clock; everyone uses the service then (the staff directory: active)."""
    service.clock.now = at
    for who in EVERYONE:
        await service.ok("{ closeReasons { won { code } } }", headers=who)


async def submit(
    service: Sales, headers: dict[str, str], subject: dict[str, str], amount: str, note: str = ""
) -> dict[str, Any]:
    given = {"subject": subject, "period": Q2, "amount": amount} | ({"note": note} if note else {})
    return await service.gql(SUBMIT, {"input": given}, headers=headers)


async def close(service: Sales, deal: dict[str, Any], stage: str, at: datetime) -> None:
    service.clock.now = at
    reason = "PRICE" if stage == "won" else "COMPETITOR"
    await service.ok(MOVE, {"input": {"id": deal["id"], "stageId": stage, "reason": reason}})


async def deals(service: Sales) -> str:
    """li.lei's open deals across the categories (and outside the quarter or omitted),
    han.mei's one, west's; li.lei wins one in the quarter, west closes three."""
    pipeline = await service.new_pipeline(STAGES)

    async def deal(owner: str, team: str, stage: str, amount: str, close: str, **more: Any) -> Any:
        customer = await service.new_customer(owner, team)
        fields = {"ownerId": owner, "team": team, "stageId": stage, "amount": amount}
        fields |= {"expectedCloseDate": close, **more}
        return await open_deal(service, pipeline, customer, ADMIN, **fields)

    await deal("li.lei", "east", "lead", "100000.00", "2026-05-10")  # PIPELINE
    await deal("li.lei", "east", "upside", "200000.00", "2026-06-30")  # BEST_CASE, last day
    await deal("li.lei", "east", "commit", "300000.00", "2026-04-01")  # COMMIT, first day
    await deal("li.lei", "east", "commit", "50000.00", "2026-07-01")  # next quarter
    await deal("li.lei", "east", "parked", "80000.00", "2026-05-01")  # OMITTED
    await deal("li.lei", "east", "lead", "40000.00", "2026-05-20", probability=50)
    await deal("han.mei", "east", "upside", "10000.00", "2026-05-05")
    await deal("zhou.li", "west", "commit", "500000.00", "2026-05-01")
    won = await deal("li.lei", "east", "commit", "120000.00", "2026-04-30")
    lost = await deal("zhou.li", "west", "lead", "20000.00", "2026-04-30")
    west_won = await deal("zhou.li", "west", "upside", "70000.00", "2026-04-30")
    west_lost = await deal("zhou.li", "west", "upside", "60000.00", "2026-04-30")
    await close(service, won, "won", datetime(2026, 4, 10, tzinfo=UTC))
    await close(service, lost, "lost", datetime(2026, 4, 12, tzinfo=UTC))
    await close(service, west_won, "won", datetime(2026, 4, 13, tzinfo=UTC))
    await close(service, west_lost, "lost", datetime(2026, 4, 14, tzinfo=UTC))
    return pipeline


@pytest.fixture(scope="module")
async def story(service: Sales) -> dict[str, Any]:
    """Up to 15 April: the deals, the numbers submitted before and during the quarter, the
    refusals, and the figures read then."""
    await visit(service, datetime(2026, 3, 20, tzinfo=UTC))
    found: dict[str, Any] = {"pipeline": await deals(service)}
    await visit(service, datetime(2026, 3, 25, tzinfo=UTC))
    found["own"] = await submit(service, SALES_REP, LI, "150000.00")
    service.clock.now = datetime(2026, 3, 26, tzinfo=UTC)
    found["adjusted"] = await submit(service, MANAGER, LI, "100000.00", "客户预算推迟，保守估计")
    found["team"] = await submit(service, MANAGER, EAST, "200000.00", "团队合计下调")
    found["west"] = await submit(service, WEST_MANAGER, LI, "900000.00", "不是我的团队")
    found["colleague"] = await submit(service, OTHER_REP, LI, "1.00", "同事")
    found["no_note"] = await submit(service, MANAGER, LI, "110000.00")
    await visit(service, datetime(2026, 4, 15, tzinfo=UTC))
    found["during"] = await submit(service, SALES_REP, LI, "300000.00")
    found["li"] = await service.gql(FORECAST, {"subject": LI, "period": Q2}, headers=SALES_REP)
    found["east"] = await service.gql(FORECAST, {"subject": EAST, "period": Q2}, headers=OTHER_REP)
    found["west_reads_li"] = await service.gql(
        FORECAST, {"subject": LI, "period": Q2}, headers=WEST_MANAGER
    )
    found["early"] = await service.gql(ACCURACY, {"subject": LI, "period": Q2}, headers=ADMIN)
    return found


def submission(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"]["submitForecast"]["submission"]
    return found


async def test_own_numbers_and_a_managers_adjustment_with_its_note(
    service: Sales, story: dict[str, Any]
) -> None:
    own, adjusted = submission(story["own"]), submission(story["adjusted"])
    assert (own["kind"], own["submittedBy"], own["amount"]) == (
        "SUBMITTED",
        "li.lei",
        {"amount": "150000.00", "currency": "CNY"},
    )
    assert (adjusted["kind"], adjusted["note"], adjusted["submittedBy"]) == (
        "ADJUSTED",
        "客户预算推迟，保守估计",
        "wang.fang",
    )
    assert submission(story["team"])["subject"] == {"staffId": None, "team": "east"}
    assert field_codes(story["no_note"]) == {"note": "REQUIRED"}
    audit = await service.db["audit_log"].find_one({"target.id": adjusted["id"]})
    assert audit is not None and audit["action"] == "sales_forecast.submit"
    assert audit["details"]["kind"] == "ADJUSTED"


async def test_a_manager_of_another_team_may_not_adjust(story: dict[str, Any]) -> None:
    for refused in (story["west"], story["colleague"]):
        assert error_code(refused) == "FORBIDDEN", refused
        assert refused["errors"][0]["extensions"]["field"] == "subject.staffId"
    assert error_code(story["west_reads_li"]) == "FORBIDDEN"


async def test_a_persons_figures_by_forecast_category(story: dict[str, Any]) -> None:
    li = story["li"]["data"]["salesForecast"]
    assert (li["period"], li["closedWon"], li["wonDeals"]) == (
        {"label": "FY2026-Q2"},
        {"amount": "120000.00", "currency": "CNY"},
        1,
    )
    assert li["commit"] == {"amount": "300000.00"}
    assert li["bestCase"] == {"amount": "500000.00"}  # commit + 200000 upside
    assert li["pipeline"] == {"amount": "640000.00"}  # not the July or the parked deal
    # 100000 × 10 % + 200000 × 60 % + 300000 × 90 % + 40000 × 50 % (override)
    assert li["weightedPipeline"] == {"amount": "420000.00"}
    assert (li["openDeals"], li["openWithoutBaseAmount"], li["target"]) == (4, 0, None)
    assert [(s["amount"]["amount"], s["kind"]) for s in li["submissions"]] == [
        ("300000.00", "SUBMITTED"),  # the latest counts
        ("100000.00", "ADJUSTED"),
        ("150000.00", "SUBMITTED"),
    ]


async def test_a_teams_figures_add_its_members_deals(story: dict[str, Any]) -> None:
    east = story["east"]["data"]["salesForecast"]
    assert (east["closedWon"]["amount"], east["commit"]["amount"]) == ("120000.00", "300000.00")
    assert (east["bestCase"]["amount"], east["pipeline"]["amount"]) == ("510000.00", "650000.00")
    assert (east["weightedPipeline"]["amount"], east["openDeals"]) == ("426000.00", 5)
    assert [s["note"] for s in east["submissions"]] == ["团队合计下调"]


async def test_accuracy_waits_for_the_period_to_close(story: dict[str, Any]) -> None:
    assert field_codes(story["early"]) == {"period": "PERIOD_NOT_CLOSED"}


@pytest.fixture(scope="module")
async def closed(service: Sales, story: dict[str, Any]) -> None:
    await visit(service, datetime(2026, 7, 5, tzinfo=UTC))


async def test_accuracy_once_the_quarter_is_over(
    service: Sales, story: dict[str, Any], closed: None
) -> None:
    body = await service.gql(ACCURACY, {"subject": EAST, "period": Q2}, headers=MANAGER)
    assert "errors" not in body, body
    lines = {
        line["subject"]["staffId"] or line["subject"]["team"]: line
        for line in body["data"]["forecastAccuracy"]["lines"]
    }
    # the team: 200000 forecast against 120000 won
    assert lines["east"] == {
        "subject": {"staffId": None, "team": "east"},
        "forecast": {"amount": {"amount": "200000.00"}, "kind": "ADJUSTED"},
        "actual": {"amount": "120000.00"},
        "error": {"amount": "80000.00"},
        "biasPercent": "66.67",
        "absolutePercentageError": "66.67",
    }
    # li.lei: the adjustment of 26 March stood at the start, not the number of 15 April
    li = lines["li.lei"]
    assert (li["forecast"]["amount"], li["error"], li["biasPercent"]) == (
        {"amount": "100000.00"},
        {"amount": "-20000.00"},
        "-16.67",
    )
    assert li["absolutePercentageError"] == "16.67"
    han = lines["han.mei"]  # nothing submitted, nothing won
    assert (han["forecast"], han["actual"], han["biasPercent"]) == (None, {"amount": "0.00"}, None)
    late = await submit(service, SALES_REP, LI, "1.00")
    assert field_codes(late) == {"period": "PERIOD_CLOSED"}


async def test_calibration_by_the_probability_before_closing(
    service: Sales, story: dict[str, Any], closed: None
) -> None:
    window = {"pipelineId": story["pipeline"], "from": "2026-04-01", "to": "2026-06-30"}
    body = await service.gql(CALIBRATION, {"filter": window}, headers=ADMIN)
    assert "errors" not in body, body
    found = body["data"]["probabilityCalibration"]
    bands = {b["fromPercent"]: b for b in found["bands"] if b["deals"]}
    assert found["deals"] == 4
    assert bands[10] == {
        "fromPercent": 10, "toPercent": 20, "deals": 1, "won": 0,
        "wonPercent": "0.00", "meanProbabilityPercent": "10.00",
    }  # fmt: skip
    assert (bands[60]["deals"], bands[60]["wonPercent"], bands[60]["meanProbabilityPercent"]) == (
        2,
        "50.00",
        "60.00",
    )
    assert (bands[90]["won"], bands[90]["meanProbabilityPercent"]) == (1, "90.00")
    mine = await service.gql(CALIBRATION, {"filter": window}, headers=SALES_REP)
    assert mine["data"]["probabilityCalibration"]["deals"] == 1  # only the deals they may list
    reversed_ = window | {"from": "2026-07-01"}
    refused = await service.gql(CALIBRATION, {"filter": reversed_}, headers=ADMIN)
    assert field_codes(refused) == {"filter.to": "OUT_OF_RANGE"}
