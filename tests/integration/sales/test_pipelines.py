"""Pipelines (ADMIN): definition, idempotent creation, revisions that keep every version and
refuse to strand open deals; the won/lost reason lists."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.integration.sales.harness import STAGES, Sales
from tests.support import auth_headers, error_code, unique

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

SALES_REP = auth_headers(sub="li.lei", roles=("SALES",), team="east")
MANAGER = auth_headers(sub="wang.fang", roles=("MANAGER",), team="east")
ANALYST = auth_headers(sub="zhao.min", roles=("ANALYST",), team="hq")
CREATE = """
mutation($input: PipelineInput!, $key: String) {
  createPipeline(input: $input, idempotencyKey: $key) {
    pipeline { id name version stages { id name kind probability forecastCategory
      requiredFields stallDays } }
  }
}"""
REVISE = """
mutation($id: ID!, $input: PipelineInput!, $v: Int) {
  revisePipeline(id: $id, input: $input, expectedVersion: $v) {
    pipeline { id version stages { id name } }
  }
}"""
READ = """
query($id: ID!, $v: Int) { pipeline(id: $id, version: $v) { version stages { id nameEn } } }"""


def definition(stages: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"nameZh": "标准流程", "nameEn": "Standard", "stages": stages or STAGES}


def field_codes(body: dict[str, Any]) -> dict[str, str]:
    errors = body["errors"][0]["extensions"]["fieldErrors"]
    return {e["field"]: e["code"] for e in errors}


async def test_an_admin_defines_a_pipeline_and_a_retry_defines_nothing(service: Sales) -> None:
    key = unique("pl")
    first = await service.ok(CREATE, {"input": definition(), "key": key})
    again = await service.ok(CREATE, {"input": definition(), "key": key})
    pipeline = first["createPipeline"]["pipeline"]
    assert again["createPipeline"]["pipeline"]["id"] == pipeline["id"]
    assert pipeline["name"] == "标准流程" and pipeline["version"] == 1
    proposal = pipeline["stages"][2]
    assert proposal["requiredFields"] == ["amount", "expectedCloseDate"]
    assert proposal["forecastCategory"] == "PIPELINE"  # the default of a 50 % open stage
    assert pipeline["stages"][4]["forecastCategory"] == "CLOSED"
    other = definition([*STAGES[:1], *STAGES[4:]])
    reused = await service.gql(CREATE, {"input": other, "key": key})
    assert error_code(reused) == "CONFLICT"
    english = await service.http.post(
        service.graphql,
        json={"query": READ, "variables": {"id": pipeline["id"]}},
        headers={**service.headers, "Accept-Language": "en"},
    )
    assert english.json()["data"]["pipeline"]["stages"][0]["nameEn"] == "Lead"


async def test_only_an_admin_writes_and_every_reader_reads(service: Sales) -> None:
    for headers in (SALES_REP, MANAGER, ANALYST):
        body = await service.gql(CREATE, {"input": definition()}, headers=headers)
        assert error_code(body) == "FORBIDDEN"
    pipeline_id = await service.new_pipeline()
    for headers in (SALES_REP, ANALYST):
        found = await service.ok("{ pipelines { id } }", headers=headers)
        assert pipeline_id in {p["id"] for p in found["pipelines"]}


async def test_a_bad_definition_names_every_problem(service: Sales) -> None:
    stages = copy.deepcopy(STAGES)
    stages[0]["id"] = "Lead Stage"
    stages[1]["requiredFields"] = ["reason", "favouriteColour"]
    stages[4]["probability"] = 90
    stages.append(stages[5].copy() | {"kind": "OPEN", "id": "later"})
    body = await service.gql(CREATE, {"input": definition(stages)})
    assert error_code(body) == "BAD_USER_INPUT"
    assert field_codes(body) == {
        "stages[0].id": "INVALID",
        "stages[1].requiredFields[0]": "NOT_APPLICABLE",
        "stages[1].requiredFields[1]": "UNKNOWN_FIELD",
        "stages[4].probability": "PROBABILITY_OF_KIND",
        "stages[6].kind": "STAGE_ORDER",
        "stages[6].requiredFields[0]": "NOT_APPLICABLE",
    }
    missing = await service.gql(CREATE, {"input": definition([STAGES[0]])})
    assert field_codes(missing)["stages"] == "MISSING_STAGE_KIND"


async def test_a_revision_keeps_the_earlier_version(service: Sales) -> None:
    pipeline_id = await service.new_pipeline()
    renamed = copy.deepcopy(STAGES)
    renamed[0]["nameEn"] = "Prospect"
    revised = await service.ok(REVISE, {"id": pipeline_id, "input": definition(renamed), "v": 1})
    assert revised["revisePipeline"]["pipeline"]["version"] == 2
    now = await service.ok(READ, {"id": pipeline_id})
    then = await service.ok(READ, {"id": pipeline_id, "v": 1})
    assert now["pipeline"]["stages"][0]["nameEn"] == "Prospect"
    assert (then["pipeline"]["version"], then["pipeline"]["stages"][0]["nameEn"]) == (1, "Lead")
    stale = await service.gql(REVISE, {"id": pipeline_id, "input": definition(), "v": 1})
    assert error_code(stale) == "CONFLICT"
    assert stale["errors"][0]["extensions"]["currentVersion"] == 2
    unknown = await service.gql(READ, {"id": "nope"})
    assert unknown["data"]["pipeline"] is None and error_code(unknown) == "NOT_FOUND"


async def test_a_revision_may_not_strand_open_deals(service: Sales) -> None:
    pipeline_id = await service.new_pipeline()
    customer = await service.new_customer()
    created = await service.create(
        customerId=customer, name="华东 CRM 升级", pipelineId=pipeline_id, stageId="qualified"
    )
    deal = created["data"]["createOpportunity"]["opportunity"]
    without_qualified = [s for s in STAGES if s["id"] != "qualified"]
    refused = await service.gql(REVISE, {"id": pipeline_id, "input": definition(without_qualified)})
    assert field_codes(refused) == {"stages": "STAGE_IN_USE"}
    won_kind = copy.deepcopy(STAGES)
    won_kind[1] |= {"kind": "WON", "probability": 100}
    won_kind.insert(3, won_kind.pop(1))  # closing stages after the open ones
    refused = await service.gql(REVISE, {"id": pipeline_id, "input": definition(won_kind)})
    assert set(field_codes(refused).values()) == {"STAGE_IN_USE"}
    moved = await service.gql(
        "mutation($i: MoveOpportunityInput!) { moveOpportunity(input: $i) { opportunity { id } } }",
        {"i": {"id": deal["id"], "stageId": "lead"}},
    )
    assert "errors" not in moved, moved
    done = await service.ok(REVISE, {"id": pipeline_id, "input": definition(without_qualified)})
    assert done["revisePipeline"]["pipeline"]["version"] == 2


REASONS = "{ closeReasons { version won { code name } lost { code nameZh nameEn } } }"
SAVE_REASONS = """
mutation($input: SaveCloseReasonsInput!, $v: Int) {
  saveCloseReasons(input: $input, expectedVersion: $v) { closeReasons { version won { code } } }
}"""


async def test_the_reason_lists_start_built_in_and_an_admin_replaces_them(service: Sales) -> None:
    before = (await service.ok(REASONS, headers=SALES_REP))["closeReasons"]
    assert before["version"] >= 0 and before["won"] and before["lost"]
    lists = {
        "won": [{"code": "price", "nameZh": "价格优势"}, {"code": "FIT", "nameEn": "Fit"}],
        "lost": [{"code": "COMPETITOR", "nameZh": "竞品", "nameEn": "Competitor"}],
    }
    refused = await service.gql(SAVE_REASONS, {"input": lists}, headers=MANAGER)
    assert error_code(refused) == "FORBIDDEN"
    saved = await service.ok(SAVE_REASONS, {"input": lists, "v": before["version"]})
    assert saved["saveCloseReasons"]["closeReasons"]["won"] == [{"code": "PRICE"}, {"code": "FIT"}]
    stale = await service.gql(SAVE_REASONS, {"input": lists, "v": before["version"]})
    assert error_code(stale) == "CONFLICT"
    bad = {"won": [{"code": "PRICE"}, {"code": "PRICE", "nameZh": "重复"}], "lost": []}
    refused = await service.gql(SAVE_REASONS, {"input": bad})
    assert field_codes(refused) == {
        "won[0].nameZh": "REQUIRED",
        "won[1].code": "DUPLICATE_ID",
        "lost": "REQUIRED",
    }


async def a_lost_reason(service: Sales) -> str:
    reasons = await service.ok("{ closeReasons { lost { code } } }")
    return str(reasons["closeReasons"]["lost"][0]["code"])


async def test_a_closed_deal_in_a_removed_stage_reads_with_its_version(service: Sales) -> None:
    extra = {"id": "dropped", "nameZh": "放弃", "nameEn": "Dropped", "kind": "LOST",
             "probability": 0}  # fmt: skip
    pipeline_id = await service.new_pipeline([*STAGES, extra])
    customer = await service.new_customer()
    created = await service.create(customerId=customer, name="旧单", pipelineId=pipeline_id)
    deal = created["data"]["createOpportunity"]["opportunity"]
    await service.ok(
        "mutation($i: MoveOpportunityInput!) { moveOpportunity(input: $i) { opportunity { id } } }",
        {"i": {"id": deal["id"], "stageId": "dropped", "reason": await a_lost_reason(service)}},
    )
    await service.ok(REVISE, {"id": pipeline_id, "input": definition(STAGES)})  # closed: allowed
    read = await service.ok(
        "query($id: ID!) { opportunity(id: $id) { stage { nameEn } status probability } }",
        {"id": deal["id"]},
    )
    assert read["opportunity"] == {
        "stage": {"nameEn": "Dropped"},
        "status": "LOST",
        "probability": 0,
    }
    board = await service.ok(
        "query($id: ID!) { pipelineBoard(pipelineId: $id) { columns { stage { id } count } } }",
        {"id": pipeline_id},
    )
    assert {c["stage"]["id"] for c in board["pipelineBoard"]["columns"]} == {
        s["id"] for s in STAGES
    }
