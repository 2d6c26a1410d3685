"""Creating and changing opportunities: idempotent creation under a customer the projection
knows, optimistic versions, the stage gate for every path into a stage, won / lost / reopen,
history, events and audit — each write in one transaction."""

from __future__ import annotations

import pytest

from tests.integration.sales.harness import Sales
from tests.integration.sales.opportunity_support import (
    CREATE,
    MOVE,
    READ,
    REOPEN,
    UPDATE,
    field_codes,
    open_deal,
    opportunity,
)
from tests.support import error_code, unique

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

HISTORY = """
query($id: ID!) { opportunity(id: $id) {
  stageHistory { totalCount edges { node { kind fromStageId toStageId reason note actorId } } }
  fieldHistory { edges { node { field oldValue newValue } } }
  allowedMoves { stageId missingFields reopen }
  timeInStages { stageId seconds }
} }"""


SAVE_RATE = """
mutation($i: SaveExchangeRateInput!) { saveExchangeRate(input: $i) { exchangeRate { rate } } }"""
CREATE_PRODUCT = """
mutation($i: CreateProductInput!) { createProduct(input: $i) { product { id } } }"""
SAVE_ENTRY = """
mutation($i: SavePriceBookEntryInput!) { savePriceBookEntry(input: $i) { priceBook { id } } }"""


@pytest.fixture(scope="module")
async def pipeline(service: Sales) -> str:
    return await service.new_pipeline()


async def test_create_is_idempotent_and_files_under_a_known_customer(
    service: Sales, pipeline: str
) -> None:
    customer = await service.new_customer()
    key = unique("create")
    fields = {"customerId": customer, "pipelineId": pipeline, "name": "华东区 CRM 升级"}
    first = opportunity(
        await service.gql(CREATE, {"input": fields | {"idempotencyKey": key}}), "createOpportunity"
    )
    again = opportunity(
        await service.gql(CREATE, {"input": fields | {"idempotencyKey": key}}), "createOpportunity"
    )
    assert again["id"] == first["id"]
    assert (first["stageId"], first["status"], first["version"], first["probability"]) == (
        "lead",
        "OPEN",
        1,
        10,
    )
    assert (first["ownerId"], first["team"], first["currency"]) == ("alice", "east", "CNY")
    reused = await service.gql(
        CREATE, {"input": fields | {"name": "另一个", "idempotencyKey": key}}
    )
    assert error_code(reused) == "CONFLICT"
    assert reused["errors"][0]["extensions"]["conflictingId"] == first["id"]
    created = await service.outbox("opportunity.created.v1", customer)
    assert len(created) == 1
    event = created[0]["envelope"]["data"]["opportunity"]
    assert (event["id"], event["stageId"], event["probability"]) == (first["id"], "lead", 10)
    assert "contacts" not in event and "nextStep" not in event
    audit = await service.db["audit_log"].find_one({"target.id": first["id"]})
    assert audit is not None and audit["action"] == "opportunity.create"


async def test_a_foreign_customer_or_pipeline_is_bad_input(service: Sales, pipeline: str) -> None:
    body = await service.gql(
        CREATE, {"input": {"customerId": "no-such", "pipelineId": pipeline, "name": "x"}}
    )
    assert field_codes(body) == {"customerId": "UNKNOWN_CUSTOMER"}
    customer = await service.new_customer()
    body = await service.gql(
        CREATE, {"input": {"customerId": customer, "pipelineId": "nope", "name": "x"}}
    )
    assert field_codes(body) == {"pipelineId": "UNKNOWN_PIPELINE"}
    assert await service.db["opportunities"].count_documents({"customerId": customer}) == 0


async def test_creating_into_a_gated_stage_names_every_missing_or_bad_field(
    service: Sales, pipeline: str
) -> None:
    customer = await service.new_customer()
    body = await service.gql(
        CREATE,
        {
            "input": {
                "customerId": customer,
                "pipelineId": pipeline,
                "name": "",
                "stageId": "proposal",
                "amount": "12.345",
                "probability": 120,
            }
        },
    )
    assert field_codes(body) == {
        "name": "REQUIRED",
        "amount": "PRECISION",
        "probability": "OUT_OF_RANGE",
        "expectedCloseDate": "REQUIRED",
    }
    assert await service.db["opportunities"].count_documents({"customerId": customer}) == 0


