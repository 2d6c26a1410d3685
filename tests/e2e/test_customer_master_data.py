"""Customer master data through the gateway: search, history and restore, duplicates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.harness import SystemHandle, serve_system
from tests.support import auth_headers, eventually

pytestmark = pytest.mark.e2e

ADMIN = auth_headers(sub="alice", roles=("ADMIN",), team="east")
SALES = auth_headers(sub="sam", roles=("SERVICE",), team="east")  # reads every customer
CREATE = """mutation($input: CreateCustomerInput!) {
  createCustomer(input: $input) { id version idCardNumber } }"""
SEARCH = """query($f: CustomerFilterInput) {
  customers(filter: $f, first: 10) { totalCount edges { node { id displayName region } } } }"""


@pytest.fixture
async def gateway(mongodb_uri: str, amqp_url: str) -> AsyncIterator[SystemHandle]:
    async with serve_system(mongodb_uri, amqp_url, ("customer", "interaction")) as system:
        yield system


async def test_search_history_restore_and_duplicates_through_the_gateway(
    gateway: SystemHandle,
) -> None:
    shanghai = [{"province": "上海市", "city": "上海市", "district": "浦东新区"}]
    made = await gateway.gql(
        CREATE,
        {
            "input": {
                "kind": "INDIVIDUAL",
                "name": "陈静",
                "phones": ["13600136000"],
                "idCardNumber": "11010519491231002X",
                "addresses": shanghai,
            }
        },
    )
    assert "errors" not in made, made
    cid = made["data"]["createCustomer"]["id"]
    other = await gateway.gql(
        CREATE, {"input": {"kind": "ENTERPRISE", "name": "上海静安贸易有限公司", "industry": "F"}}
    )
    assert "errors" not in other, other

    for text, names in (
        ("陈静", ["陈静"]),
        ("cj", ["陈静"]),
        ("静", ["上海静安贸易有限公司", "陈静"]),
    ):
        body = await gateway.gql(SEARCH, {"f": {"text": text}})
        found = sorted(e["node"]["displayName"] for e in body["data"]["customers"]["edges"])
        assert found == names and body["data"]["customers"]["totalCount"] == len(names)
    body = await gateway.gql(SEARCH, {"f": {"region": "上海市", "text": "6000"}})
    assert [e["node"]["id"] for e in body["data"]["customers"]["edges"]] == [cid]

    # masking through the gateway
    masked = await gateway.gql(
        "query($id: ID!) { customer(id: $id) { idCardNumber } }", {"id": cid}, headers=SALES
    )
    assert masked["data"]["customer"]["idCardNumber"] == "110105********002X"

    # history, as-of, restore
    t1 = datetime.now(UTC).isoformat()
    updated = await gateway.gql(
        """mutation($id: ID!) { updateCustomer(id: $id, expectedVersion: 1,
           input: {name: "陈静怡", stage: ACTIVE}) { version } }""",
        {"id": cid},
    )
    assert updated["data"]["updateCustomer"]["version"] == 2
    body = await gateway.gql(
        """query($id: ID!, $at: DateTime!) {
          customer(id: $id) { history { totalCount edges { node { version action
            changes { field before after } } } } }
          customerAsOf(id: $id, at: $at) { displayName stage } }""",
        {"id": cid, "at": t1},
    )
    assert "errors" not in body, body
    versions = [e["node"] for e in body["data"]["customer"]["history"]["edges"]]
    assert [v["version"] for v in versions] == [2, 1]
    assert {"field": "displayName", "before": "陈静", "after": "陈静怡"} in versions[0]["changes"]
    assert body["data"]["customerAsOf"] == {"displayName": "陈静", "stage": "LEAD"}
    restored = await gateway.gql(
        """mutation($id: ID!) { restoreCustomerVersion(id: $id, version: 1, expectedVersion: 2)
           { displayName stage version } }""",
        {"id": cid},
    )
    assert restored["data"]["restoreCustomerVersion"] == {
        "displayName": "陈静",
        "stage": "LEAD",
        "version": 3,
    }

    # an exact duplicate is refused with the existing id, unless forced
    dup = {"kind": "INDIVIDUAL", "name": "Chen Jing", "phones": ["+86 136 0013 6000"]}
    refused = await gateway.gql(CREATE, {"input": dup})
    assert refused["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert refused["errors"][0]["extensions"]["conflictingId"] == cid
    forced = await gateway.gql(CREATE, {"input": {**dup, "force": True}})
    assert "errors" not in forced, forced

    async def listed() -> Any:
        body = await gateway.gql(
            "{ possibleDuplicates { totalCount edges { node { rule score customers { id } } } } }"
        )
        return body if body["data"]["possibleDuplicates"]["totalCount"] else None

    body = await eventually(listed)
    pair = body["data"]["possibleDuplicates"]["edges"][0]["node"]
    assert pair["rule"] == "PHONE" and cid in {c["id"] for c in pair["customers"]}


async def test_merge_through_the_gateway_resolves_old_ids_to_the_survivor(
    gateway: SystemHandle,
) -> None:
    ids = []
    for name, phone in (("孙丽", "13300133000"), ("孙丽 ", "13300133001")):
        body = await gateway.gql(
            CREATE, {"input": {"kind": "INDIVIDUAL", "name": name, "phones": [phone]}}
        )
        assert "errors" not in body, body
        ids.append(body["data"]["createCustomer"]["id"])
    merged = await gateway.gql(
        """mutation($s: ID!, $m: [ID!]!) { mergeCustomers(input: {survivorId: $s, mergedIds: $m})
           { mergeId customer { id phones version } } }""",
        {"s": ids[0], "m": [ids[1]]},
    )
    assert "errors" not in merged, merged
    assert merged["data"]["mergeCustomers"]["customer"]["phones"] == [
        "+8613300133000",
        "+8613300133001",
    ]
    body = await gateway.gql(
        """query($old: ID!) { customer(id: $old) { id history { edges { node { action } } } }
             customerHistory(id: $old) { edges { node { action } } } }""",
        {"old": ids[1]},
    )
    assert "errors" not in body, body
    assert body["data"]["customer"]["id"] == ids[0]
    assert body["data"]["customer"]["history"]["edges"][0]["node"]["action"] == "MERGED"
    assert [e["node"]["action"] for e in body["data"]["customerHistory"]["edges"]] == [
        "MERGED_INTO",
        "CREATED",
    ]
    listing = await gateway.gql(SEARCH, {"f": {"text": "孙丽"}})
    assert [e["node"]["id"] for e in listing["data"]["customers"]["edges"]] == [ids[0]]


async def test_the_largest_documented_page_of_a_list_screen_is_admitted(
    gateway: SystemHandle,
) -> None:
    """`MAX_PAGE_SIZE` (100) with the fields a list screen asks for fits the cost limit."""
    page = """{ customers(first: 100) { totalCount pageInfo { hasNextPage endCursor }
      edges { cursor node { id displayName stage ownerId tags phones createdAt } } } }"""
    body = await gateway.gql(page)
    assert "errors" not in body, body
    pairs = (
        "{ possibleDuplicates(first: 60) { totalCount edges { node { id score customerIds } } } }"
    )
    body = await gateway.gql(pairs)
    assert "errors" not in body, body
