"""Lead → opportunity in one call (`convertLeadToOpportunity`): only for a customer the
projection has as LEAD or PROSPECT, in the pipeline's first stage through its gate, idempotent
per key; and across the services on the real broker, the customer's stage follows — the
conversion makes a LEAD a PROSPECT, winning the deal makes it ACTIVE and puts it on the
customer's timeline."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from crm_kit.mongo import Document
from tests.harness import ServiceHandle, serve_service
from tests.integration.sales.harness import Sales
from tests.integration.sales.opportunity_support import MOVE, field_codes, opportunity
from tests.support import error_code, eventually

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

CONVERT = """
mutation($input: ConvertLeadToOpportunityInput!) {
  convertLeadToOpportunity(input: $input) {
    opportunity { id customerId name stageId status ownerId version amount { amount currency }
                  expectedCloseDate }
  }
}"""
CREATE_CUSTOMER = """
mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id stage version } }"""
CUSTOMER = "query($id: ID!) { customer(id: $id) { stage version } }"
TIMELINE = """
query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Customer {
  timeline(filter: {kinds: [OPPORTUNITY_WON]}, first: 5) {
    edges { node { refId title summary status actorId } } } } } }"""
# A pipeline whose first stage asks for an amount.
GATED_FIRST_STAGE: list[dict[str, Any]] = [
    {"id": "qualify", "nameZh": "确认", "nameEn": "Qualify", "kind": "OPEN", "probability": 20,
     "requiredFields": ["amount"]},
    {"id": "won", "nameZh": "赢单", "nameEn": "Won", "kind": "WON", "probability": 100},
    {"id": "lost", "nameZh": "输单", "nameEn": "Lost", "kind": "LOST", "probability": 0},
]  # fmt: skip


@pytest.fixture(scope="module")
async def pipeline(service: Sales) -> str:
    return await service.new_pipeline()


async def convert(service: Sales, **fields: Any) -> dict[str, Any]:
    """`convertLeadToOpportunity` (the raw answer); a fresh key unless one is given."""
    payload = {"name": "ERP 替换", "idempotencyKey": uuid.uuid4().hex} | fields
    return await service.gql(CONVERT, {"input": payload})


async def customer_in(service: Sales, stage: str) -> str:
    """A customer the projection knows, in `stage`."""
    customer_id = uuid.uuid4().hex
    await service.publish_customer("customer.created.v1", customer_id, 1, stage=stage)
    await eventually(lambda: service.projected(customer_id), interval=0.02)
    return customer_id


async def deals_of(service: Sales, customer_id: str) -> list[Document]:
    return await service.db["opportunities"].find({"customerId": customer_id}).to_list()


@pytest.mark.parametrize("stage", ["ACTIVE", "VIP", "CHURNED"])
async def test_a_customer_past_the_lead_stages_is_refused_and_nothing_is_written(
    service: Sales, pipeline: str, stage: str
) -> None:
    customer_id = await customer_in(service, stage)
    body = await convert(service, customerId=customer_id, pipelineId=pipeline)
    assert error_code(body) == "BAD_USER_INPUT"
    assert field_codes(body) == {"customerId": "NOT_A_LEAD"}
    assert await deals_of(service, customer_id) == []
    assert await service.outbox("opportunity.created.v1", customer_id) == []


async def test_a_lead_opens_in_the_first_stage_and_a_retry_returns_the_first_result(
    service: Sales, pipeline: str
) -> None:
    customer_id = await customer_in(service, "LEAD")
    key = uuid.uuid4().hex
    request = {
        "customerId": customer_id,
        "pipelineId": pipeline,
        "amount": "88000.00",
        "currency": "CNY",
        "expectedCloseDate": "2027-03-31",
        "idempotencyKey": key,
    }
    deal = opportunity(await convert(service, **request), "convertLeadToOpportunity")
    assert (deal["stageId"], deal["status"], deal["ownerId"], deal["version"]) == (
        "lead",
        "OPEN",
        "alice",
        1,
    )
    assert deal["amount"] == {"amount": "88000.00", "currency": "CNY"}
    assert deal["expectedCloseDate"] == "2027-03-31"
    [created] = await service.outbox("opportunity.created.v1", customer_id)
    assert created["envelope"]["data"]["opportunity"]["id"] == deal["id"]

    # the customer moves on; a retry of the same action still answers with its deal
    await service.publish_customer("customer.updated.v1", customer_id, 2, stage="ACTIVE")

    async def active() -> bool:
        found = await service.projected(customer_id)
        return found is not None and found["stage"] == "ACTIVE"

    await eventually(active, interval=0.02)
    retried = opportunity(await convert(service, **request), "convertLeadToOpportunity")
    assert retried["id"] == deal["id"]
    assert len(await deals_of(service, customer_id)) == 1
    other = await convert(service, **(request | {"name": "别的", "idempotencyKey": key}))
    assert error_code(other) == "CONFLICT"
    again = await convert(service, **(request | {"idempotencyKey": uuid.uuid4().hex}))
    assert field_codes(again) == {"customerId": "NOT_A_LEAD"}


async def test_a_prospect_converts_through_the_first_stages_gate(service: Sales) -> None:
    gated = await service.new_pipeline(GATED_FIRST_STAGE)
    customer_id = await customer_in(service, "PROSPECT")
    refused = await convert(service, customerId=customer_id, pipelineId=gated)
    assert field_codes(refused) == {"amount": "REQUIRED"}
    bad = await convert(service, customerId=customer_id, pipelineId="nope", amount="-1")
    assert field_codes(bad) == {"pipelineId": "UNKNOWN_PIPELINE"}
    deal = opportunity(
        await convert(service, customerId=customer_id, pipelineId=gated, amount="5000"),
        "convertLeadToOpportunity",
    )
    assert deal["stageId"] == "qualify"


async def test_an_unknown_customer_is_refused(service: Sales, pipeline: str) -> None:
    body = await convert(service, customerId=uuid.uuid4().hex, pipelineId=pipeline)
    assert field_codes(body) == {"customerId": "UNKNOWN_CUSTOMER"}


@pytest.fixture(scope="module")
async def customers(mongodb_uri: str, amqp_url: str) -> AsyncIterator[ServiceHandle]:
    """The customer service on the same events exchange as the module's sales service."""
    async with serve_service("customer", mongodb_uri, amqp_url) as handle:
        yield handle


