"""Import columns through the gateway: a dry run reports exactly what the real run of the same
file then does (row, column, code), custom fields are template columns, import columns and
export columns, and the template speaks the API's field names."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import openpyxl
import orjson
import pytest

from tests.harness import SystemHandle, serve_system
from tests.support import auth_headers, eventually

pytestmark = pytest.mark.e2e

ADMIN = auth_headers(sub="alice", roles=("ADMIN",), team="east")
UPLOAD = """mutation($f: Upload!, $dry: Boolean, $mode: ImportMode, $key: ImportUpsertKey) {
  importCustomers(file: $f, dryRun: $dry, mode: $mode, upsertKey: $key) { id } }"""
JOB = """query($id: ID!) { importJob(id: $id) { status created updated skipped failed
  errors { edges { node { row column code messageZh messageEn } } } } }"""
EXPORT = """mutation($f: CustomerFilterInput) {
  exportCustomers(filter: $f, format: CSV, includePersonalData: true) { id } }"""
EXPORT_JOB = """query($id: ID!) { exportJob(id: $id) { status file { url } } }"""
TEMPLATE = """query($f: CustomerFileFormat, $l: String) {
  customerImportTemplate(format: $f, language: $l) { url } }"""


@pytest.fixture
async def system(mongodb_uri: str, amqp_url: str) -> AsyncIterator[SystemHandle]:
    rows = {"CUSTOMER_IMPORT_BATCH_ROWS": "2"}  # repeats across batches, not only within one
    async with serve_system(
        mongodb_uri, amqp_url, ("customer",), env=rows, headers=ADMIN, http_timeout=60
    ) as handle:
        yield handle


async def _import(system: SystemHandle, text: str, **variables: Any) -> dict[str, Any]:
    operations = {"query": UPLOAD, "variables": {"f": None, **variables}}
    response = await system.http.post(
        f"{system.gateway}/graphql",
        data={"operations": orjson.dumps(operations).decode(), "map": '{"0":["variables.f"]}'},
        files={"0": ("customers.csv", text.encode(), "text/csv")},
        headers=ADMIN,
    )
    body = response.json()
    assert "errors" not in body, body
    job_id = body["data"]["importCustomers"]["id"]

    async def finished() -> Any:
        job = (await system.ok(JOB, {"id": job_id}, headers=ADMIN))["importJob"]
        if job["status"] != "COMPLETED":
            return None
        return {**job, "errors": [e["node"] for e in job["errors"]["edges"]]}

    done: dict[str, Any] = await eventually(finished, timeout=60, interval=0.2)
    return done


def _lines(job: dict[str, Any]) -> list[tuple[int, str, str]]:
    return [(e["row"], e["column"], e["code"]) for e in job["errors"]]


async def test_a_dry_run_reports_the_errors_the_real_run_of_the_same_file_then_has(
    system: SystemHandle,
) -> None:
    await _import(system, "客户类型,客户名称,手机号码\n个人,老客户,13911139000\n")
    text = "客户类型,客户名称,手机号码,身份证号码,联系人,联系人电话\n" + (
        "个人,甲,13911139001,,,\n"  # row 2: created
        "个人,乙,13911139001,,,\n"  # row 3: repeats row 2's phone (another batch)
        "个人,丙,12345,,,\n"  # row 4: a bad phone
        "个人,丁,13911139002,110105194912310021,,\n"  # row 5: a bad check digit
        "个人,戊,13911139002,,,\n"  # row 6: repeats row 5, which is never created: created
        "个人,己,13911139000,,,\n"  # row 7: a stored customer's phone
        "企业,庚公司,,,王经理,13911139001\n"  # row 8: row 2's phone as its contact's phone
    )
    dry = await _import(system, text, dry=True)
    real = await _import(system, text)
    assert _lines(dry) == _lines(real)
    assert _lines(real) == [
        (3, "手机号码", "DUPLICATE_IN_FILE"),
        (4, "手机号码", "INVALID_PHONE"),
        (5, "身份证号码", "INVALID_ID_CARD_CHECK_DIGIT"),
        (7, "手机号码", "DUPLICATE"),
        (8, "联系人电话", "DUPLICATE_IN_FILE"),
    ]
    assert (dry["created"], dry["failed"]) == (real["created"], real["failed"]) == (2, 5)


FIELDS = """mutation {
  a: saveCustomFieldDefinition(input: {key: "vip_level", labelZh: "会员等级",
    labelEn: "VIP level", type: SELECT, options: ["金卡", "银卡"], required: true,
    position: 1}) { key }
  b: saveCustomFieldDefinition(input: {key: "budget", labelZh: "预算", labelEn: "Budget",
    type: NUMBER, position: 2}) { key }
  c: saveCustomFieldDefinition(input: {key: "interests", labelZh: "兴趣", labelEn: "Interests",
    type: MULTISELECT, options: ["高尔夫", "旅行"], position: 3}) { key }
}"""


async def _download(system: SystemHandle, file: dict[str, Any]) -> bytes:
    """A CustomerFile's bytes from its link (a path on the gateway, no Authorization)."""
    response = await system.http.get(system.gateway + file["url"])
    assert response.status_code == 200, response.text
    return response.content


