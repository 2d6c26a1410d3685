"""Sales targets against the embedded MongoDB and real RabbitMQ, with the fiscal year starting
in April (FY2026-Q1 is April to June 2026, Beijing time): targets for two members of team
east, deals won inside and outside the quarter (on both sides of local midnight), attainment,
gap, pace, win rate and cycle computed by hand, the team's roll-up and its own target
overriding it, the leaderboard, and who may set and read what."""

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
Q1 = {"kind": "QUARTER", "year": 2026, "number": 1}  # 2026-03-31T16:00Z … 2026-06-30T16:00Z
READ_AT = datetime(2026, 5, 16, 16, 0, tzinfo=UTC)  # 46 of the quarter's 91 days gone by
STAGES: list[dict[str, Any]] = [
    {"id": "lead", "nameZh": "线索", "nameEn": "Lead", "kind": "OPEN", "probability": 10},
    {"id": "won", "nameZh": "赢单", "nameEn": "Won", "kind": "WON", "probability": 100},
    {"id": "lost", "nameZh": "输单", "nameEn": "Lost", "kind": "LOST", "probability": 0},
]

SET = """
mutation($input: SetSalesTargetInput!, $v: Int) {
  setSalesTarget(input: $input, expectedVersion: $v) {
    target { id version amount { amount currency } wonDeals period { label }
             subject { kind staffId team } }
  }
}"""
CLEAR = """
mutation($subject: SalesTargetSubjectInput!, $period: SalesPeriodInput!) {
  clearSalesTarget(subject: $subject, period: $period) { target { id amount { amount } } }
}"""
FIGURES = """
subject { kind staffId team } period { label startsAt endsAt firstDay lastDay }
targetSource target { amount { amount } } targetAmount { amount currency } targetWonDeals
won { amount currency } wonDeals wonWithoutBaseAmount lostDeals winRatePercent
averageCycleDays attainmentPercent wonDealsAttainmentPercent gap { amount } wonDealsGap
pace { elapsedPercent expectedToDate { amount } status projected { amount } }
"""
ATTAINMENT = f"""
query($subject: SalesTargetSubjectInput!, $period: SalesPeriodInput!) {{
  targetAttainment(subject: $subject, period: $period) {{ {FIGURES} }}
}}"""
LEADERBOARD = """
query($team: String!, $period: SalesPeriodInput!) {
  teamLeaderboard(team: $team, period: $period) {
    team period { label }
    attainment { targetSource targetAmount { amount } won { amount } attainmentPercent }
    entries { rank staffId targetAmount { amount } won { amount } wonDeals attainmentPercent }
  }
}"""
TARGETS = """
query($filter: SalesTargetFilterInput) {
  salesTargets(filter: $filter) {
    totalCount edges { node { subject { staffId team } period { label } } }
  }
}"""
MOVE = """
mutation($input: MoveOpportunityInput!) { moveOpportunity(input: $input) { opportunity { id } } }
"""


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def service(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Sales]:
    options = SalesSettings(customer_wait_seconds=0.5, fiscal_year_start_month=4)
    clock = Clock(datetime(2026, 3, 20, tzinfo=UTC))
    async with serve_sales(mongodb_uri, amqp_url, options=options, clock=clock) as sales:
        yield sales


async def close_at(service: Sales, deal: dict[str, Any], stage: str, at: datetime) -> None:
    service.clock.now = at
    reason = "PRICE" if stage == "won" else "COMPETITOR"
    await service.ok(MOVE, {"input": {"id": deal["id"], "stageId": stage, "reason": reason}})


@pytest.fixture(scope="module")
async def deals(service: Sales) -> None:
    """Deals created on 20 March and closed around and inside the quarter; then, mid-quarter,
    everyone uses the service (the staff directory records them as active)."""
    pipeline = await service.new_pipeline(STAGES)

    async def deal(owner: str, team: str, amount: str | None) -> dict[str, Any]:
        customer = await service.new_customer(owner, team)
        extra = {"amount": amount} if amount else {}
        return await open_deal(
            service, pipeline, customer, ADMIN, ownerId=owner, team=team, **extra
        )

    before = await deal("li.lei", "east", "100000.00")
    first = await deal("li.lei", "east", "120000.00")
    second = await deal("han.mei", "east", "50000.00")
    unpriced = await deal("han.mei", "east", None)
    lost = await deal("li.lei", "east", "30000.00")
    after = await deal("han.mei", "east", "80000.00")
    west = await deal("zhou.li", "west", "70000.00")
    await close_at(service, before, "won", datetime(2026, 3, 31, 15, 30, tzinfo=UTC))  # 23:30
    await close_at(service, first, "won", datetime(2026, 3, 31, 16, 30, tzinfo=UTC))  # 00:30
    await close_at(service, second, "won", datetime(2026, 4, 10, tzinfo=UTC))
    await close_at(service, unpriced, "won", datetime(2026, 4, 11, tzinfo=UTC))
    await close_at(service, lost, "lost", datetime(2026, 4, 12, tzinfo=UTC))
    await close_at(service, west, "won", datetime(2026, 4, 20, tzinfo=UTC))
    await close_at(service, after, "won", datetime(2026, 7, 1, tzinfo=UTC))  # Q2
    service.clock.now = READ_AT
    for who in (ADMIN, SALES_REP, OTHER_REP, MANAGER, WEST_MANAGER, WEST_REP, ANALYST):
        await service.ok("{ closeReasons { won { code } } }", headers=who)


