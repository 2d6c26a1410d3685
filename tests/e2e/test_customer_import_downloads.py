"""Downloads through the gateway: `CustomerFile.url` is `/files/customer/<token>`, a link
signed for the caller that a browser fetches from the gateway without an Authorization header.
The template, an error report and an export download their real bytes with the download
headers; a tampered link is 403, an expired one 410, a link for a job its holder may not read
403, a gone file 404; the refusals are JSON in the caller's language."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
import openpyxl
import orjson
import pytest
import pytest_asyncio

from crm_kit.file_links import FileLink, FileLinkSigner
from crm_kit.settings import DEFAULT_DEV_FILE_LINK_SECRET
from tests.harness import SystemHandle, serve_system
from tests.support import auth_headers, eventually

pytestmark = pytest.mark.e2e

ADMIN = auth_headers(sub="alice", roles=("ADMIN",), team="east")
SAM = auth_headers(sub="sam", roles=("SALES",), team="east")
ZOE = auth_headers(sub="zoe", roles=("SALES",), team="east")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE = "fileName contentType size url expiresAt"
TEMPLATE = f"""query($f: CustomerFileFormat, $l: String) {{
  customerImportTemplate(format: $f, language: $l) {{ {FILE} }} }}"""
UPLOAD = """mutation($f: Upload!) { importCustomers(file: $f) { id } }"""
JOB = f"""query($id: ID!, $fmt: CustomerFileFormat) {{ importJob(id: $id) {{ status failed
  errorReport(format: $fmt) {{ {FILE} }} }} }}"""
EXPORT = """mutation { exportCustomers(format: CSV, filter: {region: "甘肃省"}) { id } }"""
EXPORT_JOB = f"""query($id: ID!) {{ exportJob(id: $id) {{ status rowCount file {{ {FILE} }} }} }}"""
SIGNER = FileLinkSigner(DEFAULT_DEV_FILE_LINK_SECRET)  # the services' secret in development


@pytest_asyncio.fixture(scope="module")
async def system(mongodb_uri: str, amqp_url: str) -> AsyncIterator[SystemHandle]:
    async with serve_system(
        mongodb_uri, amqp_url, ("customer",), headers=ADMIN, http_timeout=60
    ) as handle:
        yield handle


@pytest_asyncio.fixture(scope="module")
async def sams_import(system: SystemHandle) -> str:
    """An import by sam (SALES) with one bad row: its id."""
    text = "客户类型,客户名称,手机号码,省份,负责人\n" + (
        "个人,甘一,13811138001,甘肃省,sam\n个人,甘二,12345,甘肃省,sam\n"  # row 3: a bad phone
    )
    operations = {"query": UPLOAD, "variables": {"f": None}}
    response = await system.http.post(
        f"{system.gateway}/graphql",
        data={"operations": orjson.dumps(operations).decode(), "map": '{"0":["variables.f"]}'},
        files={"0": ("customers.csv", text.encode(), "text/csv")},
        headers=SAM,
    )
    job_id: str = response.json()["data"]["importCustomers"]["id"]

    async def finished() -> Any:
        job = (await system.ok(JOB, {"id": job_id}, headers=SAM))["importJob"]
        return job if job["status"] == "COMPLETED" else None

    assert (await eventually(finished, timeout=60, interval=0.2))["failed"] == 1
    return job_id


async def get(system: SystemHandle, url: str, **headers: str) -> httpx.Response:
    """GET a link from the gateway, with only the headers given (never a token)."""
    assert "Authorization" not in headers
    return await system.http.get(system.gateway + url, headers=headers)


def signed(kind: str, resource: str, subject: str, **fields: Any) -> str:
    """A link made with the services' secret, as the API would make it (or with a past
    expiry: `expires_in` < 0)."""
    expires = int(time.time()) + int(fields.pop("expires_in", 300))
    link = FileLink("customer", kind, resource, subject, expires, **fields)
    return f"/files/customer/{SIGNER.sign(link)}"


def assert_download(response: httpx.Response, file: Mapping[str, Any]) -> bytes:
    assert response.status_code == 200, response.text
    headers = response.headers
    assert headers["content-type"] == file["contentType"]
    assert headers["content-disposition"] == (
        f"attachment; filename=\"{file['fileName']}\"; filename*=UTF-8''{file['fileName']}"
    )
    assert headers["cache-control"] == "no-store"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-request-id"]
    assert len(response.content) == file["size"]
    return response.content


def assert_refused(response: httpx.Response, status: int, code: str, message: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {"error": {"code": code, "message": message}}


async def test_template_links_download_real_files_without_authorization(
    system: SystemHandle,
) -> None:
    before = datetime.now(UTC)
    file = await system.one(TEMPLATE, {"f": "XLSX", "l": "en"}, headers=SAM)
    assert file["url"].startswith("/files/customer/") and file["contentType"] == XLSX
    assert file["fileName"] == "customer-import-template.xlsx"
    lifetime = datetime.fromisoformat(file["expiresAt"]) - before
    assert 290 <= lifetime.total_seconds() <= 301  # FILE_LINK_TTL_SECONDS: 300 by default
    data = assert_download(await get(system, file["url"]), file)
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert [c.value for c in book.worksheets[0][1]][:3] == ["Kind*", "Name*", "Customer ID"]
    assert book.sheetnames == ["customers", "Instructions"]
    again = await get(system, file["url"])  # a link works until it expires, the same bytes
    assert again.content == data
    csv_file = await system.one(TEMPLATE, {"f": "CSV"}, headers=SAM)
    text = assert_download(await get(system, csv_file["url"]), csv_file).decode("utf-8-sig")
    assert text.startswith("客户类型*,客户名称*,客户ID")
    assert csv_file["contentType"] == "text/csv; charset=utf-8"


async def test_error_report_and_export_links_download_the_expected_bytes(
    system: SystemHandle, sams_import: str
) -> None:
    job = (await system.ok(JOB, {"id": sams_import, "fmt": "CSV"}, headers=SAM))["importJob"]
    report = assert_download(await get(system, job["errorReport"]["url"]), job["errorReport"])
    lines = list(csv.reader(io.StringIO(report.decode("utf-8-sig"))))
    assert lines[0][0].startswith("行号") and lines[1][:3] == ["3", "手机号码", "INVALID_PHONE"]
    assert len(lines) == 2
    xlsx = (await system.ok(JOB, {"id": sams_import, "fmt": "XLSX"}, headers=SAM))["importJob"]
    book = assert_download(await get(system, xlsx["errorReport"]["url"]), xlsx["errorReport"])
    assert book.startswith(b"PK") and xlsx["errorReport"]["fileName"].endswith("-errors.xlsx")
    # sam's export of his customers: the stored file, as GraphQL describes it
    export_id = (await system.ok(EXPORT, headers=SAM))["exportCustomers"]["id"]

    async def exported() -> Any:
        found = (await system.ok(EXPORT_JOB, {"id": export_id}, headers=SAM))["exportJob"]
        return found if found["status"] == "COMPLETED" else None

    found = await eventually(exported, timeout=60, interval=0.2)
    content = assert_download(await get(system, found["file"]["url"]), found["file"])
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert found["rowCount"] == 1 and rows[1][rows[0].index("客户名称")] == "甘一"
    assert found["file"]["fileName"] == f"customers-{export_id}.csv"


async def test_tampered_and_expired_links_are_refused_in_the_callers_language(
    system: SystemHandle, sams_import: str
) -> None:
    job = (await system.ok(JOB, {"id": sams_import, "fmt": "CSV"}, headers=SAM))["importJob"]
    url: str = job["errorReport"]["url"]
    payload, signature = url.removeprefix("/files/customer/").split(".")
    flipped = payload[:-3] + ("A" if payload[-3] != "A" else "B") + payload[-2:]
    tampered = f"/files/customer/{flipped}.{signature}"
    assert_refused(await get(system, tampered), 403, "INVALID_LINK", "下载链接无效，请重新获取")
    english = await get(system, tampered, **{"Accept-Language": "en-US,en;q=0.9"})
    assert_refused(english, 403, "INVALID_LINK", "This download link is not valid; get a new one")
    expired = signed("errors", sams_import, "sam", params={"format": "CSV"}, expires_in=-1)
    assert_refused(await get(system, expired), 410, "LINK_EXPIRED", "下载链接已过期，请重新获取")
    assert_refused(
        await get(system, expired, **{"Accept-Language": "en"}),
        410,
        "LINK_EXPIRED",
        "This download link has expired; get a new one",
    )
    other_secret = FileLinkSigner("another-secret-" + "x" * 32).sign(
        FileLink("customer", "template", "", "sam", int(time.time()) + 300, {"format": "CSV"})
    )
    refused = await get(system, f"/files/customer/{other_secret}")
    assert_refused(refused, 403, "INVALID_LINK", "下载链接无效，请重新获取")


async def test_a_link_for_a_job_its_holder_may_not_read_is_refused(
    system: SystemHandle, sams_import: str
) -> None:
    # zoe (SALES) cannot read sam's job through the API, nor download its report by a link
    denied = await system.gql(JOB, {"id": sams_import}, headers=ZOE)
    assert denied["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    foreign = signed("errors", sams_import, "zoe", params={"format": "CSV"}, roles=("SALES",))
    assert_refused(await get(system, foreign), 403, "FORBIDDEN", "您无权下载此文件")
    export = signed("export", sams_import, "sam", roles=("SALES",))  # an import is no export
    assert_refused(await get(system, export), 404, "NOT_FOUND", "文件不存在或已过期")
    # ADMIN reads every job: alice's own link to sam's report works
    report = (await system.ok(JOB, {"id": sams_import, "fmt": "CSV"}))["importJob"]
    assert_download(await get(system, report["errorReport"]["url"]), report["errorReport"])
    gone = signed("errors", "no-such-job", "alice", params={"format": "CSV"}, roles=("ADMIN",))
    assert_refused(
        await get(system, gone, **{"Accept-Language": "en"}),
        404,
        "NOT_FOUND",
        "The file no longer exists or has expired",
    )


async def test_the_gateway_route_admits_only_its_subgraphs_and_tokens(
    system: SystemHandle,
) -> None:
    file = await system.one(TEMPLATE, {"f": "CSV"})
    token = file["url"].removeprefix("/files/customer/")
    for path in (
        f"/files/nothing/{token}",  # not a subgraph
        "/files/customer/not-a-token",
        "/files/customer/..%2Fgraphql",
        f"/files/customer/{token}/more",
    ):
        response = await get(system, path)
        assert response.status_code == 404, path
        if response.headers.get("content-type") == "application/json":
            assert response.json()["error"]["code"] == "NOT_FOUND"
    # a bearer token is neither needed nor harmful; the request id comes back
    with_token = await system.http.get(
        system.gateway + file["url"], headers={**ADMIN, "x-request-id": "dl-1"}
    )
    assert with_token.status_code == 200 and with_token.headers["x-request-id"] == "dl-1"
    assert (await system.http.post(system.gateway + file["url"])).status_code == 405
