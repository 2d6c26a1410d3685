"""Localised labels through the gateway: an output type has one field (`message`, `name`,
`label`) in the caller's language, zh-CN by default and English with `Accept-Language: en`;
the zh/en pair stays deprecated, except where ADMIN edits it (CustomFieldDefinition)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest

from tests.harness import SystemHandle, serve_system
from tests.support import auth_headers, eventually

pytestmark = pytest.mark.e2e

ADMIN = auth_headers(sub="alice", roles=("ADMIN",), team="east")
ENGLISH = {**ADMIN, "Accept-Language": "en"}
UPLOAD = """mutation($f: Upload!) { importCustomers(file: $f) { id } }"""
JOB = """query($id: ID!) { importJob(id: $id) { status
  errors { edges { node { row code message messageZh messageEn } } } } }"""
SECTIONS = """{ industrySections { code name nameZh nameEn } }"""
FIELD = """mutation { saveCustomFieldDefinition(input: {key: "vip_level", labelZh: "会员等级",
  labelEn: "VIP level", type: TEXT, position: 1}) { key } }"""
LABELS = """{ customFieldDefinitions { key label labelZh labelEn } }"""
DEPRECATED = """query($t: String!) { __type(name: $t) {
  fields(includeDeprecated: true) { name isDeprecated deprecationReason } } }"""


@pytest.fixture
async def system(mongodb_uri: str, amqp_url: str) -> AsyncIterator[SystemHandle]:
    async with serve_system(mongodb_uri, amqp_url, ("customer",), headers=ADMIN) as handle:
        yield handle


async def _deprecated(system: SystemHandle, type_name: str) -> dict[str, Any]:
    fields = (await system.ok(DEPRECATED, {"t": type_name}))["__type"]["fields"]
    return {f["name"]: f["deprecationReason"] for f in fields if f["isDeprecated"]}


async def test_an_import_row_error_message_is_in_the_callers_language(
    system: SystemHandle,
) -> None:
    operations = {"query": UPLOAD, "variables": {"f": None}}
    response = await system.http.post(
        f"{system.gateway}/graphql",
        data={"operations": orjson.dumps(operations).decode(), "map": '{"0":["variables.f"]}'},
        files={"0": ("c.csv", "客户类型,客户名称,手机号码\n个人,甲,12345\n".encode(), "text/csv")},
        headers=ADMIN,
    )
    job_id = response.json()["data"]["importCustomers"]["id"]

    async def finished() -> Any:
        job = (await system.ok(JOB, {"id": job_id}))["importJob"]
        return job if job["status"] == "COMPLETED" else None

    await eventually(finished, timeout=60, interval=0.2)
    zh = (await system.ok(JOB, {"id": job_id}))["importJob"]["errors"]["edges"][0]["node"]
    en = (await system.ok(JOB, {"id": job_id}, headers=ENGLISH))["importJob"]["errors"]
    en = en["edges"][0]["node"]
    assert zh["code"] == "INVALID_PHONE"
    assert zh["message"] == zh["messageZh"] and zh["message"].startswith("电话号码无效")
    assert en["message"] == en["messageEn"] and en["message"].startswith("Not a valid phone")
    reason = "Use message, in the caller's language (Accept-Language)."
    assert await _deprecated(system, "ImportRowError") == {
        "messageZh": reason,
        "messageEn": reason,
    }


async def test_an_industry_section_name_is_in_the_callers_language(
    system: SystemHandle,
) -> None:
    zh = {s["code"]: s for s in (await system.ok(SECTIONS))["industrySections"]}
    en = {s["code"]: s for s in (await system.ok(SECTIONS, headers=ENGLISH))["industrySections"]}
    assert zh["A"]["name"] == "农、林、牧、渔业" == zh["A"]["nameZh"]
    assert en["A"]["name"] == "Agriculture, forestry, animal husbandry and fishery"
    assert all(s["name"] == s["nameZh"] for s in zh.values())
    assert all(s["name"] == s["nameEn"] for s in en.values())
    reason = "Use name, in the caller's language (Accept-Language)."
    assert await _deprecated(system, "IndustrySection") == {"nameZh": reason, "nameEn": reason}


async def test_a_custom_field_label_is_in_the_callers_language_and_keeps_its_admin_pair(
    system: SystemHandle,
) -> None:
    await system.ok(FIELD)
    zh = (await system.ok(LABELS))["customFieldDefinitions"]
    en = (await system.ok(LABELS, headers=ENGLISH))["customFieldDefinitions"]
    pair = {"key": "vip_level", "labelZh": "会员等级", "labelEn": "VIP level"}
    assert zh == [{**pair, "label": "会员等级"}]
    assert en == [{**pair, "label": "VIP level"}]
    assert await _deprecated(system, "CustomFieldDefinition") == {}