async def test_update_needs_the_current_version_and_records_tracked_changes(
    service: Sales, pipeline: str
) -> None:
    deal = await open_deal(service, pipeline, await service.new_customer())
    changes = {"amount": "50000.00", "expectedCloseDate": "2026-09-30", "nextStep": "约见"}
    updated = opportunity(
        await service.gql(UPDATE, {"id": deal["id"], "input": changes, "v": 1}),
        "updateOpportunity",
    )
    assert updated["version"] == 2 and updated["amount"] == {
        "amount": "50000.00",
        "currency": "CNY",
    }
    stale = await service.gql(UPDATE, {"id": deal["id"], "input": {"nextStep": "x"}, "v": 1})
    assert (
        error_code(stale) == "CONFLICT" and stale["errors"][0]["extensions"]["currentVersion"] == 2
    )
    cleared = opportunity(
        await service.gql(UPDATE, {"id": deal["id"], "input": {"nextStep": None}, "v": 2}),
        "updateOpportunity",
    )
    assert cleared["nextStep"] is None
    history = (await service.ok(HISTORY, {"id": deal["id"]}))["opportunity"]["fieldHistory"]
    assert {(e["node"]["field"], e["node"]["newValue"]) for e in history["edges"]} == {
        ("AMOUNT", "50000.00 CNY"),
        ("EXPECTED_CLOSE_DATE", "2026-09-30"),
    }
    events = await service.outbox("opportunity.updated.v1", deal["customerId"])
    assert events[0]["envelope"]["data"]["changedFields"] == [
        "amount",
        "expectedCloseDate",
        "nextStep",
    ]
    assert events[1]["envelope"]["data"]["changedFields"] == ["nextStep"]
    bad = await service.gql(UPDATE, {"id": deal["id"], "input": {"amount": 12.5}, "v": 3})
    assert error_code(bad) == "BAD_USER_INPUT"


async def test_the_stage_gate_names_each_missing_field_then_lets_the_move_pass(
    service: Sales, pipeline: str
) -> None:
    deal = await open_deal(service, pipeline, await service.new_customer())
    moves = (await service.ok(HISTORY, {"id": deal["id"]}))["opportunity"]["allowedMoves"]
    assert {m["stageId"]: m["missingFields"] for m in moves}["negotiation"] == [
        "amount",
        "expectedCloseDate",
        "contacts",
    ]
    refused = await service.gql(MOVE, {"input": {"id": deal["id"], "stageId": "negotiation"}})
    assert field_codes(refused) == {
        "amount": "REQUIRED",
        "expectedCloseDate": "REQUIRED",
        "contacts": "REQUIRED",
    }
    with_fields = {
        "id": deal["id"],
        "stageId": "negotiation",
        "expectedVersion": 1,
        "amount": "88000.00",
        "expectedCloseDate": "2026-10-15",
        "contacts": [{"name": "张伟", "role": "DECISION_MAKER"}],
    }
    moved = opportunity(await service.gql(MOVE, {"input": with_fields}), "moveOpportunity")
    assert (moved["stageId"], moved["version"], moved["probability"]) == ("negotiation", 2, 80)
    emptied = await service.gql(UPDATE, {"id": deal["id"], "input": {"contacts": None}, "v": 2})
    assert field_codes(emptied) == {"contacts": "REQUIRED"}
    change = (await service.outbox("opportunity.stage_changed.v1", deal["customerId"]))[-1]
    data = change["envelope"]["data"]
    assert (data["kind"], data["fromStageId"], data["toStageId"]) == (
        "MOVED",
        "lead",
        "negotiation",
    )


