"""Ownership against the embedded MongoDB and real RabbitMQ: assignOpportunity by role (own /
team / other deal), the field history and `opportunity.assigned.v1` once, stale versions, and
bulkAssignOpportunities with per-item results and its limit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from crm_sales.settings import SalesSettings
from tests.integration.sales.harness import ADMIN, Sales, serve_sales
from tests.integration.sales.opportunity_support import (
    MANAGER,
    SALES_REP,
    WEST_MANAGER,
    open_deal,
)

pytestmark = pytest.mark.integration
LIMIT = 5

ASSIGN = """
mutation($id: ID!, $owner: ID!, $team: String, $v: Int) {
  assignOpportunity(id: $id, ownerId: $owner, team: $team, expectedVersion: $v) {
    opportunity { id ownerId team version viewerCanAssign
      fieldHistory { edges { node { field oldValue newValue actorId } } } }
  }
}"""
BULK = """
mutation($ids: [ID!], $filter: OpportunityFilterInput, $owner: ID!, $team: String) {
  bulkAssignOpportunities(ids: $ids, filter: $filter, ownerId: $owner, team: $team) {
    succeeded failed truncated items { id ok version code message }
  }
}"""


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def service(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Sales]:
    options = SalesSettings(customer_wait_seconds=0.5, bulk_max_items=LIMIT)
    async with serve_sales(mongodb_uri, amqp_url, options=options) as sales:
        yield sales


@pytest.fixture(scope="module")
async def pipeline(service: Sales) -> str:
    return await service.new_pipeline()


async def deal(service: Sales, pipeline: str, owner: str, team: str) -> dict[str, Any]:
    customer = await service.new_customer(owner, team)
    return await open_deal(service, pipeline, customer, ADMIN, ownerId=owner, team=team)


async def assign(service: Sales, headers: dict[str, str], **variables: Any) -> dict[str, Any]:
    return await service.gql(ASSIGN, variables, headers=headers)


def code(body: dict[str, Any]) -> str:
    assert body.get("errors"), body
    return str(body["errors"][0]["extensions"]["code"])


async def test_a_manager_reassigns_within_the_team_recorded_and_published_once(
    service: Sales, pipeline: str
) -> None:
    o = await deal(service, pipeline, "li.lei", "east")
    body = await assign(service, MANAGER, id=o["id"], owner="han.mei", v=o["version"])
    assert "errors" not in body, body
    done = body["data"]["assignOpportunity"]["opportunity"]
    assert (done["ownerId"], done["team"], done["version"]) == ("han.mei", "east", 2)
    history = [e["node"] for e in done["fieldHistory"]["edges"]]
    assert {
        "field": "OWNER",
        "oldValue": "li.lei",
        "newValue": "han.mei",
        "actorId": "wang.fang",
    } in history
    [event] = await service.outbox("opportunity.assigned.v1", o["customerId"])
    data = event["envelope"]["data"]
    assert (data["ownerId"], data["previousOwnerId"], data["previousTeam"]) == (
        "han.mei",
        "li.lei",
        "east",
    )
    assert data["actorId"] == "wang.fang" and data["opportunity"]["id"] == o["id"]
    # the same owner again: nothing changes, nothing is published
    again = await assign(service, MANAGER, id=o["id"], owner="han.mei")
    assert "errors" not in again, again
    assert again["data"]["assignOpportunity"]["opportunity"]["version"] == 2
    assert len(await service.outbox("opportunity.assigned.v1", o["customerId"])) == 1


async def test_access_by_role_own_team_and_other(service: Sales, pipeline: str) -> None:
    own = await deal(service, pipeline, "li.lei", "east")
    other = await deal(service, pipeline, "ma.li", "west")
    # SALES may not reassign, not even their own deal
    assert code(await assign(service, SALES_REP, id=own["id"], owner="han.mei")) == "FORBIDDEN"
    # MANAGER: not another team's deal, not out of their team
    assert code(await assign(service, MANAGER, id=other["id"], owner="wang.fang")) == "FORBIDDEN"
    moved_out = await assign(service, MANAGER, id=own["id"], owner="x", team="west")
    assert code(moved_out) == "FORBIDDEN"
    # ... not even by taking the deal themselves into another team
    taken_out = await assign(service, MANAGER, id=own["id"], owner="wang.fang", team="west")
    assert code(taken_out) == "FORBIDDEN"
    assert code(await assign(service, WEST_MANAGER, id=own["id"], owner="zhou.jie")) == "FORBIDDEN"
    # ADMIN: anything
    body = await assign(service, ADMIN, id=other["id"], owner="li.lei", team="east")
    assert body["data"]["assignOpportunity"]["opportunity"]["team"] == "east"
    assert await service.outbox("opportunity.assigned.v1", own["customerId"]) == []


async def test_a_stale_version_is_a_conflict_and_bad_input_names_the_field(
    service: Sales, pipeline: str
) -> None:
    o = await deal(service, pipeline, "li.lei", "east")
    stale = await assign(service, ADMIN, id=o["id"], owner="han.mei", v=o["version"] + 3)
    assert code(stale) == "CONFLICT"
    assert stale["errors"][0]["extensions"]["currentVersion"] == o["version"]
    blank = await assign(service, ADMIN, id=o["id"], owner="  ")
    assert blank["errors"][0]["extensions"]["fieldErrors"][0]["field"] == "ownerId"
    assert code(await assign(service, ADMIN, id="nope", owner="han.mei")) == "NOT_FOUND"


async def test_bulk_gives_a_result_per_item_and_keeps_to_its_limit(
    service: Sales, pipeline: str
) -> None:
    mine = [await deal(service, pipeline, "li.lei", "east") for _ in range(2)]
    theirs = await deal(service, pipeline, "ma.li", "west")
    ids = [mine[0]["id"], theirs["id"], mine[1]["id"], "missing"]
    body = await service.gql(BULK, {"ids": ids, "owner": "han.mei"}, headers=MANAGER)
    result = body["data"]["bulkAssignOpportunities"]
    assert (result["succeeded"], result["failed"], result["truncated"]) == (2, 2, False)
    assert [(i["id"], i["ok"], i["code"]) for i in result["items"]] == [
        (mine[0]["id"], True, None),
        (theirs["id"], False, "FORBIDDEN"),
        (mine[1]["id"], True, None),
        ("missing", False, "NOT_FOUND"),
    ]
    assert [i["version"] for i in result["items"] if i["ok"]] == [2, 2]
    too_many = await service.gql(BULK, {"ids": [f"o{i}" for i in range(LIMIT + 1)], "owner": "a"})
    assert too_many["errors"][0]["extensions"]["fieldErrors"][0] == {
        "field": "ids",
        "code": "TOO_MANY",
        "message": too_many["errors"][0]["extensions"]["fieldErrors"][0]["message"],
    }
    both = await service.gql(BULK, {"ids": [], "filter": {}, "owner": "a"})
    assert both["errors"][0]["extensions"]["fieldErrors"][0]["code"] == "IDS_OR_FILTER"
    sales = await service.gql(BULK, {"ids": [mine[0]["id"]], "owner": "a"}, headers=SALES_REP)
    assert code(sales) == "FORBIDDEN"


async def test_bulk_by_filter_takes_the_oldest_within_the_limit(
    service: Sales, pipeline: str
) -> None:
    customer = await service.new_customer("li.lei", "east")
    for _ in range(LIMIT + 2):
        await open_deal(service, pipeline, customer, ADMIN, ownerId="li.lei", team="east")
    variables = {"filter": {"customerId": customer, "ownerId": "li.lei"}, "owner": "han.mei"}
    first = (await service.gql(BULK, variables))["data"]["bulkAssignOpportunities"]
    assert (first["succeeded"], first["truncated"]) == (LIMIT, True)
    second = (await service.gql(BULK, variables))["data"]["bulkAssignOpportunities"]
    assert (second["succeeded"], second["truncated"]) == (2, False)
    assert len(await service.outbox("opportunity.assigned.v1", customer)) == LIMIT + 2
