"""Customer export and downloads over real HTTP against the embedded MongoDB and the real
broker: scope, masking, audit and formula neutralisation of exports; the signed download's
audit, its expiry and its file name."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from crm_kit.audit.store import AUDIT_LOG
from crm_kit.imports.routes import content_disposition
from tests.harness import serve_service
from tests.integration.customer.file_support import (
    ADMIN,
    ANALYST,
    HEADER,
    ID_CARD,
    Service,
    download,
    fetch,
)
from tests.support import auth_headers, eventually

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


EXPORT = """mutation($f: CustomerFilterInput, $fmt: CustomerFileFormat, $p: Boolean) {
  exportCustomers(filter: $f, format: $fmt, includePersonalData: $p) { id status } }"""
EXPORT_JOB = """query($id: ID!) { exportJob(id: $id) { status rowCount expiresAt
  file { fileName contentType size url expiresAt } } }"""


async def test_export_neutralises_formulas_is_audited_and_analyst_gets_no_personal_data(
    svc: Service,
) -> None:
    text = HEADER + (
        "个人,=1+2,13500135000,,,海南省\n"
        f"个人,陈静,13500135001,{ID_CARD},@evil.example.com,海南省\n"
    )
    done = await svc.finished((await svc.start(text.encode()))["id"])
    assert done["created"] == 1, done  # the email of row 3 is invalid
    body = await svc.gql(EXPORT, {"f": {"region": "海南省"}, "fmt": "CSV", "p": True})
    job = body["data"]["exportCustomers"]

    async def exported() -> Any:
        got = await svc.gql(EXPORT_JOB, {"id": job["id"]})
        found = got["data"]["exportJob"]
        return found if found["status"] == "COMPLETED" else None

    found = await eventually(exported, timeout=30, interval=0.2)
    assert found["rowCount"] == 1
    rows = list(csv.reader(io.StringIO((await fetch(svc, found["file"])).decode("utf-8-sig"))))
    header, row = rows[0], rows[1]
    assert row[header.index("客户名称")] == "'=1+2"
    assert row[header.index("手机号码")] == "'+8613500135000"

    async def logged() -> Any:  # the export is in the service's tamper-evident audit log
        return await svc.db[AUDIT_LOG].find_one(
            {"action": "customer.export", "target.id": job["id"]}
        )

    entry = await eventually(logged, timeout=10)
    assert entry["actor"] == "alice" and entry["details"]["rows"] == 1
    assert entry["details"]["filter"]["region"] == "海南省"
    assert await svc.db["outbox"].find_one(
        {"type": "customer.export_finished.v1", "subject": job["id"]}
    )
    denied = await svc.gql(EXPORT, {"p": True}, headers=ANALYST)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    allowed = await svc.gql(EXPORT, {"f": {"region": "海南省"}, "p": False}, headers=ANALYST)
    assert "errors" not in allowed, allowed


async def export_rows(svc: Service, variables: dict[str, Any], headers: dict[str, str]) -> Any:
    body = await svc.gql(EXPORT, variables, headers=headers)
    assert "errors" not in body, body
    job_id = body["data"]["exportCustomers"]["id"]

    async def exported() -> Any:
        got = await svc.gql(EXPORT_JOB, {"id": job_id}, headers=headers)
        found = got["data"]["exportJob"]
        return found if found["status"] == "COMPLETED" else None

    found = await eventually(exported, timeout=30, interval=0.2)
    text = (await fetch(svc, found["file"])).decode("utf-8-sig")
    return found["rowCount"], list(csv.reader(io.StringIO(text)))


async def test_export_keeps_to_the_callers_scope_and_masking(svc: Service) -> None:
    text = "客户类型,客户名称,手机号码,身份证号码,省份,负责人,团队\n" + (
        "个人,甲一,13300133000,630102198506120037,青海省,sam,east\n"
        "个人,甲二,13300133001,,青海省,sam,east\n"
        "个人,甲三,13300133002,,青海省,olga,west\n"
    )
    assert (await svc.run(text))["created"] == 3
    sales = auth_headers(sub="sam", roles=("SALES",), team="east")
    count, rows = await export_rows(svc, {"f": {"region": "青海省"}, "fmt": "CSV"}, sales)
    assert count == 2  # only his own customers
    header = rows[0]
    numbers = {r[header.index("客户名称")]: r[header.index("身份证号码")] for r in rows[1:]}
    assert numbers["甲一"] == "630102********0037" and numbers["甲二"] == ""
    count, rows = await export_rows(
        svc, {"f": {"region": "青海省"}, "fmt": "CSV", "p": False}, ANALYST
    )
    assert count == 3 and "手机号码" not in rows[0] and "身份证号码" not in rows[0]
    forbidden = await svc.upload(text.encode(), headers=ANALYST)
    assert forbidden.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_download_is_audited_and_a_gone_export_is_404_in_the_callers_language(
    svc: Service,
) -> None:
    await svc.run(HEADER + "个人,审计客户,13100131001,,,宁夏回族自治区\n")
    count, _ = await export_rows(svc, {"f": {"region": "宁夏回族自治区"}, "fmt": "CSV"}, ADMIN)
    assert count == 1
    job = await svc.one(EXPORT, {"f": {"region": "宁夏回族自治区"}, "fmt": "XLSX"})

    async def exported() -> Any:
        found = await svc.one(EXPORT_JOB, {"id": job["id"]})
        return found if found["status"] == "COMPLETED" else None

    found = await eventually(exported, timeout=30, interval=0.2)
    file = found["file"]
    assert file["fileName"] == f"customers-{job['id']}.xlsx" and file["expiresAt"]
    token = file["url"].removeprefix("/files/customer/")
    response = await download(svc, file)
    assert response.status_code == 200 and response.content.startswith(b"PK")
    assert response.headers["content-disposition"] == (
        f"attachment; filename=\"{file['fileName']}\"; filename*=UTF-8''{file['fileName']}"
    )
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"

    async def audited() -> Any:
        return await svc.db[AUDIT_LOG].find_one(
            {"action": "customer.download", "target.id": job["id"]}
        )

    entry = await eventually(audited, timeout=10)
    assert (entry["actor"], entry["roles"], entry["outcome"]) == ("alice", ["ADMIN"], "OK")
    assert entry["target"]["type"] == "CustomerExportJob"
    assert entry["details"] == {"file": "export", "format": "XLSX", "bytes": file["size"]}
    assert token not in orjson.dumps(entry, default=str).decode()
    # the file expires: the link finds nothing, the field is null
    await svc.db["customer_jobs"].update_one(
        {"_id": job["id"]}, {"$set": {"expires_at": datetime.now(UTC) - timedelta(seconds=1)}}
    )
    gone = await download(svc, file)
    assert gone.status_code == 404 and gone.headers["cache-control"] == "no-store"
    assert gone.json() == {"error": {"code": "NOT_FOUND", "message": "文件不存在或已过期"}}
    english = await download(svc, file, **{"Accept-Language": "en-US,en;q=0.9"})
    assert english.json()["error"]["message"] == "The file no longer exists or has expired"
    assert (await svc.one(EXPORT_JOB, {"id": job["id"]}))["file"] is None
    refusal = await svc.db[AUDIT_LOG].find_one(
        {"action": "customer.download", "target.id": job["id"], "outcome": "NOT_FOUND"}
    )
    assert refusal is not None and refusal["actor"] == "alice"


def test_content_disposition_has_an_rfc_6266_name_and_an_ascii_fallback() -> None:
    assert content_disposition("customers-1.csv") == (
        "attachment; filename=\"customers-1.csv\"; filename*=UTF-8''customers-1.csv"
    )
    assert content_disposition('客户 "导出".xlsx') == (
        'attachment; filename="__ ____.xlsx"; '
        "filename*=UTF-8''%E5%AE%A2%E6%88%B7%20%22%E5%AF%BC%E5%87%BA%22.xlsx"
    )
    assert content_disposition("报表") == (
        "attachment; filename=\"__\"; filename*=UTF-8''%E6%8A%A5%E8%A1%A8"
    )
