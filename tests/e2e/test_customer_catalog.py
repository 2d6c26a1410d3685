"""Catalogs through the gateway: an ADMIN defines a custom field, a catalog tag and an
assignment rule; customers are created with values and tags and no owner, the rule picks
their owners, a manager's SPA reads the field definitions in English, and the list filters by
custom field value and tag (together with the owner filter)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.harness import SystemHandle, serve_system
from tests.support import auth_headers, gql

pytestmark = pytest.mark.e2e

ADMIN = auth_headers(sub="alice", roles=("ADMIN",), team="hq")
MANAGER = auth_headers(sub="mia", roles=("MANAGER",), team="north")
CREATE = """mutation($i: CreateCustomerInput!) { createCustomer(input: $i) {
  id ownerId team customFields catalogTags { name color } freeTags } }"""
LIST = """query($f: CustomerFilterInput) {
  customers(filter: $f, first: 20) { totalCount edges { node { displayName ownerId } } } }"""


@pytest.fixture
async def gateway(mongodb_uri: str, amqp_url: str) -> AsyncIterator[SystemHandle]:
    async with serve_system(
        mongodb_uri, amqp_url, ("customer",), headers=ADMIN, http_timeout=60
    ) as system:
        yield system


async def test_custom_fields_tags_and_assignment_rules_through_the_gateway(
    gateway: SystemHandle,
) -> None:
    await gateway.ok(
        """mutation {
          saveCustomFieldDefinition(input: {key: "segment", labelZh: "细分市场", labelEn: "Segment",
            type: SELECT, options: ["SMB", "KA"], required: true}) { key }
          saveTag(input: {name: "重点客户", color: "#cc0000", group: "等级"}) { name }
        }"""
    )
    for sid in ("n1", "n2"):
        staff = f'{{id: "{sid}", name: "{sid}", team: "north", roles: ["SALES"]}}'
        await gateway.ok(f"mutation {{ saveStaffMember(input: {staff}) {{ id }} }}")
    await gateway.ok(
        """mutation { saveAssignmentRule(input: {name: "华北", team: "north",
          provinces: ["北京市", "天津市"], strategy: ROUND_ROBIN}) { id } }"""
    )
    fields = await gateway.ok(
        "{ customFieldDefinitions { key label type options required } }",
        headers={**MANAGER, "Accept-Language": "en"},
    )
    assert fields["customFieldDefinitions"] == [
        {"key": "segment", "label": "Segment", "type": "SELECT", "options": ["SMB", "KA"],
         "required": True}
    ]  # fmt: skip

    made = []
    for name, segment, province in (
        ("北京一号", "KA", "北京市"),
        ("天津二号", "SMB", "天津市"),
        ("北京三号", "KA", "北京市"),
        ("广州四号", "KA", "广东省"),
    ):
        data = await gateway.ok(
            CREATE,
            {
                "i": {
                    "kind": "ENTERPRISE",
                    "name": name,
                    "tags": ["重点客户", "展会"],
                    "customFields": {"segment": segment},
                    "addresses": [{"province": province}],
                }
            },
        )
        made.append(data["createCustomer"])
    assert [(c["ownerId"], c["team"]) for c in made] == [
        ("n1", "north"),
        ("n2", "north"),
        ("n1", "north"),
        (None, None),  # no rule matches 广东省: nobody is made owner
    ]
    assert made[0]["customFields"] == {"segment": "KA"}
    assert made[0]["catalogTags"] == [{"name": "重点客户", "color": "#cc0000"}]
    assert made[0]["freeTags"] == ["展会"]

    key_accounts = {"customFields": [{"key": "segment", "value": "KA"}], "tagsAll": ["重点客户"]}
    found = (await gateway.ok(LIST, {"f": key_accounts}))["customers"]
    assert found["totalCount"] == 3
    assert sorted(e["node"]["displayName"] for e in found["edges"]) == [
        "北京一号",
        "北京三号",
        "广州四号",
    ]
    owned = {**key_accounts, "ownerId": "n1"}
    found = (await gateway.ok(LIST, {"f": owned}))["customers"]
    assert sorted(e["node"]["displayName"] for e in found["edges"]) == ["北京一号", "北京三号"]
    tags = await gateway.ok("{ tags { name usageCount } }")
    assert tags["tags"] == [{"name": "重点客户", "usageCount": 4}]

    missing = await gql(
        gateway.http,
        gateway.graphql,
        CREATE,
        {"i": {"kind": "ENTERPRISE", "name": "缺字段", "addresses": [{"province": "北京市"}]}},
        headers={**ADMIN, "Accept-Language": "en"},
    )
    error = missing["errors"][0]["extensions"]
    assert error["code"] == "BAD_USER_INPUT"
    assert error["fieldErrors"] == [
        {
            "field": "customFields.segment",
            "code": "CUSTOM_FIELD_REQUIRED",
            "message": "This custom field is required",
        }
    ]
