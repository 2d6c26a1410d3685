"""Reading opportunities: one by id, filtered and ordered keyset lists, and access — SALES
their own, MANAGER their team's, ADMIN all, ANALYST all read-only with names masked."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.sales.harness import Sales
from tests.integration.sales.opportunity_support import (
    ANALYST,
    LIST,
    MANAGER,
    MOVE,
    OTHER_REP,
    READ,
    SALES_REP,
    UPDATE,
    WEST_MANAGER,
    open_deal,
)
from tests.support import error_code, error_codes

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


CREATE_ID = """
mutation($i: CreateOpportunityInput!) { createOpportunity(input: $i) { opportunity { id } } }"""


@pytest.fixture(scope="module")
async def pipeline(service: Sales) -> str:
    return await service.new_pipeline()


async def listed(
    service: Sales, headers: dict[str, str] | None = None, **variables: Any
) -> dict[str, Any]:
    data = await service.ok(LIST, variables, headers=headers or service.headers)
    found: dict[str, Any] = data["opportunities"]
    return found


def names(page: dict[str, Any]) -> list[str]:
    return [edge["node"]["name"] for edge in page["edges"]]


async def test_filters_narrow_and_orders_page_without_gaps(service: Sales, pipeline: str) -> None:
    customer = await service.new_customer()
    deals = [("A", "300.00", "2026-05-01"), ("B", "100.00", None), ("C", "200.00", "2026-04-01")]
    for name, amount, close in deals:
        fields: dict[str, Any] = {"name": name, "amount": amount}
        if close:
            fields["expectedCloseDate"] = close
        await open_deal(service, pipeline, customer, **fields)
    mine = {"customerId": customer}
    by_amount = {"field": "AMOUNT", "direction": "DESC"}
    first = await listed(service, filter=mine, orderBy=by_amount, first=2)
    assert (names(first), first["totalCount"], first["pageInfo"]["hasNextPage"]) == (
        ["A", "C"],
        3,
        True,
    )
    after = first["pageInfo"]["endCursor"]
    rest = await listed(service, filter=mine, orderBy=by_amount, first=2, after=after)
    assert names(rest) == ["B"] and rest["pageInfo"]["hasNextPage"] is False
    by_close = {"field": "EXPECTED_CLOSE_DATE", "direction": "ASC"}
    assert names(await listed(service, filter=mine, orderBy=by_close)) == ["C", "A", "B"]
    april = {**mine, "expectedClose": {"from": "2026-04-01", "to": "2026-04-30"}}
    assert names(await listed(service, filter=april)) == ["C"]
    other_order = await service.gql(LIST, {"filter": mine, "orderBy": by_close, "after": after})
    assert error_code(other_order) == "BAD_USER_INPUT"
    assert other_order["errors"][0]["extensions"]["fieldErrors"][0]["field"] == "after"
    reversed_range = {**mine, "expectedClose": {"from": "2026-05-01", "to": "2026-04-01"}}
    body = await service.gql(LIST, {"filter": reversed_range})
    assert body["errors"][0]["extensions"]["fieldErrors"][0]["field"] == "filter.expectedClose.to"
    too_many = await service.gql(LIST, {"first": 101})
    assert body["errors"] and error_code(too_many) == "BAD_USER_INPUT"


async def test_status_stage_and_owner_filters(service: Sales, pipeline: str) -> None:
    customer = await service.new_customer(owner_id="li.lei")
    open_one = await open_deal(service, pipeline, customer, headers=SALES_REP, name="open")
    lost = await open_deal(service, pipeline, customer, headers=SALES_REP, name="lost")
    await service.ok(
        MOVE,
        {"input": {"id": lost["id"], "stageId": "lost", "reason": "PRICE", "note": "太贵"}},
        headers=SALES_REP,
    )
    base = {"customerId": customer}
    assert names(await listed(service, filter={**base, "statuses": ["LOST"]})) == ["lost"]
    assert names(await listed(service, filter={**base, "stageIds": ["lead"]})) == ["open"]
    owned = await listed(service, filter={**base, "ownerId": "li.lei", "team": "east"})
    assert open_one["ownerId"] == "li.lei" and len(owned["edges"]) == 2
    assert (await listed(service, filter={**base, "ownerId": "someone"}))["totalCount"] == 0


async def test_sales_reps_see_and_change_their_own_deals_only(
    service: Sales, pipeline: str
) -> None:
    theirs = await service.new_customer(owner_id="li.lei")
    deal = await open_deal(service, pipeline, theirs, headers=SALES_REP)
    assert (deal["ownerId"], deal["team"], deal["viewerCanUpdate"]) == ("li.lei", "east", True)
    other = await service.gql(READ, {"id": deal["id"]}, headers=OTHER_REP)
    assert other["data"]["opportunity"] is None and error_code(other) == "FORBIDDEN"
    listed_by_other = await listed(service, OTHER_REP, filter={"customerId": theirs})
    assert listed_by_other["totalCount"] == 0
    change = await service.gql(
        UPDATE, {"id": deal["id"], "input": {"nextStep": "x"}, "v": 1}, headers=OTHER_REP
    )
    assert error_code(change) == "FORBIDDEN"
    for_someone_else = await service.gql(
        CREATE_ID,
        {"i": {"customerId": theirs, "pipelineId": pipeline, "name": "x", "ownerId": "han.mei"}},
        headers=SALES_REP,
    )
    assert error_code(for_someone_else) == "FORBIDDEN"
    not_their_customer = await service.gql(
        CREATE_ID,
        {"i": {"customerId": theirs, "pipelineId": pipeline, "name": "x"}},
        headers=OTHER_REP,
    )
    assert error_code(not_their_customer) == "FORBIDDEN"


async def test_managers_reach_their_team_and_analysts_read_masked(
    service: Sales, pipeline: str
) -> None:
    customer = await service.new_customer(owner_id="li.lei")
    deal = await open_deal(
        service,
        pipeline,
        customer,
        headers=SALES_REP,
        contacts=[{"name": "张伟", "role": "CHAMPION"}],
    )
    seen = (await service.ok(READ, {"id": deal["id"]}, headers=MANAGER))["opportunity"]
    assert seen["viewerCanUpdate"] is True and seen["contacts"][0]["name"] == "张伟"
    west = await service.gql(READ, {"id": deal["id"]}, headers=WEST_MANAGER)
    assert error_codes(west) == {"FORBIDDEN"}
    analysed = (await service.ok(READ, {"id": deal["id"]}, headers=ANALYST))["opportunity"]
    assert analysed["viewerCanUpdate"] is False
    assert analysed["contacts"] == [{"name": "张**", "role": "CHAMPION"}]
    refused = await service.gql(
        UPDATE, {"id": deal["id"], "input": {"nextStep": "x"}, "v": 1}, headers=ANALYST
    )
    assert error_code(refused) == "FORBIDDEN"
    counted = await listed(service, ANALYST, filter={"customerId": customer})
    assert counted["totalCount"] == 1


async def test_an_unknown_id_is_null_with_not_found(service: Sales) -> None:
    body = await service.gql(READ, {"id": "missing"})
    assert body["data"]["opportunity"] is None and error_code(body) == "NOT_FOUND"
