"""Customer master data over real HTTP, the record's later life: merge and unmerge, erasure,
statistics, bulk changes, the staff directory, concurrent creates, the backfill migration."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from crm_customer.migrations import v0002_master_data_backfill
from tests.harness import observer
from tests.integration.customer.master_data import (
    CREATE,
    ID_CARD,
    SALES,
    Service,
)
from tests.support import auth_headers, eventually

pytestmark = pytest.mark.integration


MERGE = """mutation($input: MergeCustomersInput!) {
  mergeCustomers(input: $input) { mergeId customer { id displayName phones tags version } } }"""


async def test_merge_tombstones_resolve_to_survivor_and_unmerge_restores(
    svc: Service, amqp_url: str
) -> None:
    a = await svc.create(name="周杰", phones=["13500135000"], tags=["a"])
    b = await svc.create(name="周杰伦", phones=["13500135001"], tags=["b"], emails=["j@x.cn"])
    c = await svc.create(name="Jay Chou", tags=["c"])
    async with observer(amqp_url, svc.exchange, "customer.merged.v1") as seen:
        body = await svc.gql(
            MERGE,
            {
                "input": {
                    "survivorId": a["id"],
                    "mergedIds": [b["id"], c["id"]],
                    "fieldChoices": [{"field": "displayName", "customerId": b["id"]}],
                }
            },
        )
        assert "errors" not in body, body
        merged = body["data"]["mergeCustomers"]["customer"]
        assert merged["displayName"] == "周杰伦" and merged["id"] == a["id"]
        assert merged["phones"] == ["+8613500135000", "+8613500135001"]
        assert merged["tags"] == ["a", "b", "c"] and merged["version"] == 2

        async def got() -> bool:
            return bool(seen)

        await eventually(got)
    event = seen[0]
    assert event["data"]["survivorId"] == a["id"]
    assert event["data"]["mergedIds"] == [b["id"], c["id"]]
    assert "13500135001" not in str(event)
    # old ids resolve to the survivor; lists show the survivor once
    read = await svc.gql(
        "query($id: ID!) { customer(id: $id) { id displayName } }", {"id": c["id"]}
    )
    assert read["data"]["customer"] == {"id": a["id"], "displayName": "周杰伦"}
    assert await svc.search() == ["周杰伦"]
    # the survivor now holds b's phone: a new customer with it names the survivor
    dup = await svc.gql(
        CREATE, {"input": {"kind": "INDIVIDUAL", "name": "x", "phones": ["13500135001"]}}
    )
    assert dup["errors"][0]["extensions"]["conflictingId"] == a["id"]
    # both lineages are kept
    lineage = await svc.gql(
        "query($id: ID!) { customerHistory(id: $id) { edges { node { action } } } }",
        {"id": b["id"]},
    )
    assert [e["node"]["action"] for e in lineage["data"]["customerHistory"]["edges"]] == [
        "MERGED_INTO",
        "CREATED",
    ]
    # writes to a tombstone are refused, naming the survivor
    stale = await svc.gql(
        'mutation($id: ID!) { updateCustomer(id: $id, expectedVersion: 2, input: {tier: "A"}) '
        "{ id } }",
        {"id": b["id"]},
    )
    assert stale["errors"][0]["extensions"]["conflictingId"] == a["id"]
    again = await svc.gql(MERGE, {"input": {"survivorId": a["id"], "mergedIds": [a["id"]]}})
    assert {e["code"] for e in again["errors"][0]["extensions"]["fieldErrors"]} == {
        "DUPLICATE_ID",
        "MERGE_SIZE",
    }
    undo = await svc.gql(
        "mutation($m: ID!) { unmergeCustomers(mergeId: $m) "
        "{ customers { id displayName phones } } }",
        {"m": body["data"]["mergeCustomers"]["mergeId"]},
    )
    assert "errors" not in undo, undo
    assert await svc.search() == ["Jay Chou", "周杰", "周杰伦"]
    read = await svc.gql("query($id: ID!) { customer(id: $id) { id phones } }", {"id": b["id"]})
    assert read["data"]["customer"] == {"id": b["id"], "phones": ["+8613500135001"]}
    dup = await svc.gql(
        CREATE, {"input": {"kind": "INDIVIDUAL", "name": "y", "phones": ["13500135001"]}}
    )
    assert dup["errors"][0]["extensions"]["conflictingId"] == b["id"]


async def test_erasure_removes_personal_data_history_values_and_keys(
    svc: Service, amqp_url: str
) -> None:
    created = await svc.create(
        name="钱多多", phones=["13200132000"], idCardNumber=ID_CARD, emails=["q@dd.cn"]
    )
    cid = created["id"]
    await svc.gql(
        'mutation($id: ID!) { updateCustomer(id: $id, expectedVersion: 1, input: {tier: "A"}) '
        "{ version } }",
        {"id": cid},
    )
    erase = 'mutation($id: ID!) { eraseCustomer(id: $id, reason: "客户申请删除") { erased } }'
    denied = await svc.gql(erase, {"id": cid}, headers=SALES)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    async with observer(amqp_url, svc.exchange, "customer.erased.v1") as seen:
        body = await svc.gql(erase, {"id": cid})
        assert body["data"]["eraseCustomer"] == {"erased": True}

        async def got() -> bool:
            return bool(seen)

        await eventually(got)
    assert seen[0]["data"]["customerId"] == cid and seen[0]["subject"] == cid
    stored = await svc.db.customers.find_one({"_id": cid})
    versions = await svc.db.customer_versions.find({"customer_id": cid}).to_list()
    for needle in ("钱多多", "13200132000", "q@dd.cn", "002X"):
        assert needle not in str(stored) and needle not in str(versions), needle
    assert stored["id_card_enc"] is None and stored["archived"] is True
    assert len(versions) == 3  # the skeleton of who changed what when stays
    again = await svc.create(name="钱多多", phones=["13200132000"], idCardNumber=ID_CARD)
    assert again["id"] != cid  # no longer a duplicate of anything
    as_of = await svc.gql(
        "query($id: ID!, $at: DateTime!) { customerAsOf(id: $id, at: $at) { id } }",
        {"id": cid, "at": datetime.now(UTC).isoformat()},
    )
    assert as_of["data"]["customerAsOf"]["id"] == cid  # only the erased tombstone state


async def test_statistics_for_dashboards(svc: Service) -> None:
    bj = [{"province": "北京市"}]
    await svc.create(name="统计一", source="ONLINE", addresses=bj)
    await svc.create(name="统计二", source="ONLINE", stage="PROSPECT", addresses=bj)
    await svc.create(kind="ENTERPRISE", name="统计公司", industry="C", source="EVENT")
    made = await svc.create(name="统计三")
    await svc.gql(
        "mutation($id: ID!) { updateCustomer(id: $id, expectedVersion: 1, "
        "input: {stage: ACTIVE}) { version } }",
        {"id": made["id"]},
    )
    body = await svc.gql(
        """{ customerStatistics { total byStage { key count } bySource { key count }
             byIndustry { key count } byRegion { key count } byKind { key count }
             newPerWeek { weekStart count } stageTransitions { fromStage toStage count } } }"""
    )
    assert "errors" not in body, body
    stats = body["data"]["customerStatistics"]
    as_map = {k: {b["key"]: b["count"] for b in stats[k]} for k in stats if k.startswith("by")}
    assert stats["total"] == 4
    assert as_map["byStage"] == {"LEAD": 2, "PROSPECT": 1, "ACTIVE": 1}
    assert as_map["bySource"] == {"ONLINE": 2, "EVENT": 1, None: 1}
    assert as_map["byRegion"] == {"北京市": 2, None: 2}
    assert as_map["byKind"] == {"INDIVIDUAL": 3, "ENTERPRISE": 1}
    assert as_map["byIndustry"]["C"] == 1
    assert len(stats["newPerWeek"]) == 12 and stats["newPerWeek"][-1]["count"] == 4
    assert stats["stageTransitions"] == [{"fromStage": "LEAD", "toStage": "ACTIVE", "count": 1}]
    filtered = await svc.gql(
        "{ customerStatistics(filter: {source: ONLINE}) { total byStage { key count } } }"
    )
    assert filtered["data"]["customerStatistics"]["total"] == 2


BULK = """mutation($ids: [ID!], $f: CustomerFilterInput, $c: BulkChangeInput!) {
  bulkUpdateCustomers(ids: $ids, filter: $f, change: $c) {
    succeeded failed truncated items { id ok version code message } } }"""


async def test_bulk_operations_report_per_item_and_never_half_apply(svc: Service) -> None:
    lead = await svc.create(name="批量一", tags=["old"])
    vip = await svc.create(name="批量二", stage="VIP", tags=["old", "keep"])
    body = await svc.gql(
        BULK,
        {
            "ids": [lead["id"], vip["id"], "missing"],
            "c": {"stage": "LEAD", "addTags": ["new"], "removeTags": ["old"]},
        },
        headers={**auth_headers(), "Accept-Language": "en"},
    )
    assert "errors" not in body, body
    result = body["data"]["bulkUpdateCustomers"]
    assert result["truncated"] is False
    items = {i["id"]: i for i in result["items"]}
    assert items[lead["id"]]["ok"] is True and items[lead["id"]]["version"] == 2
    assert items[vip["id"]]["ok"] is False
    assert items[vip["id"]]["code"] == "INVALID_TRANSITION"  # VIP cannot go back to LEAD
    assert items["missing"]["code"] == "NOT_FOUND"
    assert (result["succeeded"], result["failed"]) == (1, 2)
    assert await svc.search(tagsAll=["new"]) == ["批量一"]
    assert await svc.search(tagsAll=["old", "keep"]) == ["批量二"]  # untouched, not half-applied
    body = await svc.gql(
        BULK, {"f": {"tagsAny": ["new", "keep"]}, "c": {"ownerId": "olga", "team": "north"}}
    )
    assert body["data"]["bulkUpdateCustomers"]["succeeded"] == 2
    assert await svc.search(ownerId="olga", team="north") == ["批量一", "批量二"]
    body = await svc.gql(BULK, {"f": {"ownerId": "olga"}, "c": {"archived": True}})
    assert body["data"]["bulkUpdateCustomers"]["succeeded"] == 2
    assert await svc.search() == []
    body = await svc.gql(BULK, {"ids": [lead["id"]], "f": {}, "c": {"archived": False}})
    assert body["errors"][0]["extensions"]["fieldErrors"][0]["code"] == "IDS_OR_FILTER"


async def test_staff_directory_is_provisioned_just_in_time_and_admin_managed(
    svc: Service,
) -> None:
    carol = auth_headers(sub="carol", roles=("SALES",), team="south")
    await svc.gql("{ customers { totalCount } }", headers=carol)  # first request
    body = await svc.gql('{ staffMember(id: "carol") { id name team roles active } }')
    assert body["data"]["staffMember"] == {
        "id": "carol",
        "name": "carol",
        "team": "south",
        "roles": ["SALES"],
        "active": True,
    }
    upsert = """mutation($input: StaffInput!) {
  saveStaffMember(input: $input) { id name email active }
}"""
    denied = await svc.gql(upsert, {"input": {"id": "carol", "name": "x"}}, headers=carol)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    bad = await svc.gql(upsert, {"input": {"id": "carol", "name": "", "email": "nope"}})
    assert {e["field"] for e in bad["errors"][0]["extensions"]["fieldErrors"]} == {"name", "email"}
    body = await svc.gql(
        upsert,
        {
            "input": {
                "id": "carol",
                "name": "Carol 陈",
                "email": "Carol@Corp.cn",
                "team": "south",
                "roles": ["SALES"],
                "active": False,
            }
        },
    )
    assert body["data"]["saveStaffMember"] == {
        "id": "carol",
        "name": "Carol 陈",
        "email": "carol@corp.cn",
        "active": False,
    }
    await svc.gql("{ customers { totalCount } }", headers=carol)  # claims do not overwrite
    listing = await svc.gql(
        '{ staffDirectory(filter: {team: "south", includeInactive: true})'
        " { edges { node { id name } } } }"
    )
    members = [e["node"] for e in listing["data"]["staffDirectory"]["edges"]]
    assert members == [{"id": "carol", "name": "Carol 陈"}]
    active = await svc.gql(
        '{ staffDirectory(filter: {team: "south"}) { totalCount edges { node { id } } } }'
    )
    assert active["data"]["staffDirectory"] == {"totalCount": 0, "edges": []}
    customer = await svc.create(name="分配测试")
    refused = await svc.gql(
        'mutation($id: ID!) { assignCustomer(id: $id, ownerId: "carol") { ownerId } }',
        {"id": customer["id"]},
    )
    assert refused["errors"][0]["extensions"]["fieldErrors"][0]["code"] == "INACTIVE_STAFF"


async def test_concurrent_creates_with_the_same_phone_make_one_customer(svc: Service) -> None:
    bodies = await asyncio.gather(
        *(
            svc.gql(
                CREATE,
                {"input": {"kind": "INDIVIDUAL", "name": f"并发{i}", "phones": ["13100131000"]}},
            )
            for i in range(4)
        )
    )
    created = [b for b in bodies if "errors" not in b]
    refused = [b["errors"][0]["extensions"]["code"] for b in bodies if "errors" in b]
    assert len(created) == 1 and refused == ["CONFLICT"] * 3
    assert len(await svc.search(text="13100131000")) == 1


async def test_backfill_migration_makes_legacy_customers_searchable_and_matchable(
    svc: Service,
) -> None:
    now = datetime.now(UTC)
    legacy = {
        "_id": "legacy1",
        "kind": "INDIVIDUAL",
        "name": "老客户",
        "stage": "LEAD",
        "tier": None,
        "tags": [],
        "phones": ["+8613000130000"],
        "emails": [],
        "source": None,
        "owner_id": None,
        "team": None,
        "version": 1,
        "archived": False,
        "created_at": now,
        "updated_at": now,
        "created_by": "seed",
        "updated_by": "seed",
    }
    await svc.db.customers.insert_one(legacy)
    await v0002_master_data_backfill.apply(svc.db)
    await v0002_master_data_backfill.apply(svc.db)  # idempotent
    assert await svc.search(text="老客") == ["老客户"]
    dup = await svc.gql(
        CREATE, {"input": {"kind": "INDIVIDUAL", "name": "新", "phones": ["13000130000"]}}
    )
    assert dup["errors"][0]["extensions"]["conflictingId"] == "legacy1"
