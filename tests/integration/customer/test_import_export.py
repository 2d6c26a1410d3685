"""Customer import over real HTTP (multipart uploads to the subgraph) against the embedded
MongoDB and the real broker: jobs, modes, dry run, idempotency, error reports, bad files,
templates and the job list."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

import openpyxl
import orjson
import pytest

from tests.harness import serve_service
from tests.integration.customer.file_support import (
    ADMIN,
    HEADER,
    ID_CARD,
    Service,
    fetch,
)
from tests.support import auth_headers

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def svc(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Service]:
    async with serve_service(
        "customer",
        mongodb_uri,
        amqp_url,
        overrides={"upload_max_bytes": 200_000},
        headers=ADMIN,
        http_timeout=60,
    ) as handle:
        yield Service.of(handle)


async def test_csv_import_reports_each_bad_row_and_writes_only_the_good_ones(
    svc: Service,
) -> None:
    text = HEADER + (
        f"个人,张伟,13800138000,{ID_CARD},zw@example.com,北京市\n"
        "个人,李娜,13800138001,110105194912310021,,上海市\n"  # wrong check digit
        "个人,王芳,12345,,,广东省\n"  # invalid phone
        '企业,=HYPERLINK("http://x"),,,,浙江省\n'  # a name that looks like a formula
    )
    job = await svc.start(text.encode())
    assert job["status"] in ("QUEUED", "RUNNING", "COMPLETED") and job["totalRows"] == 4
    done = await svc.finished(job["id"])
    assert (done["processed"], done["created"], done["failed"]) == (4, 2, 2)
    by_row = {e["row"]: e for e in done["errors"]}
    assert (
        by_row[3]["column"] == "身份证号码" and by_row[3]["code"] == "INVALID_ID_CARD_CHECK_DIGIT"
    )
    assert by_row[3]["messageZh"] == "身份证号码校验位不正确"
    assert by_row[3]["messageEn"] == "The ID card number's check digit is wrong"
    assert by_row[4]["column"] == "手机号码" and by_row[4]["code"] == "INVALID_PHONE"
    assert await svc.db["customers"].count_documents({"name": {"$in": ["李娜", "王芳"]}}) == 0
    raw = await svc.db["customers"].find_one({"name": "张伟"})
    assert raw is not None and ID_CARD not in orjson.dumps(raw, default=str).decode()
    zhang = svc.repo.load(raw)
    assert zhang.phones == ["+8613800138000"] and zhang.id_card_number == ID_CARD
    # the report as a file
    body = await svc.gql(
        "query($id: ID!) { importJob(id: $id) { errorReport(format: CSV) { "
        "fileName contentType size url expiresAt } } }",
        {"id": job["id"]},
    )
    report = await fetch(svc, body["data"]["importJob"]["errorReport"])
    lines = list(csv.reader(io.StringIO(report.decode("utf-8-sig"))))
    assert lines[0][0].startswith("行号") and lines[1][:2] == ["3", "身份证号码"]
    assert len(lines) == 3
    # the finished event carries counts, no personal data
    event = await svc.db["outbox"].find_one(
        {"type": "customer.import_finished.v1", "subject": job["id"]}
    )
    assert event is not None and event["subject"] == job["id"]
    data = event["envelope"]["data"]
    assert data["counts"]["created"] == 2 and data["actorId"] == "alice"
    assert "张伟" not in orjson.dumps(event, default=str).decode()
    # staged rows are dropped once the job is done
    chunks = await svc.db["customer_job_chunks"].find({"job_id": job["id"]}).to_list()
    assert chunks and all(c["rows"] is None for c in chunks)


async def test_same_file_and_idempotency_key_returns_the_same_job_and_creates_nothing_twice(
    svc: Service,
) -> None:
    data = (HEADER + "个人,赵敏,13900139000,,,江苏省\n").encode()
    first = await svc.start(data, idem="batch-1")
    await svc.finished(first["id"])
    again = await svc.start(data, idem="batch-1")
    assert again["id"] == first["id"]
    assert await svc.db["customers"].count_documents({"name": "赵敏"}) == 1
    other = await svc.upload((HEADER + "个人,钱七,13900139001,,,江苏省\n").encode(), idem="batch-1")
    assert other.json()["errors"][0]["extensions"]["code"] == "CONFLICT"


async def test_dry_run_writes_nothing_and_modes_handle_duplicates(svc: Service) -> None:
    await svc.finished(
        (await svc.start((HEADER + "个人,孙悦,13700137000,,,北京市\n").encode()))["id"]
    )
    rows = HEADER + "个人,孙悦二,13700137000,,,北京市\n个人,周杰,13700137001,,,北京市\n"
    dry = await svc.finished((await svc.start(rows.encode(), dry=True))["id"])
    assert dry["dryRun"] and (dry["created"], dry["failed"]) == (1, 1)
    assert dry["errors"][0]["code"] == "DUPLICATE" and dry["errors"][0]["column"] == "手机号码"
    assert await svc.db["customers"].count_documents({"name": "周杰"}) == 0
    skip = await svc.finished((await svc.start(rows.encode(), mode="SKIP_DUPLICATES"))["id"])
    assert (skip["created"], skip["skipped"], skip["failed"]) == (1, 1, 0)
    assert skip["errors"][0]["code"] == "DUPLICATE_SKIPPED"
    assert await svc.db["customers"].count_documents({"name": "周杰"}) == 1


async def test_xlsx_upsert_by_phone_updates_the_existing_customer(svc: Service) -> None:
    await svc.finished(
        (await svc.start((HEADER + "个人,吴磊,13600136000,,,北京市\n").encode()))["id"]
    )
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Kind", "Name", "Phones", "Tags", "Province"])
    sheet.append(["INDIVIDUAL", "吴磊", 13600136000, "VIP客户;老客户", "北京市"])
    sheet.append(["INDIVIDUAL", "郑爽", 13600136001, "", "天津市"])
    out = io.BytesIO()
    book.save(out)
    job = await svc.start(out.getvalue(), "upsert.xlsx", mode="UPSERT", key="PHONE")
    done = await svc.finished(job["id"])
    assert (done["updated"], done["created"], done["failed"]) == (1, 1, 0), done
    wu = await svc.db["customers"].find_one({"name": "吴磊"})
    assert wu is not None and wu["tags"] == ["VIP客户", "老客户"] and wu["version"] == 2
    assert svc.repo.load(wu).phones == ["+8613600136000"]
    assert await svc.db["customers"].count_documents({"name": "吴磊"}) == 1


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"", "empty.csv", "EMPTY_FILE"),
        (HEADER.encode(), "header-only.csv", "EMPTY_FILE"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "picture.csv", "UNSUPPORTED_FILE_TYPE"),
        (b"kind,name\nINDIVIDUAL,x\n", "named.xlsx", "UNSUPPORTED_FILE_TYPE"),
        (
            "客户名称,手机号码,生日星座\n张三,13800138000,狮子座\n".encode(),
            "bad.csv",
            "MISSING_COLUMNS",
        ),
    ],
)
async def test_bad_files_are_refused_with_the_reason(
    svc: Service, data: bytes, name: str, code: str
) -> None:
    before = await svc.db["customer_jobs"].count_documents({})
    body = (await svc.upload(data, name)).json()
    error = body["errors"][0]["extensions"]
    assert error["code"] == "BAD_USER_INPUT"
    assert code in [e["code"] for e in error["fieldErrors"]], body
    if code == "MISSING_COLUMNS":
        messages = " ".join(e["message"] for e in error["fieldErrors"])
        assert "客户类型" in messages and "生日星座" in messages  # which columns, both ways
    assert await svc.db["customer_jobs"].count_documents({}) == before


async def test_oversize_upload_is_refused_before_parsing(svc: Service) -> None:
    response = await svc.upload(HEADER.encode() + b"x" * 300_000)
    assert response.status_code == 413
    error = response.json()["errors"][0]["extensions"]
    assert error["fieldErrors"][0]["code"] == "FILE_TOO_LARGE"


TEMPLATE = """query($f: CustomerFileFormat, $l: String) {
  customerImportTemplate(format: $f, language: $l) { fileName contentType size url expiresAt }
}"""


async def test_templates_list_required_and_optional_columns(svc: Service) -> None:
    body = await svc.gql(TEMPLATE, {"f": "XLSX", "l": "en"})
    template = body["data"]["customerImportTemplate"]
    assert template["fileName"].endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(await fetch(svc, template)))
    header = [c.value for c in book.worksheets[0][1]]
    assert header[:3] == ["Kind*", "Name*", "Customer ID"]
    notes = [[c.value for c in row] for row in book.worksheets[1].iter_rows()]
    assert notes[0] == ["Column", "Required", "Key", "Notes"] and notes[1][:2] == ["Kind", "yes"]
    body = await svc.gql(TEMPLATE, {"f": "CSV"})
    csv_text = (await fetch(svc, body["data"]["customerImportTemplate"])).decode("utf-8-sig")
    assert csv_text.startswith("客户类型*,客户名称*,客户ID")
    # the template itself is accepted as a header row
    job = await svc.run(csv_text + "个人,模板客户,13200132000" + "," * (csv_text.count(",") - 2))
    assert job["created"] == 1, job
    listed = await svc.gql("{ importJobs(first: 50) { edges { node { id } } } }")
    assert job["id"] in [e["node"]["id"] for e in listed["data"]["importJobs"]["edges"]]
    others = await svc.gql(
        "{ importJobs { edges { node { id } } } }",
        headers=auth_headers(sub="zoe", roles=("SALES",)),
    )
    assert job["id"] not in [e["node"]["id"] for e in others["data"]["importJobs"]["edges"]]


JOBS = """query($f: ImportJobFilterInput) { importJobs(filter: $f, first: 100) {
  totalCount edges { node { id status } } } }"""


async def test_import_jobs_are_filtered_by_statuses(svc: Service) -> None:
    done = await svc.run(HEADER + "个人,筛选客户,13100131000,,,北京市\n")
    every = await svc.one(JOBS, {})
    completed = await svc.one(JOBS, {"f": {"statuses": ["COMPLETED", "FAILED"]}})
    assert done["id"] in [e["node"]["id"] for e in completed["edges"]]
    assert {e["node"]["status"] for e in completed["edges"]} <= {"COMPLETED", "FAILED"}
    assert (await svc.one(JOBS, {"f": {"statuses": []}}))["totalCount"] == every["totalCount"]
    assert (await svc.one(JOBS, {"f": {"statuses": None}}))["totalCount"] == every["totalCount"]
    queued = await svc.one(JOBS, {"f": {"statuses": ["QUEUED"]}})
    assert done["id"] not in [e["node"]["id"] for e in queued["edges"]]
    refused = await svc.gql("{ importJobs(status: COMPLETED) { totalCount } }")
    assert refused["errors"], refused  # the former argument is gone