async def test_won_lost_and_reopen_carry_reasons_and_history(service: Sales, pipeline: str) -> None:
    await service.ok(
        SAVE_RATE,
        {"i": {"currency": "USD", "rate": "7.2", "effectiveFrom": "2000-01-01"}},
    )
    deal = await open_deal(
        service,
        pipeline,
        await service.new_customer(),
        currency="USD",
        amount="1000.00",
        expectedCloseDate="2026-12-31",
        contacts=[{"name": "Lee", "role": "DECISION_MAKER"}],
    )
    assert deal["amountInBase"] == {
        "amount": {"amount": "7200.00", "currency": "CNY"},
        "rate": "7.2",
        "rateEffectiveFrom": "2000-01-01",
        "booked": False,
    }
    unknown = await service.gql(
        MOVE, {"input": {"id": deal["id"], "stageId": "won", "reason": "LUCK"}}
    )
    assert field_codes(unknown) == {"reason": "UNKNOWN_REASON"}
    lost = await service.gql(MOVE, {"input": {"id": deal["id"], "stageId": "lost"}})
    assert field_codes(lost) == {"note": "REQUIRED", "reason": "REQUIRED"}
    reasons = (await service.ok("{ closeReasons { won { code } } }"))["closeReasons"]["won"]
    won = opportunity(
        await service.gql(
            MOVE,
            {
                "input": {
                    "id": deal["id"],
                    "stageId": "won",
                    "reason": reasons[0]["code"],
                    "note": "签约",
                }
            },
        ),
        "moveOpportunity",
    )
    assert (won["status"], won["probability"], won["closing"]) == (
        "WON",
        100,
        {"reason": reasons[0]["code"], "note": "签约"},
    )
    assert won["amountInBase"]["booked"] is True
    event = (await service.outbox("opportunity.won.v1", deal["customerId"]))[0]["envelope"]["data"]
    assert event["amountInBase"] == {
        "amount": "7200.00",
        "currency": "CNY",
        "rate": "7.2",
        "rateEffectiveFrom": "2000-01-01",
    }
    closed = await service.gql(MOVE, {"input": {"id": deal["id"], "stageId": "lead"}})
    assert field_codes(closed) == {"stageId": "CLOSED"}
    reopened = opportunity(
        await service.gql(
            REOPEN, {"input": {"id": deal["id"], "stageId": "proposal", "reason": "客户追加预算"}}
        ),
        "reopenOpportunity",
    )
    assert (reopened["status"], reopened["reopenCount"], reopened["closing"]) == ("OPEN", 1, None)
    history = (await service.ok(HISTORY, {"id": deal["id"]}))["opportunity"]
    kinds = [(e["node"]["kind"], e["node"]["toStageId"]) for e in history["stageHistory"]["edges"]]
    assert kinds == [("CREATED", "lead"), ("WON", "won"), ("REOPENED", "proposal")]
    assert history["stageHistory"]["edges"][2]["node"]["reason"] == "客户追加预算"
    assert {d["stageId"] for d in history["timeInStages"]} == {"lead", "won", "proposal"}


async def test_line_items_are_priced_from_the_price_book(service: Sales, pipeline: str) -> None:
    code = unique("lic").upper()[:30]
    product = await service.ok(
        CREATE_PRODUCT,
        {"i": {"code": code, "nameZh": "年度许可", "unit": "年"}},
    )
    product_id = product["createProduct"]["product"]["id"]
    book = await service.ok(
        "mutation { createPriceBook(input: {name: "
        '"标准价", currency: "EUR"}) { priceBook { id } } }'
    )
    book_id = book["createPriceBook"]["priceBook"]["id"]
    await service.ok(
        SAVE_ENTRY,
        {"i": {"priceBookId": book_id, "productId": product_id, "listPrice": "999.99"}},
    )
    lines = [{"productId": product_id, "quantity": "3", "discountPercent": "12.5"}]
    deal = await open_deal(
        service,
        pipeline,
        await service.new_customer(),
        currency="EUR",
        lineItems=lines,
        priceBookId=book_id,
    )
    assert deal["lineItems"] == [
        {
            "productCode": code,
            "quantity": "3",
            "unitPrice": {"amount": "999.99"},
            "discountPercent": "12.5",
            "total": {"amount": "2624.97"},
        }
    ]
    assert deal["amount"] == {"amount": "2624.97", "currency": "EUR"}
    assert deal["amountInBase"] is None  # no EUR rate yet: counted apart, never guessed
    bad = [
        {"productId": product_id, "quantity": "0", "discountPercent": "101"},
        {"productId": "x", "quantity": "1"},
    ]
    refused = await service.gql(
        UPDATE,
        {
            "id": deal["id"],
            "input": {"lineItems": bad, "priceBookId": book_id, "amount": "1"},
            "v": 1,
        },
    )
    assert field_codes(refused) == {
        "lineItems[0].quantity": "OUT_OF_RANGE",
        "lineItems[0].discountPercent": "OUT_OF_RANGE",
        "lineItems[1].productId": "UNKNOWN_PRODUCT",
        "amount": "SET_BY_LINE_ITEMS",
    }
    read = (await service.ok(READ, {"id": deal["id"]}))["opportunity"]
    assert read["version"] == 1  # nothing half-written