@pytest.fixture(scope="module")
async def interactions(mongodb_uri: str, amqp_url: str) -> AsyncIterator[ServiceHandle]:
    """The interaction service on the same exchange (the customer timeline)."""
    async with serve_service("interaction", mongodb_uri, amqp_url) as handle:
        yield handle


async def stage_at(customers: ServiceHandle, customer_id: str, stage: str) -> bool:
    found = (await customers.ok(CUSTOMER, {"id": customer_id}))["customer"]
    return bool(found["stage"] == stage)


async def test_the_customers_stage_follows_its_conversion_and_its_won_deal(
    service: Sales, pipeline: str, customers: ServiceHandle, interactions: ServiceHandle
) -> None:
    created = await customers.ok(
        CREATE_CUSTOMER, {"input": {"kind": "ENTERPRISE", "name": "华南电子"}}
    )
    customer_id = created["createCustomer"]["id"]
    assert created["createCustomer"]["stage"] == "LEAD"
    await eventually(lambda: service.projected(customer_id), interval=0.05)

    body = await convert(service, customerId=customer_id, pipelineId=pipeline, amount="30000")
    deal = opportunity(body, "convertLeadToOpportunity")
    await eventually(lambda: stage_at(customers, customer_id, "PROSPECT"))

    async def projected_as(stage: str) -> bool:
        found = await service.projected(customer_id)
        return found is not None and found["stage"] == stage

    await eventually(lambda: projected_as("PROSPECT"))  # fed back by customer.updated.v1

    reasons = (await service.ok("{ closeReasons { won { code } } }"))["closeReasons"]["won"]
    move = {
        "id": deal["id"],
        "stageId": "won",
        "reason": reasons[0]["code"],
        "expectedCloseDate": "2027-01-31",
        "contacts": [{"name": "陈总", "role": "DECISION_MAKER"}],
    }
    opportunity(await service.gql(MOVE, {"input": move}), "moveOpportunity")
    await eventually(lambda: stage_at(customers, customer_id, "ACTIVE"))
    await eventually(lambda: projected_as("ACTIVE"))

    async def on_timeline() -> list[dict[str, Any]]:
        reps = {"reps": [{"__typename": "Customer", "id": customer_id}]}
        data = await interactions.ok(TIMELINE, reps)
        return [e["node"] for e in data["_entities"][0]["timeline"]["edges"]]

    [entry] = await eventually(on_timeline)
    assert entry == {
        "refId": deal["id"],
        "title": "ERP 替换",
        "summary": "30000.00 CNY",
        "status": "WON",
        "actorId": "alice",
    }
    history = await customers.db["customer_versions"].find({"customer_id": customer_id}).to_list()
    assert sorted((v["version"], v["actor"]) for v in history) == [
        (1, "alice"),
        (2, "system:customer"),
        (3, "system:customer"),
    ]