async def _template(system: SystemHandle, fmt: str, language: str) -> bytes:
    data = await system.ok(TEMPLATE, {"f": fmt, "l": language})
    return await _download(system, data["customerImportTemplate"])


async def _export(system: SystemHandle, region: str) -> list[list[str]]:
    job_id = (await system.ok(EXPORT, {"f": {"region": region}}))["exportCustomers"]["id"]

    async def exported() -> Any:
        found = (await system.ok(EXPORT_JOB, {"id": job_id}))["exportJob"]
        return found if found["status"] == "COMPLETED" else None

    found = await eventually(exported, timeout=60, interval=0.2)
    text = (await _download(system, found["file"])).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


async def test_custom_fields_are_template_import_and_export_columns(
    system: SystemHandle,
) -> None:
    await system.ok(FIELDS)
    # the template: a column per custom field, labelled in its language, with its options
    book = openpyxl.load_workbook(io.BytesIO(await _template(system, "XLSX", "en")))
    header = [c.value for c in book.worksheets[0][1]]
    assert header[-3:] == ["VIP level*", "Budget", "Interests"]
    notes = {row[0]: row for row in book.worksheets[1].iter_rows(values_only=True)}
    assert notes["VIP level"] == ("VIP level", "yes", "vip_level", "One of: 金卡/银卡")
    assert notes["Budget"][2:] == ("budget", "Number")
    zh = (await _template(system, "CSV", "zh-CN")).decode("utf-8-sig")
    assert zh.rstrip().endswith(",会员等级*,预算,兴趣")
    # a file naming them by key, English and Chinese label; values checked by definition
    text = "客户类型,客户名称,省份,vip_level,Budget,兴趣\n" + (
        "个人,会员甲,西藏自治区,金卡,12.5,高尔夫;旅行\n"  # row 2
        "个人,会员乙,西藏自治区,银卡,,\n"  # row 3
        "个人,会员丙,西藏自治区,钻石卡,很多,\n"  # row 4: no such option, not a number
        "个人,会员丁,西藏自治区,,3,潜水\n"  # row 5: required missing, no such option
    )
    dry = await _import(system, text, dry=True)
    real = await _import(system, text)
    assert (
        _lines(dry)
        == _lines(real)
        == [
            (4, "vip_level", "OPTION_NOT_ALLOWED"),
            (4, "Budget", "CUSTOM_FIELD_TYPE"),
            (5, "兴趣", "OPTION_NOT_ALLOWED"),
            (5, "vip_level", "CUSTOM_FIELD_REQUIRED"),
        ]
    )
    assert real["errors"][0]["messageEn"] == "This option is not in the list"
    assert real["errors"][0]["messageZh"] == "该选项不在可选列表中"
    assert (real["created"], real["failed"]) == (2, 2)
    # the export has the columns and re-imports as it is (by id: nothing to change)
    rows = await _export(system, "西藏自治区")
    assert rows[0][-3:] == ["会员等级", "预算", "兴趣"]
    by_name = {r[rows[0].index("客户名称")]: r[-3:] for r in rows[1:]}
    assert by_name == {"会员甲": ["金卡", "12.5", "高尔夫;旅行"], "会员乙": ["银卡", "", ""]}
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    again = await _import(system, out.getvalue(), mode="UPSERT", key="ID")
    assert (again["skipped"], again["updated"], again["failed"]) == (2, 0, 0), again


async def test_a_header_before_its_custom_field_exists_is_refused_and_api_names_are_columns(
    system: SystemHandle,
) -> None:
    text = "kind,name,idCardNumber,ownerId,VIP level\nINDIVIDUAL,名甲,,sam,金卡\n"
    operations = {"query": UPLOAD, "variables": {"f": None}}
    refused = await system.http.post(
        f"{system.gateway}/graphql",
        data={"operations": orjson.dumps(operations).decode(), "map": '{"0":["variables.f"]}'},
        files={"0": ("customers.csv", text.encode(), "text/csv")},
        headers={**ADMIN, "Accept-Language": "en"},
    )
    errors = refused.json()["errors"][0]["extensions"]["fieldErrors"]
    assert [(e["code"], e["message"]) for e in errors] == [
        ("UNKNOWN_COLUMNS", "Unknown columns: VIP level")
    ]
    await system.ok(FIELDS)
    done = await _import(system, text)
    assert (done["created"], done["errors"]) == (1, [])
    notes = openpyxl.load_workbook(io.BytesIO(await _template(system, "XLSX", "zh-CN")))
    keys = [row[2] for row in notes.worksheets[1].iter_rows(values_only=True)]
    assert {"idCardNumber", "ownerId", "companySize", "sourceDetail", "vip_level"} <= set(keys)
    assert not [k for k in keys if "_" in k and k != "vip_level"]  # no internal names
