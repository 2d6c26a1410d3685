"""The sales subgraph in the composed system, through the gateway: a customer's opportunities
and open pipeline in the customer 360 view (the same subgraph requests for one opportunity as
for fifty), the stage gate's field errors, `node` for an opportunity, and who may read and
change an opportunity (SALES their own, MANAGER their team's, ANALYST read-only)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
import pytest_asyncio

from tests.harness import SystemHandle, serve_system
from tests.support import auth_headers, error_code, uid

pytestmark = pytest.mark.e2e

ADMIN = auth_headers(sub="alice", roles=("ADMIN",), team="east")
REP = auth_headers(sub="sal-own", roles=("SALES",), team="east")
TEAMMATE = auth_headers(sub="sal-mate", roles=("SALES",), team="east")
WEST_REP = auth_headers(sub="sal-west", roles=("SALES",), team="west")
MANAGER = auth_headers(sub="mgr-east", roles=("MANAGER",), team="east")
WEST_MANAGER = auth_headers(sub="mgr-west", roles=("MANAGER",), team="west")
ANALYST = auth_headers(sub="ana", roles=("ANALYST",), team="hq")

STAGES: list[dict[str, Any]] = [
    {"id": "lead", "nameZh": "线索", "nameEn": "Lead", "kind": "OPEN", "probability": 10},
    {"id": "proposal", "nameZh": "方案报价", "nameEn": "Proposal", "kind": "OPEN",
     "probability": 50, "requiredFields": ["amount", "expectedCloseDate"]},
    {"id": "negotiation", "nameZh": "商务谈判", "nameEn": "Negotiation", "kind": "OPEN",
     "probability": 80, "requiredFields": ["decisionMaker"]},
    {"id": "won", "nameZh": "赢单", "nameEn": "Won", "kind": "WON", "probability": 100},
    {"id": "lost", "nameZh": "输单", "nameEn": "Lost", "kind": "LOST", "probability": 0},
]  # fmt: skip

CUSTOMER = """mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }"""
STAFF = "mutation($s: StaffInput!) { saveStaffMember(input: $s) { id } }"
PIPELINE = "mutation($i: PipelineInput!) { createPipeline(input: $i) { pipeline { id } } }"
CREATE = """mutation($i: CreateOpportunityInput!) {
  createOpportunity(input: $i) { opportunity { id version } } }"""
MOVE = """mutation($i: MoveOpportunityInput!) {
  moveOpportunity(input: $i) { opportunity { id version stage { name } probability } } }"""
UPDATE = """mutation($id: ID!, $v: Int!) {
  updateOpportunity(id: $id, input: {nextStep: "回访"}, expectedVersion: $v) {
    opportunity { version nextStep } } }"""
READ = "query($id: ID!) { opportunity(id: $id) { id name ownerId viewerCanUpdate nodeId } }"
VIEW = """query($id: ID!) { customer(id: $id) {
  opportunities(first: 50) { totalCount edges { node {
    id name stage { name } amount { amount currency } owner { name } } } }
  openPipeline { count amount { amount currency } weightedAmount { amount currency } } } }"""
NODE = """query($n: ID!) { node(nodeId: $n) { __typename nodeId
  ... on Opportunity { id name stage { name } customer { id } } } }"""


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def system(mongodb_uri: str, amqp_url: str) -> AsyncIterator[SystemHandle]:
    async with serve_system(
        mongodb_uri,
        amqp_url,
        ("customer", "sales"),
        headers=ADMIN,
        # a write waits this long for a just-created customer to reach the sales projection
        env={"SALES_CUSTOMER_WAIT_SECONDS": "15"},
        subgraph_timeout_seconds=20.0,
    ) as system:
        yield system


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def pipeline(system: SystemHandle) -> str:
    created = await system.one(
        PIPELINE, {"i": {"nameZh": "标准流程", "nameEn": "Standard", "stages": STAGES}}
    )
    return str(created["pipeline"]["id"])


async def new_customer(system: SystemHandle, owner: str = "sal-own", team: str = "east") -> str:
    fields = {"kind": "ENTERPRISE", "name": uid("销售测试有限公司"), "ownerId": owner, "team": team}
    return str((await system.one(CUSTOMER, {"i": fields}))["id"])


async def new_deal(
    system: SystemHandle,
    customer: str,
    pipeline: str,
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    values = {"customerId": customer, "pipelineId": pipeline, "name": uid("商机")} | fields
    created = await system.one(CREATE, {"i": values}, headers=headers or ADMIN)
    return dict(created["opportunity"])


def field_errors(body: dict[str, Any]) -> dict[str, str]:
    assert error_code(body) == "BAD_USER_INPUT", body
    return {e["field"]: e["code"] for e in body["errors"][0]["extensions"]["fieldErrors"]}


def money(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "CNY"}


async def test_the_360_shows_opportunities_and_costs_the_same_for_one_or_fifty(
    system: SystemHandle, pipeline: str
) -> None:
    await system.ok(STAFF, {"s": {"id": "li.lei", "name": "李雷", "team": "east"}})
    one, fifty = await new_customer(system), await new_customer(system)
    deal = await new_deal(
        system,
        one,
        pipeline,
        name="华东区 CRM 升级",
        stageId="proposal",
        amount="1200.00",
        expectedCloseDate="2026-09-30",
        ownerId="li.lei",
        team="east",
    )
    fields: dict[str, Any] = {"amount": "10.00", "ownerId": "li.lei", "team": "east"}
    for n in range(50):
        await new_deal(system, fifty, pipeline, name=f"批量商机 {n}", **fields)
    costs, answers = [], []
    for customer_id in (one, fifty):
        before = await system.subgraph_requests()
        answers.append((await system.ok(VIEW, {"id": customer_id}))["customer"])
        after = await system.subgraph_requests()
        costs.append({name: after[name] - before.get(name, 0) for name in after})
    assert costs[0] == costs[1], costs
    assert costs[0]["sales"] == 1  # one `_entities` call for both fields
    single, many = answers
    assert single["opportunities"] == {
        "totalCount": 1,
        "edges": [
            {
                "node": {
                    "id": deal["id"],
                    "name": "华东区 CRM 升级",
                    "stage": {"name": "方案报价"},
                    "amount": money("1200.00"),
                    "owner": {"name": "李雷"},
                }
            }
        ],
    }
    assert single["openPipeline"] == {
        "count": 1,
        "amount": money("1200.00"),
        "weightedAmount": money("600.00"),
    }
    nodes = [edge["node"] for edge in many["opportunities"]["edges"]]
    assert many["opportunities"]["totalCount"] == len(nodes) == 50
    assert {(n["stage"]["name"], n["owner"]["name"]) for n in nodes} == {("线索", "李雷")}
    assert many["openPipeline"] == {
        "count": 50,
        "amount": money("500.00"),
        "weightedAmount": money("50.00"),
    }


async def test_the_stage_gate_names_each_missing_field_through_the_gateway(
    system: SystemHandle, pipeline: str
) -> None:
    deal = await new_deal(system, await new_customer(system), pipeline)
    refused = await system.gql(MOVE, {"i": {"id": deal["id"], "stageId": "negotiation"}})
    assert refused["data"] is None or refused["data"]["moveOpportunity"] is None
    assert refused["errors"][0]["path"] == ["moveOpportunity"]
    assert field_errors(refused) == {
        "amount": "REQUIRED",
        "expectedCloseDate": "REQUIRED",
        "contacts": "REQUIRED",
    }
    gated = {
        "id": deal["id"],
        "stageId": "negotiation",
        "expectedVersion": deal["version"],
        "amount": "88000.00",
        "expectedCloseDate": "2026-10-15",
        "contacts": [{"name": "张伟", "role": "DECISION_MAKER"}],
    }
    moved = (await system.one(MOVE, {"i": gated}))["opportunity"]
    assert (moved["stage"], moved["probability"]) == ({"name": "商务谈判"}, 80)


async def test_an_opportunity_round_trips_through_node(system: SystemHandle, pipeline: str) -> None:
    customer = await new_customer(system)
    deal = await new_deal(system, customer, pipeline, name="节点商机")
    node_id = (await system.one(READ, {"id": deal["id"]}))["nodeId"]
    key = base64.urlsafe_b64decode(node_id + "=" * (-len(node_id) % 4)).decode()
    assert key == "Opportunity:" + orjson.dumps({"id": deal["id"]}).decode()
    found = await system.one(NODE, {"n": node_id})
    assert found == {
        "__typename": "Opportunity",
        "nodeId": node_id,
        "id": deal["id"],
        "name": "节点商机",
        "stage": {"name": "线索"},
        "customer": {"id": customer},
    }


async def test_sales_own_manager_team_analyst_read_only(
    system: SystemHandle, pipeline: str
) -> None:
    customer = await new_customer(system, owner="sal-own", team="east")
    deal = await new_deal(system, customer, pipeline, headers=REP)
    mine = await system.one(READ, {"id": deal["id"]}, headers=REP)
    assert (mine["ownerId"], mine["viewerCanUpdate"]) == ("sal-own", True)
    for outsider in (TEAMMATE, WEST_REP, WEST_MANAGER):
        refused = await system.gql(READ, {"id": deal["id"]}, headers=outsider)
        assert refused["data"]["opportunity"] is None and error_code(refused) == "FORBIDDEN"
        by_node = await system.gql(NODE, {"n": mine["nodeId"]}, headers=outsider)
        assert by_node["data"]["node"] is None and error_code(by_node) == "FORBIDDEN"
    changed = await system.gql(UPDATE, {"id": deal["id"], "v": 1}, headers=TEAMMATE)
    assert error_code(changed) == "FORBIDDEN"
    managed = await system.one(READ, {"id": deal["id"]}, headers=MANAGER)
    assert (managed["id"], managed["viewerCanUpdate"]) == (deal["id"], True)
    analysed = await system.one(READ, {"id": deal["id"]}, headers=ANALYST)
    assert (analysed["id"], analysed["viewerCanUpdate"]) == (deal["id"], False)
    read_only = await system.gql(UPDATE, {"id": deal["id"], "v": 1}, headers=ANALYST)
    assert error_code(read_only) == "FORBIDDEN"
    counted = "query($id: ID!) { customer(id: $id) { opportunities { totalCount } } }"
    for reader in (REP, MANAGER, ANALYST):
        seen = await system.one(counted, {"id": customer}, headers=reader)
        assert seen["opportunities"]["totalCount"] == 1
    updated = await system.one(UPDATE, {"id": deal["id"], "v": 1}, headers=REP)
    assert updated["opportunity"] == {"version": 2, "nextStep": "回访"}
    managed_write = await system.one(UPDATE, {"id": deal["id"], "v": 2}, headers=MANAGER)
    assert managed_write["opportunity"]["version"] == 3