async def set_target(
    service: Sales, headers: dict[str, str], subject: dict[str, str], amount: str, **more: Any
) -> dict[str, Any]:
    variables = {"input": {"subject": subject, "period": Q1, "amount": amount} | more}
    return await service.gql(SET, variables, headers=headers)


async def attainment(
    service: Sales, subject: dict[str, str], headers: dict[str, str] = ADMIN
) -> dict[str, Any]:
    body = await service.gql(ATTAINMENT, {"subject": subject, "period": Q1}, headers=headers)
    return body


@pytest.fixture(scope="module")
async def targets(service: Sales, deals: None) -> None:
    li = await set_target(service, MANAGER, {"staffId": "li.lei"}, "200000.00", wonDeals=2)
    assert li["data"]["setSalesTarget"]["target"]["version"] == 1, li
    han = await set_target(service, ADMIN, {"staffId": "han.mei"}, "100000.00")
    assert han["data"]["setSalesTarget"]["target"]["period"] == {"label": "FY2026-Q1"}, han


async def test_a_persons_attainment_counts_what_they_won_in_the_quarter(
    service: Sales, targets: None
) -> None:
    found = (await attainment(service, {"staffId": "li.lei"}, SALES_REP))["data"]
    li = found["targetAttainment"]
    assert li["period"] == {
        "label": "FY2026-Q1",
        "startsAt": "2026-03-31T16:00:00+00:00",
        "endsAt": "2026-06-30T16:00:00+00:00",
        "firstDay": "2026-04-01",
        "lastDay": "2026-06-30",
    }
    # Won at 00:30 on 1 April (not the one at 23:30 on 31 March); one lost.
    assert (li["won"], li["wonDeals"], li["lostDeals"]) == (
        {"amount": "120000.00", "currency": "CNY"},
        1,
        1,
    )
    assert (li["targetSource"], li["targetAmount"], li["targetWonDeals"]) == (
        "EXPLICIT",
        {"amount": "200000.00", "currency": "CNY"},
        2,
    )
    assert (li["attainmentPercent"], li["gap"], li["wonDealsAttainmentPercent"]) == (
        "60.00",
        {"amount": "80000.00"},
        "50.00",
    )
    assert (li["winRatePercent"], li["averageCycleDays"], li["wonDealsGap"]) == ("50.00", "11.7", 1)
    # 46 / 91 of the quarter: 200000 × 46 / 91 = 101098.90 expected; 120000 × 91 / 46 projected.
    assert li["pace"] == {
        "elapsedPercent": "50.55",
        "expectedToDate": {"amount": "101098.90"},
        "status": "AHEAD",
        "projected": {"amount": "237391.30"},
    }
    han = (await attainment(service, {"staffId": "han.mei"}))["data"]["targetAttainment"]
    assert (han["won"]["amount"], han["wonDeals"], han["wonWithoutBaseAmount"]) == (
        "50000.00",
        2,
        1,
    )
    assert (han["attainmentPercent"], han["pace"]["status"]) == ("50.00", "BEHIND")
    assert (han["averageCycleDays"], han["winRatePercent"]) == ("21.5", "100.00")


async def test_a_team_rolls_up_until_it_has_its_own_target(service: Sales, targets: None) -> None:
    east = (await attainment(service, {"team": "east"}, OTHER_REP))["data"]["targetAttainment"]
    assert (east["targetSource"], east["target"], east["targetAmount"]["amount"]) == (
        "ROLLED_UP",
        None,
        "300000.00",
    )
    # 120000 + 50000 won by the team in the quarter (the west deal is not theirs).
    assert (east["won"]["amount"], east["wonDeals"], east["attainmentPercent"]) == (
        "170000.00",
        3,
        "56.67",
    )
    assert (east["targetWonDeals"], east["winRatePercent"]) == (2, "75.00")
    own = await set_target(service, MANAGER, {"team": "east"}, "250000.00")
    assert own["data"]["setSalesTarget"]["target"]["subject"] == {
        "kind": "TEAM",
        "staffId": None,
        "team": "east",
    }
    east = (await attainment(service, {"team": "east"}))["data"]["targetAttainment"]
    assert (east["targetSource"], east["target"], east["attainmentPercent"]) == (
        "EXPLICIT",
        {"amount": {"amount": "250000.00"}},
        "68.00",
    )
    cleared = await service.ok(CLEAR, {"subject": {"team": "east"}, "period": Q1})
    assert cleared["clearSalesTarget"]["target"]["amount"] == {"amount": "250000.00"}
    east = (await attainment(service, {"team": "east"}))["data"]["targetAttainment"]
    assert east["targetSource"] == "ROLLED_UP"


