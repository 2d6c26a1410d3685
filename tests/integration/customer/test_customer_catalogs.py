"""Catalogs over real HTTP against the embedded MongoDB and the real broker: custom
fields, the tag catalog, assignment rules, similar-name duplicates, idempotent writes."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from crm_customer.catalog import model as tags
from crm_customer.catalog.field_values import ValueFilter
from crm_customer.customers.filters import CustomerFilter, index_keys, plan
from crm_customer.customers.queries import CustomerQueries as CustomerRepository
from crm_customer.indexes import INDEXES
from crm_customer.migrations import v0003_fuzzy_name_keys
from crm_customer.protection.crypto import DataProtector
from tests.harness import ServiceHandle, observer, serve_service
from tests.support import auth_headers, eventually

pytestmark = pytest.mark.integration

ADMIN = auth_headers(sub="alice", roles=("ADMIN",), team="east")
SALES = auth_headers(sub="sam", roles=("SALES",), team="east")
FIELDS = "id version displayName ownerId team tags customFields"
CREATE = f"mutation($i: CreateCustomerInput!) {{ createCustomer(input: $i) {{ {FIELDS} }} }}"
UPDATE = f"""mutation($id: ID!, $v: Int!, $i: UpdateCustomerInput!) {{
  updateCustomer(id: $id, expectedVersion: $v, input: $i) {{ {FIELDS} }} }}"""
SEARCH = """query($f: CustomerFilterInput) {
  customers(filter: $f, first: 50) { totalCount edges { node { displayName } } } }"""
SAVE_FIELD = """mutation($i: CustomFieldDefinitionInput!) {
  saveCustomFieldDefinition(input: $i) { key label type required options active } }"""
SAVE_RULE = """mutation($i: AssignmentRuleInput!) {
  saveAssignmentRule(input: $i) { id name team strategy position } }"""
SAVE_STAFF_MEMBER = (
    """mutation($i: StaffInput!) { saveStaffMember(input: $i) { id name team active } }"""
)


@dataclass
class Service(ServiceHandle):
    @property
    def repo(self) -> CustomerRepository:
        return CustomerRepository(self.db, DataProtector.from_env())

    async def create(self, **fields: Any) -> dict[str, Any]:
        data = await self.ok(CREATE, {"i": {"kind": "INDIVIDUAL", **fields}})
        return dict(data["createCustomer"])

    async def names(self, **f: Any) -> list[str]:
        found = (await self.ok(SEARCH, {"f": f}))["customers"]
        names = sorted(e["node"]["displayName"] for e in found["edges"])
        assert found["totalCount"] == len(names)
        return names


@pytest.fixture
async def svc(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Service]:
    async with serve_service(
        "customer", mongodb_uri, amqp_url, headers=ADMIN, http_timeout=60
    ) as handle:
        yield Service.of(handle)


def enough(seen: list[Any], n: int) -> Any:
    async def probe() -> bool:
        return len(seen) >= n

    return probe


def field_errors(body: dict[str, Any]) -> dict[str, tuple[str, str]]:
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", body
    return {e["field"]: (e["code"], e["message"]) for e in error["extensions"]["fieldErrors"]}


async def test_custom_fields_validate_filter_by_index_and_keep_history(svc: Service) -> None:
    for definition in (
        {"key": "level", "labelZh": "级别", "labelEn": "Level", "type": "SELECT",
         "required": True, "options": ["A", "B"]},
        {"key": "budget", "labelZh": "预算", "labelEn": "Budget", "type": "NUMBER"},
        {"key": "channels", "labelZh": "渠道", "labelEn": "Channels", "type": "MULTISELECT",
         "options": ["web", "tel"]},
    ):  # fmt: skip
        await svc.ok(SAVE_FIELD, {"i": definition})
    denied = await svc.gql(
        SAVE_FIELD,
        {"i": {"key": "x", "labelZh": "x", "labelEn": "x", "type": "TEXT"}},
        headers=SALES,
    )
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    listed = await svc.ok("{ customFieldDefinitions { key label } }", headers=SALES)
    assert [d["key"] for d in listed["customFieldDefinitions"]] == ["level", "budget", "channels"]
    assert listed["customFieldDefinitions"][0]["label"] == "级别"  # zh-CN by default

    bad = {"kind": "INDIVIDUAL", "name": "坏数据", "customFields": {"level": "C", "nope": 1}}
    errors = field_errors(await svc.gql(CREATE, {"i": bad}))
    assert errors == {
        "customFields.level": ("OPTION_NOT_ALLOWED", "该选项不在可选列表中"),
        "customFields.nope": ("UNKNOWN_CUSTOM_FIELD", "未定义或已停用的自定义字段"),
    }
    bad = {"kind": "INDIVIDUAL", "name": "坏数据", "customFields": {"budget": "many"}}
    errors = field_errors(
        await svc.gql(CREATE, {"i": bad}, headers={**ADMIN, "Accept-Language": "en"})
    )
    assert errors == {
        "customFields.budget": ("CUSTOM_FIELD_TYPE", "Wrong value type for this custom field"),
        "customFields.level": ("CUSTOM_FIELD_REQUIRED", "This custom field is required"),
    }
    assert await svc.db["customers"].count_documents({}) == 0  # nothing half-written

    a = await svc.create(name="甲", customFields={"level": "A", "budget": 10, "channels": ["web"]})
    await svc.create(name="乙", customFields={"level": "B", "channels": ["web", "tel"]})
    assert a["customFields"] == {"budget": 10, "channels": ["web"], "level": "A"}
    assert await svc.names(customFields=[{"key": "level", "value": "A"}]) == ["甲"]
    assert await svc.names(customFields=[{"key": "channels", "value": "web"}]) == ["乙", "甲"]
    both = [{"key": "channels", "value": "tel"}, {"key": "level", "value": "B"}]
    assert await svc.names(customFields=both) == ["乙"]

    # index-served: the filter picks the custom_terms index, sent as a hint
    declared = index_keys(next(s for s in INDEXES if s.collection == "customers").indexes)
    flt = CustomerFilter(custom_fields=[ValueFilter("level", "A")])
    chosen = plan(flt.query())
    assert declared[chosen.index] == ["custom_terms", "created_at", "_id"]
    assert (await svc.repo.page(flt, 5, None)).total == 1

    updated = (
        await svc.ok(
            UPDATE,
            {
                "id": a["id"],
                "v": a["version"],
                "i": {"customFields": {"budget": 12, "channels": None}},
            },
        )
    )["updateCustomer"]
    assert updated["customFields"] == {"budget": 12, "level": "A"}  # a patch
    history = await svc.ok(
        "query($id: ID!) { customerHistory(id: $id) { edges { node { changes { "
        "field before after } } } } }",
        {"id": a["id"]},
    )
    changes = history["customerHistory"]["edges"][0]["node"]["changes"]
    assert changes == [
        {"field": "customFields.budget", "before": 10, "after": 12},
        {"field": "customFields.channels", "before": ["web"], "after": None},
    ]

    await svc.ok('mutation { deactivateCustomFieldDefinition(key: "budget") { active } }')
    listed = await svc.ok("{ customFieldDefinitions { key } }")
    assert [d["key"] for d in listed["customFieldDefinitions"]] == ["level", "channels"]
    retired = await svc.gql(
        UPDATE, {"id": a["id"], "v": updated["version"], "i": {"customFields": {"budget": 1}}}
    )
    assert field_errors(retired)["customFields.budget"][0] == "UNKNOWN_CUSTOM_FIELD"
    kept = await svc.ok("query($id: ID!) { customer(id: $id) { customFields } }", {"id": a["id"]})
    assert kept["customer"]["customFields"]["budget"] == 12  # stored values stay readable


async def test_tag_catalog_usage_counts_and_rename_in_batches(
    svc: Service, amqp_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tags, "RENAME_BATCH", 2)  # three customers: two batches
    saved = await svc.ok(
        'mutation { saveTag(input: {name: "重点", color: "#FF0000", group: "等级"}) '
        "{ name color group usageCount } }"
    )
    assert saved["saveTag"] == {
        "name": "重点",
        "color": "#ff0000",
        "group": "等级",
        "usageCount": 0,
    }
    bad = await svc.gql('mutation { saveTag(input: {name: "x", color: "red"}) { name } }')
    assert field_errors(bad) == {"color": ("INVALID_COLOR", "颜色需为 #RRGGBB 格式")}
    ids = [
        (await svc.create(name=name, tags=["重点", "mine"]))["id"] for name in ("一", "二", "三")
    ]
    await svc.create(name="四", tags=["mine"])
    one = await svc.ok(
        "query($id: ID!) { customer(id: $id) { catalogTags { name color } freeTags } }",
        {"id": ids[0]},
    )
    assert one["customer"] == {
        "catalogTags": [{"name": "重点", "color": "#ff0000"}],
        "freeTags": ["mine"],
    }
    listed = await svc.ok("{ tags { name usageCount } }")
    assert listed["tags"] == [{"name": "重点", "usageCount": 3}]
    assert await svc.names(tagsAny=["重点"]) == ["一", "三", "二"]
    assert await svc.names(tagsAll=["重点", "mine"]) == ["一", "三", "二"]

    async with observer(amqp_url, svc.exchange, "customer.updated.v1") as seen:
        renamed = await svc.ok(
            'mutation { renameTag(name: "重点", newName: "关键") { '
            "tag { name group } updated failed } }"
        )
        assert renamed["renameTag"] == {
            "tag": {"name": "关键", "group": "等级"},
            "updated": 3,
            "failed": [],
        }
        await eventually(enough(seen, 3))
    assert sorted(e["subject"] for e in seen) == sorted(ids)
    assert all(e["data"]["customer"]["tags"] == ["关键", "mine"] for e in seen)
    assert await svc.names(tagsAny=["重点"]) == []
    assert await svc.names(tagsAll=["关键", "mine"]) == ["一", "三", "二"]
    listed = await svc.ok("{ tags { name usageCount } }")
    assert listed["tags"] == [{"name": "关键", "usageCount": 3}]
    again = await svc.gql('mutation { renameTag(name: "重点", newName: "关键") { updated } }')
    assert again["data"]["renameTag"]["updated"] == 0  # resumable: nothing left to do


async def test_assignment_rules_round_robin_least_loaded_and_events(
    svc: Service, amqp_url: str
) -> None:
    for sid, team in (
        ("n1", "north"),
        ("n2", "north"),
        ("n3", "north"),
        ("e1", "east2"),
        ("e2", "east2"),
    ):
        staff = {"id": sid, "name": sid.upper(), "team": team, "roles": ["SALES"]}
        await svc.ok(SAVE_STAFF_MEMBER, {"i": {**staff, "idempotencyKey": f"k-{sid}"}})
    # the same key again returns the first result and writes nothing; with another input it
    # is a conflict, never a silent replay
    again = {
        "id": "n1",
        "name": "N1",
        "team": "north",
        "roles": ["SALES"],
        "idempotencyKey": "k-n1",
    }
    assert (await svc.ok(SAVE_STAFF_MEMBER, {"i": again}))["saveStaffMember"]["name"] == "N1"
    retry = {"id": "n1", "name": "Changed", "team": "north", "idempotencyKey": "k-n1"}
    refused = await svc.gql(SAVE_STAFF_MEMBER, {"i": retry})
    assert refused["errors"][0]["extensions"]["code"] == "CONFLICT"
    rule = {"name": "北京", "team": "north", "provinces": ["北京市"], "position": 1,
            "idempotencyKey": "rule-1"}  # fmt: skip
    first = (await svc.ok(SAVE_RULE, {"i": rule}))["saveAssignmentRule"]
    assert (await svc.ok(SAVE_RULE, {"i": rule}))["saveAssignmentRule"]["id"] == first["id"]
    least_rule = {"name": "上海 IT", "team": "east2", "strategy": "LEAST_LOADED",
                  "provinces": ["上海市"], "industries": ["I"], "position": 2}  # fmt: skip
    await svc.ok(SAVE_RULE, {"i": least_rule})
    rules = await svc.ok("{ assignmentRules { name team strategy } }")
    assert [r["name"] for r in rules["assignmentRules"]] == ["北京", "上海 IT"]
    preview = await svc.ok('{ assignmentPreview(province: "北京市") { ownerId team } }')
    assert preview["assignmentPreview"] == {"ownerId": "n1", "team": "north"}

    beijing = [{"province": "北京市", "city": "北京市"}]
    async with observer(amqp_url, svc.exchange, "customer.assigned.v1") as seen:
        made = await asyncio.gather(
            *(svc.create(name=f"并发{i}", addresses=beijing) for i in range(6))
        )
        await eventually(enough(seen, 6))
    assert Counter(c["ownerId"] for c in made) == {"n1": 2, "n2": 2, "n3": 2}  # atomic turns
    assert {c["team"] for c in made} == {"north"}
    assert sorted(e["data"]["ownerId"] for e in seen) == ["n1", "n1", "n2", "n2", "n3", "n3"]

    moved = [c for c in made if c["ownerId"] != "n3"][:2]  # bulk reassign emits the event too
    bulk = """mutation($ids: [ID!]) {
      bulkUpdateCustomers(ids: $ids, change: {ownerId: "n3"}) { succeeded } }"""
    async with observer(amqp_url, svc.exchange, "customer.assigned.v1") as seen:
        done = await svc.ok(bulk, {"ids": [c["id"] for c in moved]})
        assert done["bulkUpdateCustomers"]["succeeded"] == 2
        await eventually(enough(seen, 2))
    assert sorted(
        (e["subject"], e["data"]["previousOwnerId"], e["data"]["ownerId"]) for e in seen
    ) == sorted((c["id"], c["ownerId"], "n3") for c in moved)

    shanghai = [{"province": "上海市"}]
    for i in range(2):  # e1 already carries two customers
        await svc.create(kind="ENTERPRISE", name=f"旧客户{i}", ownerId="e1", addresses=shanghai)
    least = await svc.create(kind="ENTERPRISE", name="新客户", industry="I", addresses=shanghai)
    assert (least["ownerId"], least["team"]) == ("e2", "east2")
    other = await svc.create(kind="ENTERPRISE", name="制造", industry="C", addresses=shanghai)
    assert other["ownerId"] is None  # no rule matches: nobody is made owner
    named = await svc.create(name="指定", ownerId="sam", addresses=beijing)
    assert named["ownerId"] == "sam"  # a named owner always wins


async def test_similar_names_in_a_region_become_candidate_pairs(svc: Service) -> None:
    a = await svc.create(
        kind="ENTERPRISE", name="北京云帆科技有限公司", addresses=[{"province": "北京市"}]
    )
    b = await svc.create(
        kind="ENTERPRISE", name="云帆科技（北京）有限责任公司", addresses=[{"province": "北京市"}]
    )
    await svc.create(kind="ENTERPRISE", name="云帆科技有限公司", addresses=[{"province": "广东省"}])
    c = await svc.create(
        kind="ENTERPRISE", name="星河贸易有限公司", addresses=[{"province": "北京市"}]
    )
    await svc.ok(UPDATE, {"id": c["id"], "v": c["version"], "i": {"name": "北京云帆贸易有限公司"}})
    body = await svc.ok("{ possibleDuplicates { edges { node { rule score customerIds } } } }")
    pairs = {
        frozenset(p["customerIds"]): (p["rule"], p["score"])
        for p in (e["node"] for e in body["possibleDuplicates"]["edges"])
    }
    assert pairs == {
        frozenset({a["id"], b["id"]}): ("NAME_SIMILAR", 0.55),
        frozenset({a["id"], c["id"]}): ("NAME_SIMILAR", 0.55),
        frozenset({b["id"], c["id"]}): ("NAME_SIMILAR", 0.55),
    }  # the same name in 广东省 is another region: no pair

    # records stored before the rule get their blocking keys from migration 0003
    keys = svc.db["customer_match_keys"]
    await keys.delete_many({"_id": {"$regex": "^near:"}})
    for _ in range(2):  # idempotent
        await v0003_fuzzy_name_keys.apply(svc.db)
    block = await keys.find_one({"_id": "near:北京市:c:云帆"})
    assert block is not None
    assert sorted(block["ids"]) == sorted([a["id"], b["id"], c["id"]])


async def test_merge_with_an_idempotency_key_merges_once(svc: Service) -> None:
    a = await svc.create(name="合并甲", phones=["13900139001"])
    b = await svc.create(name="合并乙", phones=["13900139002"])
    merge = """mutation($i: MergeCustomersInput!) {
      mergeCustomers(input: $i) { mergeId customer { id version } } }"""
    request = {"survivorId": a["id"], "mergedIds": [b["id"]], "idempotencyKey": "m-1"}
    first = (await svc.ok(merge, {"i": request}))["mergeCustomers"]
    second = (await svc.ok(merge, {"i": request}))["mergeCustomers"]
    assert second == first
    assert await svc.db["customer_merges"].count_documents({}) == 1
