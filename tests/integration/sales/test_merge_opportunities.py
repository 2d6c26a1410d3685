"""Possible duplicates and merges against the embedded MongoDB: matching and non-matching
names, merges refused for closed deals or other customers, the merge's result and history on
both deals, stale versions, a merged id still answering with `mergedInto`, and who may merge
(ADMIN any deals, a MANAGER their team's, SALES none)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.sales.harness import ADMIN, Sales
from tests.integration.sales.opportunity_support import (
    MANAGER,
    MOVE,
    SALES_REP,
    WEST_MANAGER,
    open_deal,
)

pytestmark = pytest.mark.integration

DUPLICATES = """
query($c: ID) { possibleDuplicateOpportunities(customerId: $c, first: 10) {
  totalCount edges { node { customerId size opportunities { id name } } } } }"""
MERGE = """
mutation($i: MergeOpportunitiesInput!) { mergeOpportunities(input: $i) {
  survivor { id name version status nextStep contacts { name role }
    fieldHistory { edges { node { field newValue } } } }
  merged { id status version mergedIntoId mergedInto { id }
    stageHistory { edges { node { kind } } } fieldHistory { edges { node { field newValue } } } }
} }"""
READ = "query($id: ID!) { opportunity(id: $id) { id status mergedIntoId mergedInto { id } } }"
LIST = """query($c: ID!, $s: [OpportunityStatus!]) {
  opportunities(filter: {customerId: $c, statuses: $s}) { totalCount } }"""


@pytest.fixture(scope="module")
async def pipeline(service: Sales) -> str:
    return await service.new_pipeline()


def contact(name: str, role: str = "USER") -> dict[str, str]:
    return {"name": name, "role": role}


async def test_duplicates_are_open_deals_of_one_customer_with_matching_names(
    service: Sales, pipeline: str
) -> None:
    customer, other = await service.new_customer(), await service.new_customer()
    a = await open_deal(service, pipeline, customer, name="CRM 升级（二期）")
    b = await open_deal(service, pipeline, customer, name="ｃｒｍ升级 二期!")
    await open_deal(service, pipeline, customer, name="CRM 升级三期")  # another name
    await open_deal(service, pipeline, other, name="CRM升级二期")  # another customer
    data = await service.ok(DUPLICATES, {"c": customer})
    groups = data["possibleDuplicateOpportunities"]
    assert groups["totalCount"] == 1
    [group] = [e["node"] for e in groups["edges"]]
    assert group["size"] == 2 and {o["id"] for o in group["opportunities"]} == {a["id"], b["id"]}
    assert (await service.ok(DUPLICATES, {"c": other}))["possibleDuplicateOpportunities"][
        "totalCount"
    ] == 0


async def merge(service: Sales, headers: dict[str, str] | None = None, **i: Any) -> Any:
    return await service.gql(MERGE, {"i": i}, headers=headers or ADMIN)


def field_codes(body: dict[str, Any]) -> dict[str, str]:
    assert body.get("errors"), body
    return {e["field"]: e["code"] for e in body["errors"][0]["extensions"]["fieldErrors"]}


async def test_merge_refuses_closed_deals_other_customers_and_stale_versions(
    service: Sales, pipeline: str
) -> None:
    customer, other = await service.new_customer(), await service.new_customer()
    a = await open_deal(service, pipeline, customer)
    b = await open_deal(service, pipeline, other)
    assert field_codes(await merge(service, survivorId=a["id"], mergedId=b["id"])) == {
        "mergedId": "DIFFERENT_CUSTOMER"
    }
    c = await open_deal(service, pipeline, customer)
    won = await service.gql(
        MOVE,
        {"input": {"id": c["id"], "stageId": "lost", "reason": "PRICE", "note": "预算取消"}},
        headers=ADMIN,
    )
    assert "errors" not in won, won
    assert field_codes(await merge(service, survivorId=a["id"], mergedId=c["id"])) == {
        "mergedId": "CLOSED"
    }
    assert field_codes(await merge(service, survivorId=a["id"], mergedId=a["id"])) == {
        "mergedId": "SAME_OPPORTUNITY"
    }
    d = await open_deal(service, pipeline, customer)
    stale = await merge(service, survivorId=a["id"], mergedId=d["id"], expectedMergedVersion=7)
    assert stale["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert stale["errors"][0]["extensions"]["currentVersion"] == d["version"]
    forbidden = await merge(service, WEST_MANAGER, survivorId=a["id"], mergedId=d["id"])
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_manager_merges_duplicates_of_their_team_only(
    service: Sales, pipeline: str
) -> None:
    customer = await service.new_customer("li.lei", "east")
    own = await open_deal(service, pipeline, customer, MANAGER, ownerId="wang.fang", team="east")
    team = await open_deal(service, pipeline, customer, ownerId="li.lei", team="east")
    other = await open_deal(service, pipeline, customer, ownerId="ma.li", team="west")
    # another team's deal, as survivor or as merged: refused, nothing changes
    for pair in ((own["id"], other["id"]), (other["id"], team["id"])):
        refused = await merge(service, MANAGER, survivorId=pair[0], mergedId=pair[1])
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # SALES never merges, not even within their own deals
    rep = await merge(service, SALES_REP, survivorId=team["id"], mergedId=own["id"])
    assert rep["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # their own deal and a deal of their team: merged
    body = await merge(service, MANAGER, survivorId=own["id"], mergedId=team["id"])
    assert "errors" not in body, body
    merged = body["data"]["mergeOpportunities"]["merged"]
    assert (merged["status"], merged["mergedIntoId"]) == ("MERGED", own["id"])
    # the west manager merges within the west team
    west = await open_deal(service, pipeline, customer, ownerId="ma.li", team="west")
    done = await merge(service, WEST_MANAGER, survivorId=west["id"], mergedId=other["id"])
    assert "errors" not in done, done


async def test_a_merge_unites_contacts_closes_the_merged_deal_and_records_both(
    service: Sales, pipeline: str
) -> None:
    customer = await service.new_customer()
    a = await open_deal(
        service, pipeline, customer, nextStep="报价", contacts=[contact("张三", "CHAMPION")]
    )
    b = await open_deal(
        service,
        pipeline,
        customer,
        name="CRM 升级 新",
        nextStep="演示",
        contacts=[contact("张三"), contact("李四", "DECISION_MAKER")],
    )
    request = {
        "survivorId": a["id"],
        "mergedId": b["id"],
        "expectedSurvivorVersion": a["version"],
        "expectedMergedVersion": b["version"],
        "pick": ["NEXT_STEP"],
        "idempotencyKey": "merge-1",
    }
    body = await merge(service, **request)
    assert "errors" not in body, body
    done = body["data"]["mergeOpportunities"]
    survivor, merged = done["survivor"], done["merged"]
    assert (survivor["name"], survivor["nextStep"], survivor["status"]) == (
        "CRM 升级",
        "演示",
        "OPEN",
    )
    assert survivor["contacts"] == [contact("张三", "CHAMPION"), contact("李四", "DECISION_MAKER")]
    assert {"field": "MERGED_FROM", "newValue": b["id"]} in [
        e["node"] for e in survivor["fieldHistory"]["edges"]
    ]
    assert (merged["status"], merged["mergedIntoId"], merged["mergedInto"]) == (
        "MERGED",
        a["id"],
        {"id": a["id"]},
    )
    assert [e["node"]["kind"] for e in merged["stageHistory"]["edges"]] == ["CREATED", "MERGED"]
    [event] = await service.outbox("opportunity.merged.v1", customer)
    data = event["envelope"]["data"]
    assert (data["survivorId"], data["mergedId"], data["pickedFields"]) == (
        a["id"],
        b["id"],
        ["NEXT_STEP"],
    )
    # a retry with the key answers the first merge; the merged id still reads, pointing on
    again = await merge(service, **request)
    assert again["data"]["mergeOpportunities"]["merged"]["version"] == merged["version"]
    read = (await service.ok(READ, {"id": b["id"]}))["opportunity"]
    assert (read["status"], read["mergedInto"]) == ("MERGED", {"id": a["id"]})
    # lists hide it unless asked; a change of it is CONFLICT naming the survivor
    assert (await service.ok(LIST, {"c": customer}))["opportunities"]["totalCount"] == 1
    merged_only = await service.ok(LIST, {"c": customer, "s": ["MERGED"]})
    assert merged_only["opportunities"]["totalCount"] == 1
    moved = await service.gql(MOVE, {"input": {"id": b["id"], "stageId": "qualified"}})
    assert moved["errors"][0]["extensions"]["conflictingId"] == a["id"]
    dup = await service.ok(DUPLICATES, {"c": customer})
    assert dup["possibleDuplicateOpportunities"]["totalCount"] == 0