async def test_the_leaderboard_ranks_the_teams_members(service: Sales, targets: None) -> None:
    board = (await service.ok(LEADERBOARD, {"team": "east", "period": Q1}, headers=OTHER_REP))[
        "teamLeaderboard"
    ]
    assert board["attainment"] == {
        "targetSource": "ROLLED_UP",
        "targetAmount": {"amount": "300000.00"},
        "won": {"amount": "170000.00"},
        "attainmentPercent": "56.67",
    }
    assert board["entries"] == [
        {"rank": 1, "staffId": "li.lei", "targetAmount": {"amount": "200000.00"},
         "won": {"amount": "120000.00"}, "wonDeals": 1, "attainmentPercent": "60.00"},
        {"rank": 2, "staffId": "han.mei", "targetAmount": {"amount": "100000.00"},
         "won": {"amount": "50000.00"}, "wonDeals": 2, "attainmentPercent": "50.00"},
        {"rank": 3, "staffId": "wang.fang", "targetAmount": None,
         "won": {"amount": "0.00"}, "wonDeals": 0, "attainmentPercent": None},
    ]  # fmt: skip
    refused = await service.gql(LEADERBOARD, {"team": "east", "period": Q1}, headers=WEST_MANAGER)
    assert (refused["data"], error_code(refused)) == ({"teamLeaderboard": None}, "FORBIDDEN")
    unknown = await service.gql(LEADERBOARD, {"team": "north", "period": Q1})
    assert field_codes(unknown) == {"team": "UNKNOWN_TEAM"}


async def test_unknown_people_and_teams_and_a_second_target_are_refused(
    service: Sales, targets: None
) -> None:
    ghost = await set_target(service, ADMIN, {"staffId": "ghost"}, "1.00")
    assert field_codes(ghost) == {"subject.staffId": "UNKNOWN_STAFF"}
    analyst = await set_target(service, ADMIN, {"staffId": "zhao.min"}, "1.00")
    assert field_codes(analyst) == {"subject.staffId": "UNKNOWN_STAFF"}  # not sales staff
    north = await set_target(service, ADMIN, {"team": "north"}, "1.00")
    assert field_codes(north) == {"subject.team": "UNKNOWN_TEAM"}
    bad = await set_target(service, ADMIN, {"staffId": "li.lei", "team": "east"}, "-1")
    assert field_codes(bad) == {"subject.team": "NOT_APPLICABLE", "amount": "NEGATIVE"}
    again = await set_target(service, ADMIN, {"staffId": "li.lei"}, "1.00")
    extensions = again["errors"][0]["extensions"]
    assert (extensions["code"], extensions["field"], extensions["currentVersion"]) == (
        "CONFLICT",
        "period",
        1,
    )
    changed = await service.gql(
        SET,
        {"input": {"subject": {"staffId": "li.lei"}, "period": Q1, "amount": "200000.00",
                   "wonDeals": 2}, "v": 1},
        headers=MANAGER,
    )  # fmt: skip
    assert changed["data"]["setSalesTarget"]["target"]["version"] == 2, changed


async def test_only_admin_and_the_teams_manager_set_targets(service: Sales, targets: None) -> None:
    west = await set_target(service, WEST_MANAGER, {"staffId": "li.lei"}, "1.00", wonDeals=1)
    assert (west["data"], error_code(west)) == (None, "FORBIDDEN")
    own = await set_target(service, SALES_REP, {"staffId": "li.lei"}, "999999.00")
    assert error_code(own) == "FORBIDDEN"
    team = await set_target(service, WEST_MANAGER, {"team": "east"}, "1.00")
    assert error_code(team) == "FORBIDDEN"
    month = {"kind": "MONTH", "year": 2026, "number": 5}
    mine = await service.gql(
        SET,
        {"input": {"subject": {"team": "west"}, "period": month, "amount": "70000.00"}},
        headers=WEST_MANAGER,
    )
    assert mine["data"]["setSalesTarget"]["target"]["period"] == {"label": "2026-05"}, mine


async def test_each_role_reads_only_its_own_figures(service: Sales, targets: None) -> None:
    peer = await attainment(service, {"staffId": "li.lei"}, OTHER_REP)
    assert (peer["data"]["targetAttainment"], error_code(peer)) == (None, "FORBIDDEN")
    other_team = await attainment(service, {"team": "east"}, WEST_REP)
    assert error_code(other_team) == "FORBIDDEN"
    assert (await attainment(service, {"staffId": "li.lei"}, ANALYST))["data"]["targetAttainment"]
    assert (await attainment(service, {"staffId": "li.lei"}, MANAGER))["data"]["targetAttainment"]
    mine = await service.ok(TARGETS, headers=SALES_REP)
    assert [e["node"]["subject"]["staffId"] for e in mine["salesTargets"]["edges"]] == ["li.lei"]
    team = await service.ok(TARGETS, {"filter": {"team": "east"}}, headers=MANAGER)
    assert {e["node"]["subject"]["staffId"] for e in team["salesTargets"]["edges"]} == {
        "li.lei",
        "han.mei",
    }
    service_role = auth_headers(sub="sam", roles=("SERVICE",), team="east")
    assert error_code(await service.gql(TARGETS, headers=service_role)) == "FORBIDDEN"
