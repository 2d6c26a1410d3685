"""Quote documents against the embedded MongoDB: addressed by default to the customer's name
as the customer events carry it (kept as it was when quoted); the PDF with a Chinese text layer
and the XLSX behind signed links that refuse a tampered, expired or foreign token, the PDF a
typed error without its font; erasure blanking the customer's name on quotes."""

from __future__ import annotations

import io
import time
from typing import Any

import openpyxl
import pytest
from pypdf import PdfReader

from crm_kit.audit.store import AUDIT_LOG
from crm_kit.file_links import FileLinkSigner
from crm_kit.settings import DEFAULT_DEV_FILE_LINK_SECRET
from crm_sales.settings import SalesSettings
from tests.integration.sales.harness import ADMIN, Sales, serve_sales
from tests.integration.sales.opportunity_support import (
    SALES_REP,
    field_codes,
)
from tests.integration.sales.quote_support import (
    CUSTOMER_NAME,
    LINKS,
    SEND,
    Catalogue,
    catalogue,
    create_quote,
    download,
    priced_deal,
    rename,
    sent_quote,
    unnamed_quote,
    write,
)
from tests.support import eventually

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

PDF_LINK = "query($id: ID!) { quote(id: $id) { pdfLink { url } } }"
XLSX_LINK = "query($id: ID!) { quote(id: $id) { xlsxLink { url } } }"


@pytest.fixture(scope="module")
async def pipeline(service: Sales) -> str:
    return await service.new_pipeline()


@pytest.fixture(scope="module")
async def goods(service: Sales) -> Catalogue:
    return await catalogue(service)


