"""Importing opportunities from CSV and XLSX through the sales service (embedded MongoDB, real
HTTP): every row through the opportunity use cases — the stage gate refuses a row naming the
columns it lacks and writes nothing of it, money and dates are checked as the API checks them —
a dry run that writes nothing and counts what the real run then does, the same file imported
again creating nothing twice, the per-row errors and the error report."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import httpx
import openpyxl
import orjson
import pytest

from crm_kit.mongo import Document
from tests.integration.sales.harness import ADMIN, CREATE_PIPELINE, STAGES, Sales
from tests.integration.sales.opportunity_support import SALES_REP
from tests.support import eventually

pytestmark = pytest.mark.integration

JOB = """id status dryRun totalRows processed created updated skipped failed
  errors { totalCount edges { node { row column code message opportunityId } } }"""
IMPORT = f"""mutation($f: Upload!, $mode: OpportunityImportMode, $key: OpportunityImportUpsertKey,
  $dry: Boolean, $idem: String) {{ importOpportunities(file: $f, mode: $mode, upsertKey: $key,
  dryRun: $dry, idempotencyKey: $idem) {{ {JOB} }} }}"""
GET_JOB = f"query($id: ID!) {{ opportunityImportJob(id: $id) {{ {JOB} }} }}"
REPORT = """query($id: ID!) { opportunityImportJob(id: $id) {
  errorReport(format: CSV) { fileName contentType size url } } }"""
TEMPLATE = """{ opportunityImportTemplate(format: CSV, language: "en") {
  fileName contentType size url } }"""
HEADER = "客户ID,商机名称,销售流程,阶段,金额,币种,预计成交日期,负责人,外部编号\n"


async def upload(
    service: Sales, data: bytes, name: str, headers: dict[str, str], **variables: Any
) -> dict[str, Any]:
    operations = {"query": IMPORT, "variables": {"f": None, **variables}}
    response = await service.http.post(
        service.graphql,
        data={"operations": orjson.dumps(operations).decode(), "map": '{"0": ["variables.f"]}'},
        files={"0": (name, data, "application/octet-stream")},
        headers=headers,
    )
    body: dict[str, Any] = response.json()
    return body


async def finished(service: Sales, job_id: str, headers: dict[str, str]) -> dict[str, Any]:
    async def done() -> Any:
        body = await service.gql(GET_JOB, {"id": job_id}, headers=headers)
        job = body["data"]["opportunityImportJob"]
        if job["status"] != "COMPLETED":
            return None
        return {**job, "errors": [e["node"] for e in job["errors"]["edges"]]}

    result: dict[str, Any] = await eventually(done, timeout=60, interval=0.1)
    return result


async def run(
    service: Sales,
    data: bytes,
    name: str = "deals.csv",
    headers: dict[str, str] = ADMIN,
    **variables: Any,
) -> dict[str, Any]:
    body = await upload(service, data, name, headers, **variables)
    assert "errors" not in body, body
    return await finished(service, body["data"]["importOpportunities"]["id"], headers)


def counts(job: dict[str, Any]) -> tuple[int, int, int, int]:
    return (job["created"], job["updated"], job["skipped"], job["failed"])


def problems(job: dict[str, Any]) -> list[tuple[int, str, str]]:
    return [(e["row"], e["column"], e["code"]) for e in job["errors"]]


async def named_pipeline(service: Sales, tag: str) -> str:
    """A pipeline of the harness's stages whose names no other test's pipeline has."""
    names = {"nameZh": f"标准流程{tag}", "nameEn": f"Standard {tag}", "stages": STAGES}
    data = await service.ok(CREATE_PIPELINE, {"input": names}, headers=ADMIN)
    return str(data["createPipeline"]["pipeline"]["id"])


async def deals(service: Sales, **query: Any) -> list[Document]:
    return await service.db["opportunities"].find(query).sort("name", 1).to_list()


async def test_a_csv_import_creates_deals_and_refuses_bad_rows_by_column(service: Sales) -> None:
    tag = uuid.uuid4().hex[:8]
    pipeline, customer = await named_pipeline(service, tag), await service.new_customer()
    text = HEADER + "".join(
        [
            f"{customer},线索 {tag},{pipeline},,,,,,\n",  # row 2: the first stage
            f'{customer},方案 {tag},标准流程{tag},方案报价,"1,200.50",usd,2026/9/30,,\n',  # 3
            f"{customer},缺金额 {tag},{pipeline},proposal,,,,,\n",  # 4: the gate refuses it
            f"{customer},负数 {tag},{pipeline},,-5,,,,\n",  # 5
            f"{customer},精度 {tag},{pipeline},,12.345,,,,\n",  # 6: CNY has 2 decimals
            f"{customer},币种 {tag},{pipeline},,10,XYZ,,,\n",  # 7
            f"{customer},日期 {tag},{pipeline},,,,2026-13-01,,\n",  # 8
            f"no-such-customer,无客户 {tag},{pipeline},,,,,,\n",  # 9
            f"{customer},无阶段 {tag},{pipeline},谈判中,,,,,\n",  # 10
        ]
    )
    job = await run(service, text.encode())
    assert (job["totalRows"], job["processed"]) == (9, 9)
    assert counts(job) == (2, 0, 0, 7)
    assert problems(job) == [
        (4, "金额", "REQUIRED"),
        (4, "预计成交日期", "REQUIRED"),
        (5, "金额", "NEGATIVE"),
        (6, "金额", "PRECISION"),
        (7, "币种", "INVALID_CURRENCY"),
        (8, "预计成交日期", "INVALID_DATE"),
        (9, "客户ID", "UNKNOWN_CUSTOMER"),
        (10, "阶段", "UNKNOWN_STAGE"),
    ]
    assert job["errors"][0]["message"] == "此项为必填项（目标阶段要求填写）"
    stored = await deals(service, name={"$regex": tag})
    assert [(d["name"], d["stageId"]) for d in stored] == [
        (f"方案 {tag}", "proposal"),
        (f"线索 {tag}", "lead"),
    ]
    proposal = stored[0]
    assert (proposal["amount"], proposal["currency"]) == ("1200.50", "USD")
    assert proposal["expectedCloseDate"] == "2026-09-30" and proposal["ownerId"] == "alice"
    # nothing of the refused rows was written: no deal, no event, no history
    assert await service.db["outbox"].count_documents(
        {"type": "opportunity.created.v1", "envelope.data.opportunity.name": {"$regex": tag}}
    ) == len(stored)


async def test_an_xlsx_import_with_english_headers_takes_every_column(service: Sales) -> None:
    tag = uuid.uuid4().hex[:8]
    pipeline, customer = await named_pipeline(service, tag), await service.new_customer()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Customer ID", "Name", "Pipeline", "Stage", "Amount", "Expected close date",
                  "Contacts", "Tags", "Probability", "Next step"])  # fmt: skip
    sheet.append([customer, "谈判 XLSX", f"standard {tag.upper()}", "Negotiation", 98000,
                  "2026-10-15", "王总:决策人", "重点;续约", "60%", "签约"])  # fmt: skip
    sheet.append([customer, "谈判无决策人", pipeline, "negotiation", 5, "2026-10-15",
                  "李工:USER", "", "", ""])  # fmt: skip
    out = io.BytesIO()
    book.save(out)
    job = await run(service, out.getvalue(), "deals.xlsx")
    assert counts(job) == (1, 0, 0, 1)
    assert problems(job) == [(3, "Contacts", "REQUIRED")]  # the stage needs a decision maker
    found = await deals(service, name="谈判 XLSX")
    assert found[0]["stageId"] == "negotiation" and found[0]["amount"] == "98000.00"
    assert found[0]["contacts"] == [{"name": "王总", "role": "DECISION_MAKER"}]
    assert found[0]["tags"] == ["重点", "续约"] and found[0]["nextStep"] == "签约"
    assert found[0]["probabilityOverride"]["value"] == 60


async def test_a_dry_run_writes_nothing_and_counts_what_the_real_run_does(service: Sales) -> None:
    pipeline, customer = await service.new_pipeline(), await service.new_customer()
    tag = uuid.uuid4().hex[:8]
    text = HEADER + (
        f"{customer},甲 {tag},{pipeline},,100,,,,K-{tag}\n"
        f"{customer},乙 {tag},{pipeline},方案报价,,,,,\n"  # the gate refuses it
        f"{customer},丙 {tag},{pipeline},,200,,,,K-{tag}\n"  # repeats row 2's external key
        f"{customer},丁 {tag},{pipeline},赢单,300,,,,\n"  # the won stage's gate refuses it
    )
    creates = {"action": "opportunity.create"}
    before = await service.db["outbox"].count_documents({})
    audited = await service.db["audit_log"].count_documents(creates)
    dry = await run(service, text.encode(), dry=True)
    assert dry["dryRun"] and counts(dry) == (1, 0, 0, 3)
    assert await deals(service, name={"$regex": tag}) == []
    assert await service.db["outbox"].count_documents({}) == before
    assert await service.db["opportunity_import_keys"].count_documents({"_id": f"K-{tag}"}) == 0
    assert await service.db["opportunity_import_job_file_keys"].count_documents(
        {"job_id": dry["id"]}
    ) == 0  # fmt: skip
    assert await service.db["audit_log"].count_documents(creates) == audited
    real = await run(service, text.encode())
    assert counts(real) == counts(dry)
    assert (
        problems(real)
        == problems(dry)
        == [
            (3, "金额", "REQUIRED"),
            (3, "预计成交日期", "REQUIRED"),
            (4, "外部编号", "DUPLICATE_IN_FILE"),
            (5, "预计成交日期", "REQUIRED"),  # a won stage needs what every stage does
            (5, "联系人", "REQUIRED"),  # (the negotiation stage's decision maker)
            (5, "结单原因", "REQUIRED"),  # and a reason: its column, in the caller's language
        ]
    )
    assert [d["name"] for d in await deals(service, name={"$regex": tag})] == [f"甲 {tag}"]


async def test_the_same_file_again_creates_nothing_twice(service: Sales) -> None:
    pipeline, customer = await service.new_pipeline(), await service.new_customer()
    tag = uuid.uuid4().hex[:8]
    text = HEADER + (
        f"{customer},一 {tag},{pipeline},,100,,,,A-{tag}\n"
        f"{customer},二 {tag},{pipeline},,200,,,,B-{tag}\n"
    )
    first = await run(service, text.encode(), idem=f"file-{tag}")
    assert counts(first) == (2, 0, 0, 0)
    again = await upload(service, text.encode(), "deals.csv", ADMIN, idem=f"file-{tag}")
    assert again["data"]["importOpportunities"]["id"] == first["id"]  # the same job
    other_file = await upload(service, b"x" + text.encode(), "deals.csv", ADMIN, idem=f"file-{tag}")
    assert other_file["errors"][0]["extensions"]["code"] == "CONFLICT"
    repeated = await run(service, text.encode())  # a new job over the same rows
    assert counts(repeated) == (0, 0, 0, 2)
    assert {e["code"] for e in repeated["errors"]} == {"DUPLICATE"}
    assert all(e["opportunityId"] for e in repeated["errors"])
    skipped = await run(service, text.encode(), mode="SKIP_DUPLICATES")
    assert counts(skipped) == (0, 0, 2, 0)
    assert len(await deals(service, name={"$regex": tag})) == 2
    changed = text.replace(",200,", ",250,")
    upsert = await run(service, changed.encode(), mode="UPSERT", key="EXTERNAL_KEY")
    assert counts(upsert) == (0, 1, 1, 0)  # row 3 changes its amount, row 2 changes nothing
    amounts = [d["amount"] for d in await deals(service, name={"$regex": tag})]
    assert amounts == ["100.00", "250.00"]


async def test_an_upsert_may_move_a_deal_through_its_stage_gate(service: Sales) -> None:
    pipeline, customer = await service.new_pipeline(), await service.new_customer()
    tag = uuid.uuid4().hex[:8]
    created = await run(
        service, (HEADER + f"{customer},移 {tag},{pipeline},,,,,,M-{tag}\n").encode()
    )
    assert counts(created) == (1, 0, 0, 0)
    refused = HEADER + f"{customer},移 {tag},{pipeline},proposal,,,,,M-{tag}\n"
    moved = HEADER + f"{customer},移 {tag},{pipeline},proposal,500,,2026-12-01,,M-{tag}\n"
    job = await run(service, refused.encode(), mode="UPSERT", key="EXTERNAL_KEY")
    assert problems(job) == [(2, "金额", "REQUIRED"), (2, "预计成交日期", "REQUIRED")]
    job = await run(service, moved.encode(), mode="UPSERT", key="EXTERNAL_KEY")
    assert counts(job) == (0, 1, 0, 0)
    deal = (await deals(service, name=f"移 {tag}"))[0]
    assert (deal["stageId"], deal["amount"]) == ("proposal", "500.00")


async def test_a_pipeline_name_that_names_several_is_refused(service: Sales) -> None:
    await service.new_pipeline()
    await service.new_pipeline()  # two pipelines named 标准流程
    customer = await service.new_customer()
    job = await run(service, (HEADER + f"{customer},同名,标准流程,,,,,,\n").encode())
    assert problems(job) == [(2, "销售流程", "AMBIGUOUS_NAME")]


async def test_sales_import_their_own_deals_only(service: Sales) -> None:
    pipeline = await service.new_pipeline()
    customer = await service.new_customer(owner_id="li.lei")
    tag = uuid.uuid4().hex[:8]
    text = HEADER + (
        f"{customer},自己 {tag},{pipeline},,,,,,\n{customer},别人 {tag},{pipeline},,,,,han.mei,\n"
    )
    job = await run(service, text.encode(), headers=SALES_REP)
    assert counts(job) == (1, 0, 0, 1)
    assert problems(job) == [(3, "", "FORBIDDEN")]
    created = await deals(service, name={"$regex": tag})
    assert [d["ownerId"] for d in created] == ["li.lei"]
    audited = await service.db["audit_log"].find_one(
        {"action": "opportunity.create", "target.id": created[0]["_id"]}
    )
    assert audited is not None and audited["actor"] == "li.lei"  # the importer, not the service


async def test_a_file_that_cannot_be_imported_is_refused_naming_the_file(service: Sales) -> None:
    body = await upload(service, "商机名称,星座\nx,y\n".encode(), "deals.csv", ADMIN)
    errors = body["errors"][0]["extensions"]["fieldErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        ("file", "MISSING_COLUMNS"),
        ("file", "UNKNOWN_COLUMNS"),
    ]
    body = await upload(service, b"%PDF-1.7\x00binary", "deals.csv", ADMIN)
    assert body["errors"][0]["extensions"]["fieldErrors"][0]["code"] == "UNSUPPORTED_FILE_TYPE"
    body = await upload(service, HEADER.encode(), "deals.csv", ADMIN, mode="UPSERT")
    assert body["errors"][0]["extensions"]["fieldErrors"][0]["field"] == "upsertKey"


async def download(service: Sales, file: dict[str, Any]) -> httpx.Response:
    """GET a file's `url` from the service itself (the gateway forwards
    `/files/sales/<token>` to the service's `/files/<token>`)."""
    token = file["url"].removeprefix("/files/sales/")
    assert token != file["url"], file
    return await service.http.get(f"{service.base}/files/{token}")


async def test_the_error_report_and_the_template_download_by_link(service: Sales) -> None:
    pipeline, customer = await service.new_pipeline(), await service.new_customer()
    job = await run(service, (HEADER + f"{customer},报告,{pipeline},,-1,,,,\n").encode())
    data = await service.ok(REPORT, {"id": job["id"]})
    file = data["opportunityImportJob"]["errorReport"]
    response = await download(service, file)
    assert response.status_code == 200 and int(response.headers["content-length"]) == file["size"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert (
        rows[1][:3] == ["2", "金额", "NEGATIVE"] and rows[1][4] == "The amount cannot be negative"
    )
    stranger = await service.gql(REPORT, {"id": job["id"]}, headers=SALES_REP)
    assert stranger["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    template = (await service.ok(TEMPLATE))["opportunityImportTemplate"]
    assert template["fileName"] == "opportunity-import-template.csv"
    got = await download(service, template)
    assert got.status_code == 200
    assert got.content.decode("utf-8-sig").startswith("Customer ID*,Name*,Pipeline*,Stage")
    tampered = await service.http.get(f"{service.base}/files/{file['url'][-20:]}x.y")
    assert tampered.status_code == 403
    assert await service.db["audit_log"].count_documents({"action": "sales.download"}) >= 2
