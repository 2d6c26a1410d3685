"""Quotes against the embedded MongoDB: made from a deal's line items, numbered per year
without duplicates under concurrency, revised into versions that supersede, approved when the
discount exceeds the ADMIN's threshold, accepted (winning the deal in the same transaction),
refused on a closed deal, expired past their validity (their documents:
`test_quote_documents.py`)."""

from __future__ import annotations

import asyncio
import re

import pytest

from tests.integration.sales.harness import Sales
from tests.integration.sales.opportunity_support import (
    ANALYST,
    MANAGER,
    MOVE,
    OTHER_REP,
    SALES_REP,
    WEST_MANAGER,
    field_codes,
)
from tests.integration.sales.opportunity_support import (
    READ as READ_DEAL,
)
from tests.integration.sales.quote_support import (
    ACCEPT,
    APPROVE,
    CUSTOMER_NAME,
    DEAL_QUOTES,
    LIST,
    READ,
    REJECT,
    REQUEST,
    REVISE,
    SEND,
    UPDATE,
    Catalogue,
    catalogue,
    create_quote,
    priced_deal,
    sent_quote,
    write,
)
from tests.support import error_code

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

WON_READY = {
    "expectedCloseDate": "2026-12-31",
    "contacts": [{"name": "王总", "role": "DECISION_MAKER"}],
}


@pytest.fixture(scope="module")
async def pipeline(service: Sales) -> str:
    return await service.new_pipeline()


@pytest.fixture(scope="module")
async def goods(service: Sales) -> Catalogue:
    return await catalogue(service)


async def test_a_quote_copies_the_deals_lines_with_decimal_totals(
    service: Sales, pipeline: str, goods: Catalogue
) -> None:
    deal = await priced_deal(service, pipeline, goods)
    quote = await create_quote(service, deal["id"], note="含首年运维")
    year = service.clock.now.year
    assert re.fullmatch(rf"Q-{year}-\d{{6}}", quote["number"])
    assert (quote["revision"], quote["status"], quote["version"]) == (1, "DRAFT", 1)
    assert [(line["nameZh"], line["quantity"], line["total"]) for line in quote["lines"]] == [
        ("企业版客户管理系统", "2", {"amount": "24320.00"}),
        ("年度运维服务", "1", {"amount": "3000.00"}),
    ]
    assert quote["subtotal"] == {"amount": "27320.00", "currency": "CNY"}
    assert (quote["taxRate"], quote["tax"]) == ("13", {"amount": "3551.60"})
    assert quote["total"] == {"amount": "30871.60", "currency": "CNY"}
    assert (quote["discountPercent"], quote["largestLineDiscountPercent"]) == ("4.48", "5")
    assert quote["approval"]["status"] == "NOT_REQUIRED"
    assert quote["allowedNextStatuses"] == ["SENT"]
    listed = (await service.ok(DEAL_QUOTES, {"id": deal["id"]}, headers=SALES_REP))["opportunity"]
    assert [e["node"]["id"] for e in listed["quotes"]["edges"]] == [quote["id"]]
    analyst = await service.ok(READ, {"id": quote["id"]}, headers=ANALYST)
    assert analyst["quote"]["customerName"] != CUSTOMER_NAME  # masked for ANALYST
    refused = await service.gql(
        UPDATE, {"id": quote["id"], "input": {"note": "x"}}, headers=ANALYST
    )
    assert error_code(refused) == "FORBIDDEN"
    hidden = await service.gql(READ, {"id": quote["id"]}, headers=OTHER_REP)
    assert error_code(hidden) == "FORBIDDEN" and hidden["data"]["quote"] is None


async def test_numbers_stay_unique_when_quotes_are_made_at_once(
    service: Sales, pipeline: str, goods: Catalogue
) -> None:
    deal = await priced_deal(service, pipeline, goods)
    made = await asyncio.gather(*(create_quote(service, deal["id"]) for _ in range(6)))
    numbers = [quote["number"] for quote in made]
    assert len(set(numbers)) == 6
    sequences = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert sequences == list(range(sequences[0], sequences[0] + 6))  # no gaps either
    page = await service.ok(LIST, {"filter": {"opportunityId": deal["id"]}}, headers=SALES_REP)
    assert page["quotes"]["totalCount"] == 6
    assert (await service.ok(LIST, {"filter": {"opportunityId": deal["id"]}}, headers=OTHER_REP))[
        "quotes"
    ]["totalCount"] == 0


async def test_a_revision_supersedes_the_sent_quote_and_never_edits_it(
    service: Sales, pipeline: str, goods: Catalogue
) -> None:
    _, first = await sent_quote(service, pipeline, goods)
    refused = await service.gql(
        UPDATE, {"id": first["id"], "input": {"taxRate": "6"}}, headers=SALES_REP
    )
    assert field_codes(refused) == {"id": "NOT_DRAFT"}
    second = await write(service, REVISE, {"id": first["id"]})
    assert (second["number"], second["revision"], second["status"]) == (
        first["number"],
        2,
        "DRAFT",
    )
    assert second["supersedesId"] == first["id"]
    before = (await service.ok(READ, {"id": first["id"]}, headers=SALES_REP))["quote"]
    assert (before["status"], before["supersededById"], before["total"]) == (
        "SENT",
        second["id"],
        first["total"],
    )
    late = await service.gql(ACCEPT, {"id": first["id"]}, headers=SALES_REP)
    assert field_codes(late) == {"id": "SUPERSEDED"}
    again = await service.gql(REVISE, {"id": first["id"]}, headers=SALES_REP)
    assert field_codes(again) == {"id": "SUPERSEDED"}
    current = await service.ok(
        LIST, {"filter": {"number": first["number"], "currentOnly": True}}, headers=SALES_REP
    )
    assert [e["node"]["revision"] for e in current["quotes"]["edges"]] == [2]


