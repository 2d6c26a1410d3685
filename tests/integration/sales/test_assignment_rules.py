"""Opportunity assignment rules against the embedded MongoDB and real RabbitMQ: a matching rule
picks a member of its team (round robin spreading, least loaded), else the customer's owner
(active in sales, within the creator's assign scope), else the creator; every create records
why (`assignedBy`), and a chosen owner is an assignment (history, `opportunity.assigned.v1`);
lead conversions follow the rules too; ADMIN's rule edits with their field errors, versions and
order; and a bulk assignment's events name their call as a batch.

Rules apply to every create of the service, so each test has pipelines and teams of its own
(every rule here names its pipelines: none catches another test's deals)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from tests.integration.sales.harness import ADMIN, Sales
from tests.integration.sales.opportunity_support import MANAGER, SALES_REP, field_codes
from tests.support import auth_headers

pytestmark = pytest.mark.integration

DEAL = """
id ownerId team version
assignedBy { reason ruleId ruleName strategy actorId }
fieldHistory { edges { node { field oldValue newValue actorId } } }
"""
CREATE = f"""
mutation($input: CreateOpportunityInput!) {{
  createOpportunity(input: $input) {{ opportunity {{ {DEAL} }} }}
}}"""
CONVERT = f"""
mutation($input: ConvertLeadToOpportunityInput!) {{
  convertLeadToOpportunity(input: $input) {{ opportunity {{ {DEAL} }} }}
}}"""
RULE = """id name version position team strategy pipelineIds sources active
amountMin { amount currency } amountMax { amount }"""
CREATE_RULE = f"""
mutation($input: OpportunityAssignmentRuleInput!, $key: String) {{
  createOpportunityAssignmentRule(input: $input, idempotencyKey: $key) {{ rule {{ {RULE} }} }}
}}"""
UPDATE_RULE = f"""
mutation($id: ID!, $input: OpportunityAssignmentRuleInput!, $v: Int) {{
  updateOpportunityAssignmentRule(id: $id, input: $input, expectedVersion: $v) {{
    rule {{ {RULE} }} }}
}}"""
DELETE_RULE = """
mutation($id: ID!) { deleteOpportunityAssignmentRule(id: $id) { id deleted } }"""
REORDER = f"""
mutation($ids: [ID!]!) {{
  reorderOpportunityAssignmentRules(ids: $ids) {{ rules {{ {RULE} }} }}
}}"""
RULES = f"""
query($filter: OpportunityAssignmentRuleFilterInput) {{
  opportunityAssignmentRules(filter: $filter) {{ {RULE} }}
}}"""
BULK = """
mutation($ids: [ID!], $owner: ID!) {
  bulkAssignOpportunities(ids: $ids, ownerId: $owner) { succeeded }
}"""
SEEN = "{ pipelines { id } }"  # any request records its caller in the staff rules pick from


def rep(sub: str, team: str, *roles: str) -> dict[str, str]:
    return auth_headers(sub=sub, roles=roles or ("SALES",), team=team)


def team_of(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


async def seen(service: Sales, *callers: dict[str, str]) -> None:
    for headers in callers:
        assert "errors" not in await service.gql(SEEN, headers=headers)


async def new_rule(service: Sales, **fields: Any) -> dict[str, Any]:
    body = await service.gql(CREATE_RULE, {"input": {"name": "规则"} | fields}, headers=ADMIN)
    assert "errors" not in body, body
    rule: dict[str, Any] = body["data"]["createOpportunityAssignmentRule"]["rule"]
    return rule


async def create(
    service: Sales, pipeline: str, customer: str, headers: dict[str, str] = ADMIN, **fields: Any
) -> dict[str, Any]:
    payload = {"customerId": customer, "pipelineId": pipeline, "name": "CRM 升级"} | fields
    body = await service.gql(CREATE, {"input": payload}, headers=headers)
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"]["createOpportunity"]["opportunity"]
    return found


async def test_a_rule_spreads_deals_round_robin_over_its_teams_active_sales_members(
    service: Sales,
) -> None:
    pipeline, team = await service.new_pipeline(), team_of("rr")
    members = [rep(f"{team}-{n}", team) for n in ("a", "b", "c")]
    await seen(service, *members, rep(f"{team}-boss", team, "MANAGER"))  # a MANAGER: no pick
    rule = await new_rule(service, team=team, pipelineIds=[pipeline], sources=["展会"])
    customer = await service.new_customer()
    deals = [await create(service, pipeline, customer, source="展会") for _ in range(6)]
    owners = Counter(d["ownerId"] for d in deals)
    assert owners == {f"{team}-a": 2, f"{team}-b": 2, f"{team}-c": 2}
    first = deals[0]
    assert (first["team"], first["version"]) == (team, 2)  # opened (1), then handed over (2)
    assert first["assignedBy"] == {
        "reason": "RULE",
        "ruleId": rule["id"],
        "ruleName": "规则",
        "strategy": "ROUND_ROBIN",
        "actorId": "alice",
    }
    history = [e["node"] for e in first["fieldHistory"]["edges"]]
    assert {"field": "OWNER", "oldValue": "alice", "newValue": first["ownerId"],
            "actorId": "alice"} in history  # fmt: skip
    # the create published the deal as its creator's; the assignment tells the new owner
    created = await service.outbox("opportunity.created.v1", customer)
    assigned = await service.outbox("opportunity.assigned.v1", customer)
    assert {e["envelope"]["data"]["opportunity"]["ownerId"] for e in created} == {"alice"}
    data = assigned[0]["envelope"]["data"]
    assert (data["ownerId"], data["previousOwnerId"], data["actorId"]) == (
        first["ownerId"],
        "alice",
        "alice",
    )
    assert data["assignedBy"] == {"reason": "RULE", "ruleId": rule["id"]}
    assert len(assigned) == 6
    # another source: the rule does not match, and the ADMIN's own customer stays theirs
    other = await create(service, pipeline, customer, source="转介绍")
    assert (other["ownerId"], other["version"]) == ("alice", 1)
    assert other["assignedBy"]["reason"] == "CUSTOMER_OWNER"


async def test_least_loaded_gives_the_member_with_fewest_open_deals(service: Sales) -> None:
    pipeline, team = await service.new_pipeline(), team_of("ll")
    busy, idle = f"{team}-busy", f"{team}-idle"
    await seen(service, rep(busy, team), rep(idle, team))
    customer = await service.new_customer()
    for _ in range(2):
        await create(service, pipeline, customer, ownerId=busy, team=team)
    await new_rule(
        service,
        team=team,
        strategy="LEAST_LOADED",
        pipelineIds=[pipeline],
        amountMin="100000",
        amountMax="1000000",
    )
    picked = [
        (await create(service, pipeline, customer, amount="200000.00"))["ownerId"] for _ in range(2)
    ]
    assert picked == [idle, idle]
    # below the band: no rule; the ADMIN's customer stays the ADMIN's
    small = await create(service, pipeline, customer, amount="99999.99")
    assert small["ownerId"] == "alice"


async def test_without_a_rule_the_customers_active_owner_else_the_creator(
    service: Sales,
) -> None:
    pipeline = await service.new_pipeline()
    owner = "zhang.wei"
    await seen(service, rep(owner, "east"), MANAGER)
    # an east MANAGER opening a deal of an east rep's customer: the rep gets it
    customer = await service.new_customer(owner, "east")
    mine = await create(service, pipeline, customer, MANAGER)
    assert (mine["ownerId"], mine["team"], mine["version"]) == (owner, "east", 2)
    assert mine["assignedBy"]["reason"] == "CUSTOMER_OWNER"
    [event] = await service.outbox("opportunity.assigned.v1", customer)
    data = event["envelope"]["data"]
    assert (data["previousOwnerId"], data["actorId"]) == ("wang.fang", "wang.fang")
    assert data["assignedBy"] == {"reason": "CUSTOMER_OWNER", "ruleId": None}
    # an owner sales has never seen: the creator keeps it
    kept = await create(service, pipeline, await service.new_customer("never.seen"), MANAGER)
    assert (kept["ownerId"], kept["version"]) == ("wang.fang", 1)
    assert kept["assignedBy"]["reason"] == "CREATOR"
    # an owner not seen for longer than the activity window is not active
    stale = service.clock.now - timedelta(days=31)
    await service.db["staff"].update_one({"_id": owner}, {"$set": {"seenAt": stale}})
    away = await create(service, pipeline, await service.new_customer(owner, "east"), MANAGER)
    assert (away["ownerId"], away["assignedBy"]["reason"]) == ("wang.fang", "CREATOR")
    # a SALES rep's deal of their own customer is theirs; a named owner is NAMED, no event
    await seen(service, SALES_REP)
    own = await create(service, pipeline, await service.new_customer("li.lei", "east"), SALES_REP)
    assert (own["ownerId"], own["version"], own["assignedBy"]["reason"]) == (
        "li.lei",
        1,
        "CUSTOMER_OWNER",
    )
    customer = await service.new_customer(owner, "east")
    named = await create(service, pipeline, customer, MANAGER, ownerId="wang.fang")
    assert (named["ownerId"], named["assignedBy"]["reason"]) == ("wang.fang", "NAMED")
    assert await service.outbox("opportunity.assigned.v1", customer) == []


async def test_a_rule_whose_team_has_no_active_sales_member_falls_through(
    service: Sales,
) -> None:
    pipeline, team = await service.new_pipeline(), team_of("mgr")
    await seen(service, rep(f"{team}-boss", team, "MANAGER"))
    await new_rule(service, team=team, pipelineIds=[pipeline])
    deal = await create(service, pipeline, await service.new_customer())
    assert (deal["ownerId"], deal["assignedBy"]["reason"]) == ("alice", "CUSTOMER_OWNER")


async def test_a_converted_lead_follows_the_rules(service: Sales) -> None:
    pipeline, team = await service.new_pipeline(), team_of("lead")
    await seen(service, rep(f"{team}-a", team))
    rule = await new_rule(service, team=team, pipelineIds=[pipeline])
    payload = {
        "customerId": await service.new_customer(),
        "pipelineId": pipeline,
        "name": "ERP 替换",
        "idempotencyKey": uuid.uuid4().hex,
    }
    body = await service.gql(CONVERT, {"input": payload}, headers=ADMIN)
    assert "errors" not in body, body
    converted = body["data"]["convertLeadToOpportunity"]["opportunity"]
    assert converted["ownerId"] == f"{team}-a"
    assert converted["assignedBy"]["ruleId"] == rule["id"]


async def test_rule_edits_are_checked_versioned_ordered_and_admin_only(service: Sales) -> None:
    pipeline, team = await service.new_pipeline(), team_of("edit")
    await seen(service, rep(f"{team}-a", team))
    bad = await service.gql(
        CREATE_RULE,
        {
            "input": {
                "name": "坏规则",
                "team": "no-such-team",
                "pipelineIds": [pipeline, "no-such-pipeline"],
                "amountMin": "500",
                "amountMax": "100",
            }
        },
        headers=ADMIN,
    )
    assert field_codes(bad) == {
        "team": "UNKNOWN_TEAM",
        "pipelineIds[1]": "UNKNOWN_PIPELINE",
        "amountMax": "OUT_OF_RANGE",
    }
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    forbidden = await service.gql(
        CREATE_RULE, {"input": {"name": "x", "team": team}}, headers=MANAGER
    )
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    key = uuid.uuid4().hex
    first = await new_rule(service, team=team, pipelineIds=[pipeline])
    draft = {"name": "二", "team": team, "pipelineIds": [pipeline]}
    again = await service.gql(CREATE_RULE, {"input": draft, "key": key}, headers=ADMIN)
    retried = await service.gql(CREATE_RULE, {"input": draft, "key": key}, headers=ADMIN)
    second = again["data"]["createOpportunityAssignmentRule"]["rule"]
    assert retried["data"]["createOpportunityAssignmentRule"]["rule"]["id"] == second["id"]
    # update: the whole rule, at its next version; a stale version is a conflict
    edit = {"name": "改", "team": team, "pipelineIds": [pipeline], "active": False}
    updated = await service.gql(UPDATE_RULE, {"id": first["id"], "input": edit, "v": 1})
    assert updated["data"]["updateOpportunityAssignmentRule"]["rule"]["version"] == 2
    stale = await service.gql(UPDATE_RULE, {"id": first["id"], "input": edit, "v": 1})
    assert stale["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert stale["errors"][0]["extensions"]["currentVersion"] == 2
    # the list (ADMIN, MANAGER) keeps what the filter asks for; reorder; delete
    listed = await service.ok(RULES, {"filter": {"team": team, "active": False}}, headers=MANAGER)
    assert [r["id"] for r in listed["opportunityAssignmentRules"]] == [first["id"]]
    refused = await service.gql(REORDER, {"ids": [second["id"], "nope", second["id"]]})
    assert field_codes(refused) == {"ids[1]": "UNKNOWN_RULE", "ids[2]": "DUPLICATE_ID"}
    order = await service.ok(REORDER, {"ids": [second["id"], first["id"]]})
    ours = [r for r in order["reorderOpportunityAssignmentRules"]["rules"] if r["team"] == team]
    assert [(r["id"], r["position"]) for r in ours] == [(second["id"], 0), (first["id"], 1)]
    deleted = await service.ok(DELETE_RULE, {"id": first["id"]})
    assert deleted["deleteOpportunityAssignmentRule"]["deleted"] is True
    gone = await service.ok(DELETE_RULE, {"id": first["id"]})
    assert gone["deleteOpportunityAssignmentRule"]["deleted"] is False


async def test_a_bulk_assignments_events_name_their_call(service: Sales) -> None:
    pipeline, team = await service.new_pipeline(), "east"
    customer = await service.new_customer()
    deals = [await create(service, pipeline, customer, ownerId="li.lei", team=team)]
    deals.append(await create(service, pipeline, customer, ownerId="li.lei", team=team))
    body = await service.gql(BULK, {"ids": [d["id"] for d in deals], "owner": "han.mei"})
    assert body["data"]["bulkAssignOpportunities"]["succeeded"] == 2
    events = await service.outbox("opportunity.assigned.v1", customer)
    batches = [e["envelope"]["data"]["batch"] for e in events]
    assert len(batches) == 2 and batches[0] == batches[1]
    assert batches[0]["kind"] == "BULK_ASSIGN" and batches[0]["id"]
    read = await service.ok(
        "query($id: ID!) { opportunity(id: $id) { assignedBy { reason actorId } } }",
        {"id": deals[0]["id"]},
    )
    assert read["opportunity"]["assignedBy"] == {"reason": "ASSIGNED", "actorId": "alice"}