async def test_the_pdf_text_layer_holds_the_chinese_customer_name_and_the_total(
    service: Sales, pipeline: str, goods: Catalogue
) -> None:
    deal = await priced_deal(service, pipeline, goods)
    await rename(service, deal["customerId"], 2, CUSTOMER_NAME)
    made = await unnamed_quote(service, deal["id"])
    assert "errors" not in made, made
    quote = made["data"]["createQuote"]["quote"]
    assert quote["customerName"] == CUSTOMER_NAME  # the customer's name, taken from the events
    await rename(service, deal["customerId"], 3, "云帆科技集团")  # renamed after quoting
    quote = await write(service, SEND, {"id": quote["id"]})
    assert quote["customerName"] == CUSTOMER_NAME  # the quote keeps the name it was made with
    link = (await service.ok(LINKS, {"id": quote["id"]}, headers=SALES_REP))["quote"]["pdfLink"]
    assert link["url"].startswith("/files/sales/")
    assert link["fileName"] == f"{quote['number']}-v1.pdf"
    response = await download(service, link["url"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "no-store"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert CUSTOMER_NAME in text
    assert "30,871.60 CNY" in text
    assert quote["number"] in text and "企业版客户管理系统" in text

    async def audited() -> Any:
        return await service.db[AUDIT_LOG].find_one(
            {"action": "quote.download", "target.id": quote["id"]}
        )

    entry = await eventually(audited, timeout=10)
    assert (entry["actor"], entry["outcome"], entry["details"]["format"]) == (
        "li.lei",
        "OK",
        "PDF",
    )


async def test_the_xlsx_holds_the_quote_in_cells(
    service: Sales, pipeline: str, goods: Catalogue
) -> None:
    _, quote = await sent_quote(service, pipeline, goods)
    links = (await service.ok(LINKS, {"id": quote["id"]}, headers=SALES_REP))["quote"]
    response = await download(service, links["xlsxLink"]["url"])
    assert response.status_code == 200, response.text
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = [[c for c in row if c is not None] for row in sheet.iter_rows(values_only=True)]
    assert ["报价单号 Number", quote["number"]] in rows
    assert ["客户 Customer", CUSTOMER_NAME] in rows
    assert ["合计 Total (CNY)", 30871.6] in rows
    assert any(row[:2] == [quote["lines"][0]["productCode"], "企业版客户管理系统"] for row in rows)


async def test_a_tampered_expired_or_foreign_link_is_refused(
    service: Sales, pipeline: str, goods: Catalogue
) -> None:
    _, quote = await sent_quote(service, pipeline, goods)
    url = (await service.ok(LINKS, {"id": quote["id"]}, headers=SALES_REP))["quote"]["pdfLink"][
        "url"
    ]
    payload, signature = url.removeprefix("/files/sales/").split(".")
    tampered = await download(service, f"/files/sales/{payload}.{signature[::-1]}")
    assert (tampered.status_code, tampered.json()["error"]["code"]) == (403, "INVALID_LINK")
    past = FileLinkSigner(DEFAULT_DEV_FILE_LINK_SECRET, 60, clock=lambda: time.time() - 3600)
    params = {"format": "PDF", "team": "east"}
    old = past.sign(past.issue("sales", "quote", quote["id"], "li.lei", params=params))
    expired = await download(service, f"/files/sales/{old}", **{"Accept-Language": "en"})
    assert expired.status_code == 410
    assert expired.json()["error"] == {
        "code": "LINK_EXPIRED",
        "message": "This download link has expired; get a new one",
    }
    now = FileLinkSigner(DEFAULT_DEV_FILE_LINK_SECRET, 60)
    foreign = now.sign(
        now.issue("sales", "quote", quote["id"], "han.mei", params=params, roles=("SALES",))
    )
    forbidden = await download(service, f"/files/sales/{foreign}")
    assert (forbidden.status_code, forbidden.json()["error"]["code"]) == (403, "FORBIDDEN")
    admin = await service.ok(LINKS, {"id": quote["id"]}, headers=ADMIN)
    assert (await download(service, admin["quote"]["xlsxLink"]["url"])).status_code == 200


async def test_without_its_font_the_pdf_is_a_typed_error_and_the_xlsx_still_works(
    mongodb_uri: str, amqp_url: str
) -> None:
    options = SalesSettings(customer_wait_seconds=0.5, pdf_font="/nonexistent/fonts/cjk.ttc")
    async with serve_sales(mongodb_uri, amqp_url, options=options) as bare:
        pipeline, goods = await bare.new_pipeline(), await catalogue(bare)
        _, quote = await sent_quote(bare, pipeline, goods)
        pdf = await bare.gql(PDF_LINK, {"id": quote["id"]}, headers=SALES_REP)
        error = pdf["errors"][0]
        assert (error["extensions"]["code"], error["extensions"]["reason"]) == (
            "INTERNAL_SERVER_ERROR",
            "PDF_FONT_MISSING",
        )
        assert "requestId" not in error["extensions"]  # a typed error, not a crash
        assert error["message"].startswith("服务器未安装报价单 PDF 所需的中文字体")
        xlsx = await bare.ok(XLSX_LINK, {"id": quote["id"]}, headers=SALES_REP)
        assert (await download(bare, xlsx["quote"]["xlsxLink"]["url"])).status_code == 200
        signer = FileLinkSigner(DEFAULT_DEV_FILE_LINK_SECRET, 60)
        params = {"format": "PDF", "team": "east"}
        token = signer.sign(
            signer.issue("sales", "quote", quote["id"], "li.lei", params=params, roles=("SALES",))
        )
        refused = await download(bare, f"/files/sales/{token}")
        assert (refused.status_code, refused.json()["error"]["code"]) == (503, "PDF_FONT_MISSING")


async def test_an_erased_customer_leaves_no_name_or_note_on_its_quotes(
    service: Sales, pipeline: str, goods: Catalogue
) -> None:
    deal = await priced_deal(service, pipeline, goods)
    quote = await create_quote(service, deal["id"], customerName="张伟", note="张伟的手机 138…")
    erased = await service.publish_customer("customer.erased.v1", deal["customerId"], 9)
    key = f"{service.settings.service_name}:{erased.id}"
    await eventually(lambda: service.db["inbox"].find_one({"_id": key}), interval=0.02)
    doc = await service.db["quotes"].find_one({"_id": quote["id"]})
    assert doc is not None
    assert (doc["customerName"], doc["note"], doc["total"]) == ("", None, "30871.60")


async def test_without_a_projected_name_the_quote_needs_customer_name(
    service: Sales, pipeline: str, goods: Catalogue
) -> None:
    deal = await priced_deal(service, pipeline, goods)
    customer = deal["customerId"]
    # a customer projected before sales kept names: no name until its next event
    await service.db["customers"].update_one({"_id": customer}, {"$unset": {"displayName": ""}})
    assert field_codes(await unnamed_quote(service, deal["id"])) == {"customerName": "REQUIRED"}
    assert (await create_quote(service, deal["id"], customerName="张伟"))["customerName"] == "张伟"
    await rename(service, customer, 2, "云帆科技集团")
    named = await unnamed_quote(service, deal["id"])
    assert "errors" not in named, named
    assert named["data"]["createQuote"]["quote"]["customerName"] == "云帆科技集团"
