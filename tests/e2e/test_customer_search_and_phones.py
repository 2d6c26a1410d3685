"""Through the gateway: search as a user types (a one-letter last word, pinyin from any
syllable), and landline and 400 / 800 numbers accepted, normalised, typed, deduplicated,
masked and searchable like mobiles."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.harness import SystemHandle, serve_system
from tests.support import auth_headers, error_code

pytestmark = pytest.mark.e2e

ANALYST = auth_headers(sub="ann", roles=("ANALYST",), team="east")  # sees phones masked
ENGLISH = {**auth_headers(), "Accept-Language": "en"}
DETAILS = "phones phoneDetails { number kind } contacts { phoneDetails { number kind } }"
CREATE = f"""mutation($input: CreateCustomerInput!) {{
  createCustomer(input: $input) {{ id {DETAILS} }} }}"""
READ = f"query($id: ID!) {{ customer(id: $id) {{ {DETAILS} }} }}"
SEARCH = """query($f: CustomerFilterInput) {
  customers(filter: $f, first: 20) { totalCount edges { node { id displayName } } } }"""


@pytest.fixture
async def gateway(mongodb_uri: str, amqp_url: str) -> AsyncIterator[SystemHandle]:
    async with serve_system(mongodb_uri, amqp_url, ("customer",)) as system:
        yield system


async def _create(gateway: SystemHandle, **fields: Any) -> dict[str, Any]:
    body = await gateway.gql(CREATE, {"input": {"kind": "INDIVIDUAL", **fields}})
    assert "errors" not in body, body
    return dict(body["data"]["createCustomer"])


async def _found(gateway: SystemHandle, text: str, **headers: Any) -> list[str]:
    body = await gateway.gql(SEARCH, {"f": {"text": text}}, **headers)
    assert "errors" not in body, body
    names = sorted(e["node"]["displayName"] for e in body["data"]["customers"]["edges"])
    assert body["data"]["customers"]["totalCount"] == len(names)
    return names


async def test_search_matches_what_a_user_types(gateway: SystemHandle) -> None:
    for name in ("Anna Tan", "Anna Lee", "王秀英", "王芳"):
        await _create(gateway, name=name)
    assert await _found(gateway, "Anna") == ["Anna Lee", "Anna Tan"]
    assert await _found(gateway, "Anna T") == ["Anna Tan"]
    assert await _found(gateway, "anna l") == ["Anna Lee"]
    assert await _found(gateway, "xiuying") == ["王秀英"]
    assert await _found(gateway, "xy") == ["王秀英"]
    assert await _found(gateway, "wang") == ["王秀英", "王芳"]
    # a role that sees names masked still finds enterprises only
    assert await _found(gateway, "Anna T", headers=ANALYST) == []


async def test_landlines_and_service_numbers_are_valid_for_enterprises_and_people(
    gateway: SystemHandle,
) -> None:
    company = await _create(
        gateway,
        kind="ENTERPRISE",
        name="上海远景贸易有限公司",
        phones=["021-58881234", "+862158881234", "(021)58881234", "4008123456"],
        contacts=[{"name": "李雷", "phones": ["021-58881234-8001", "13900139000"]}],
    )
    assert company["phones"] == ["+862158881234", "4008123456"]  # one landline, deduplicated
    assert company["phoneDetails"] == [
        {"number": "+862158881234", "kind": "LANDLINE"},
        {"number": "4008123456", "kind": "SERVICE"},
    ]
    assert company["contacts"][0]["phoneDetails"] == [
        {"number": "+862158881234x8001", "kind": "LANDLINE"},
        {"number": "+8613900139000", "kind": "MOBILE"},
    ]
    person = await _create(gateway, name="张伟", phones=["0755-2888-1234"])
    assert person["phoneDetails"] == [{"number": "+8675528881234", "kind": "LANDLINE"}]

    for text in ("021-58881234", "(021)5888 1234", "+86 21 5888 1234", "400-812-3456", "5888"):
        assert await _found(gateway, text) == ["上海远景贸易有限公司"], text
    assert await _found(gateway, "021-58881234-8001") == ["上海远景贸易有限公司"]
    assert await _found(gateway, "0755 28881234") == ["张伟"]

    masked = await gateway.gql(READ, {"id": company["id"]}, headers=ANALYST)
    assert masked["data"]["customer"]["phoneDetails"] == [
        {"number": "+8621****1234", "kind": "LANDLINE"},
        {"number": "40****3456", "kind": "SERVICE"},
    ]
    assert masked["data"]["customer"]["contacts"][0]["phoneDetails"][0] == {
        "number": "+8621****1234x****",
        "kind": "LANDLINE",
    }
    refused = await gateway.gql(SEARCH, {"f": {"text": "021-58881234"}}, headers=ANALYST)
    assert refused["errors"][0]["extensions"]["fieldErrors"][0]["code"] == "NOT_SEARCHABLE"

    # the same landline written another way is the same number: an exact duplicate
    again = await gateway.gql(
        CREATE, {"input": {"kind": "ENTERPRISE", "name": "远景", "phones": ["021 5888 1234"]}}
    )
    assert error_code(again) == "CONFLICT"
    assert again["errors"][0]["extensions"]["conflictingId"] == company["id"]


async def test_an_invalid_number_says_which_forms_are_accepted(gateway: SystemHandle) -> None:
    body = await gateway.gql(
        CREATE, {"input": {"kind": "ENTERPRISE", "name": "远景", "phones": ["58881234"]}}
    )
    error = body["errors"][0]["extensions"]["fieldErrors"][0]
    assert (error["field"], error["code"]) == ("phones[0]", "INVALID_PHONE")
    assert error["message"].startswith("电话号码无效") and "400/800" in error["message"]
    english = await gateway.gql(
        CREATE,
        {"input": {"kind": "ENTERPRISE", "name": "远景", "phones": ["58881234"]}},
        headers=ENGLISH,
    )
    message = english["errors"][0]["extensions"]["fieldErrors"][0]["message"]
    assert message.startswith("Not a valid phone number: give a mobile, a landline")