async def test_a_discount_over_the_threshold_is_sent_only_once_a_manager_approves(
    service: Sales, pipeline: str, goods: Catalogue
) -> None:
    deal = await priced_deal(service, pipeline, goods, discount="15")
    quote = await create_quote(service, deal["id"])
    assert (quote["discountPercent"], quote["approval"]["status"]) == ("13.43", "REQUIRED")
    refused = await service.gql(SEND, {"id": quote["id"]}, headers=SALES_REP)
    assert field_codes(refused) == {"id": "APPROVAL_REQUIRED"}
    assert refused["errors"][0]["message"] == "折扣超过审批阈值，须经经理审批后才能发送"
    asked = await write(service, REQUEST, {"id": quote["id"]})
    assert asked["approval"] == {
        "status": "REQUESTED",
        "thresholdPercent": "10",
        "requestedById": "li.lei",
        "approvedById": None,
    }
    for outsider in (SALES_REP, WEST_MANAGER):
        denied = await service.gql(APPROVE, {"id": quote["id"]}, headers=outsider)
        assert error_code(denied) == "FORBIDDEN"
    approved = await write(service, APPROVE, {"id": quote["id"], "note": "战略客户"}, MANAGER)
    assert (approved["approval"]["status"], approved["approval"]["approvedById"]) == (
        "APPROVED",
        "wang.fang",
    )
    sent = await write(service, SEND, {"id": quote["id"]})
    assert (sent["status"], sent["allowedNextStatuses"]) == ("SENT", ["ACCEPTED", "REJECTED"])


async def test_accepting_wins_the_deal_in_the_same_transaction(
    service: Sales, pipeline: str, goods: Catalogue
) -> None:
    _, quote = await sent_quote(service, pipeline, goods)
    no_reason = await service.gql(ACCEPT, {"id": quote["id"], "won": True}, headers=SALES_REP)
    assert field_codes(no_reason) == {
        "wonReason": "REQUIRED",
        "opportunity.expectedCloseDate": "REQUIRED",
        "opportunity.contacts": "REQUIRED",
    }
    unchanged = (await service.ok(READ, {"id": quote["id"]}, headers=SALES_REP))["quote"]
    assert (unchanged["status"], unchanged["version"]) == ("SENT", quote["version"])
    ready, ready_quote = await sent_quote(service, pipeline, goods, **WON_READY)
    accepted = await write(
        service, ACCEPT, {"id": ready_quote["id"], "won": True, "reason": "PRICE"}
    )
    assert (accepted["status"], accepted["opportunityWon"]) == ("ACCEPTED", True)
    won = (await service.ok(READ_DEAL, {"id": ready["id"]}, headers=SALES_REP))["opportunity"]
    assert (won["status"], won["stageId"], won["closing"]["reason"]) == ("WON", "won", "PRICE")
    assert await service.outbox("opportunity.won.v1", won["customerId"])
    rejected = await write(service, REJECT, {"id": quote["id"], "reason": "预算不足"})
    assert rejected["status"] == "REJECTED"


async def test_a_closed_opportunity_is_not_quoted(
    service: Sales, pipeline: str, goods: Catalogue
) -> None:
    deal = await priced_deal(service, pipeline, goods)
    lost = {"id": deal["id"], "stageId": "lost", "reason": "PRICE", "note": "选择了竞品"}
    await service.ok(MOVE, {"input": lost}, headers=SALES_REP)
    refused = await service.gql(
        "mutation($i: CreateQuoteInput!) { createQuote(input: $i) { quote { id } } }",
        {"i": {"opportunityId": deal["id"]}},  # the name defaults: no customerName error
        headers=SALES_REP,
    )
    assert field_codes(refused) == {"opportunityId": "OPPORTUNITY_CLOSED"}
    assert (await service.ok(DEAL_QUOTES, {"id": deal["id"]}))["opportunity"]["quotes"][
        "totalCount"
    ] == 0


async def test_a_sent_quote_past_its_validity_expires(
    service: Sales, pipeline: str, goods: Catalogue
) -> None:
    deal = await priced_deal(service, pipeline, goods)
    today = service.clock.now.date().isoformat()
    quote = await create_quote(service, deal["id"], validUntil=today)
    await write(service, SEND, {"id": quote["id"]})
    service.clock.advance(days=1)
    try:
        read = (await service.ok(READ, {"id": quote["id"]}, headers=SALES_REP))["quote"]
        assert (read["status"], read["allowedNextStatuses"]) == ("EXPIRED", [])
        refused = await service.gql(ACCEPT, {"id": quote["id"]}, headers=SALES_REP)
        assert field_codes(refused) == {"id": "EXPIRED"}
        expired = {"opportunityId": deal["id"], "statuses": ["EXPIRED"]}
        page = await service.ok(LIST, {"filter": expired}, headers=SALES_REP)
        assert [e["node"]["id"] for e in page["quotes"]["edges"]] == [quote["id"]]
    finally:
        service.clock.advance(days=-1)
