"""Customer master data over real HTTP against the embedded MongoDB and the real broker:
identity numbers encrypted and masked, localised field errors, duplicates, search, history."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from crm_customer.customers.filters import CustomerFilter, index_keys, plan
from crm_customer.customers.queries import CustomerQueries as CustomerRepository
from crm_customer.customers.values import CustomerKind, LifecycleStage, Source
from crm_customer.indexes import INDEXES
from crm_customer.migrations import v0002_master_data_backfill
from crm_customer.protection.crypto import DataProtector
from tests.harness import ServiceHandle, observer, serve_service
from tests.support import auth_headers, eventually

pytestmark = pytest.mark.integration

ID_CARD = "11010519491231002X"
USCC = "91350100M000100Y43"
SALES = auth_headers(sub="sam", roles=("SALES",), team="east")
FIELDS = "id version displayName stage tags phones region industry idCardNumber birthday gender"
CREATE = (
    f"mutation($input: CreateCustomerInput!) {{ createCustomer(input: $input) {{ {FIELDS} }} }}"
)
SEARCH = """query($f: CustomerFilterInput, $first: Int, $after: String, $sort: CustomerSort) {
  customers(filter: $f, first: $first, after: $after, sort: $sort) {
    totalCount edges { node { id displayName } } pageInfo { hasNextPage endCursor } } }"""


@dataclass
class Service(ServiceHandle):
    @property
    def repo(self) -> CustomerRepository:
        return CustomerRepository(self.db, DataProtector.from_env())

    async def create(self, **fields: Any) -> dict[str, Any]:
        body = await self.gql(CREATE, {"input": {"kind": "INDIVIDUAL", **fields}})
        assert "errors" not in body, body
        return dict(body["data"]["createCustomer"])

    async def search(self, **f: Any) -> list[str]:
        body = await self.gql(SEARCH, {"f": f, "first": 100})
        assert "errors" not in body, body
        names = [e["node"]["displayName"] for e in body["data"]["customers"]["edges"]]
        assert body["data"]["customers"]["totalCount"] == len(names)
        return sorted(names)


@pytest.fixture
async def svc(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Service]:
    async with serve_service("customer", mongodb_uri, amqp_url) as handle:
        yield Service.of(handle)


async def test_id_card_is_encrypted_at_rest_and_masked_unless_admin(svc: Service) -> None:
    created = await svc.create(name="王芳", idCardNumber=ID_CARD)
    assert created["idCardNumber"] == ID_CARD  # the caller is ADMIN
    assert (created["birthday"], created["gender"]) == ("1949-12-31", "FEMALE")
    stored = await svc.db.customers.find_one({"_id": created["id"]})
    assert ID_CARD not in str(stored) and stored["id_card_enc"].startswith("dev-insecure:")
    versions = await svc.db.customer_versions.find({"customer_id": created["id"]}).to_list()
    assert versions and ID_CARD not in str(versions)
    read = await svc.gql(
        "query($id: ID!) { customer(id: $id) { idCardNumber } }",
        {"id": created["id"]},
        headers=auth_headers(sub="sid", roles=("SERVICE",), team="east"),  # reads every customer
    )
    assert read["data"]["customer"]["idCardNumber"] == "110105********002X"
    outbox = await svc.db.outbox.find({"subject": created["id"]}).to_list()
    assert outbox and ID_CARD not in str(outbox)


async def test_field_errors_are_localised_zh_by_default_en_on_request(svc: Service) -> None:
    bad = {"input": {"kind": "INDIVIDUAL", "name": "x", "idCardNumber": "110105194912310021"}}
    zh = await svc.gql(CREATE, bad)
    en = await svc.gql(CREATE, bad, headers={**auth_headers(), "Accept-Language": "en-US,en"})
    for body, text in (
        (zh, "身份证号码校验位不正确"),
        (en, "The ID card number's check digit is wrong"),
    ):
        error = body["errors"][0]["extensions"]
        assert error["code"] == "BAD_USER_INPUT"
        assert error["fieldErrors"] == [
            {"field": "idCardNumber", "code": "INVALID_ID_CARD_CHECK_DIGIT", "message": text}
        ]
    company = {"kind": "ENTERPRISE", "name": "坏代码公司", "uscc": USCC[:-1] + "X", "industry": "Z"}
    body = await svc.gql(CREATE, {"input": company})
    assert {e["code"] for e in body["errors"][0]["extensions"]["fieldErrors"]} == {
        "INVALID_USCC_CHECK_CHAR",
        "INVALID_INDUSTRY",
    }


async def test_exact_duplicates_conflict_unless_forced_and_are_listed(svc: Service) -> None:
    first = await svc.create(name="李雷", phones=["13900139000"], idCardNumber=ID_CARD)
    again = await svc.gql(
        CREATE, {"input": {"kind": "INDIVIDUAL", "name": "Li Lei", "phones": ["+86 139 0013 9000"]}}
    )
    ext = again["errors"][0]["extensions"]
    assert (ext["code"], ext["conflictingId"], ext["rule"], ext["score"]) == (
        "CONFLICT",
        first["id"],
        "PHONE",
        0.9,
    )
    by_id = await svc.gql(
        CREATE, {"input": {"kind": "INDIVIDUAL", "name": "别名", "idCardNumber": ID_CARD.lower()}}
    )
    assert by_id["errors"][0]["extensions"]["rule"] == "ID_CARD"
    forced = await svc.create(name="Li Lei", phones=["13900139000"], force=True)
    region = [{"province": "北京市", "city": "北京市"}]
    a = await svc.create(name="韩梅梅", addresses=region)
    b = await svc.create(name=" 韩 梅梅", addresses=region)  # similar name, same region: allowed
    body = await svc.gql(
        "{ possibleDuplicates { totalCount items { id rule score customerIds "
        "customers { displayName } } } }"
    )
    pairs = {
        frozenset(p["customerIds"]): (p["rule"], p["score"])
        for p in body["data"]["possibleDuplicates"]["items"]
    }
    assert pairs == {
        frozenset({first["id"], forced["id"]}): ("PHONE", 0.9),
        frozenset({a["id"], b["id"]}): ("NAME_REGION", 0.6),
    }
    pair_id = body["data"]["possibleDuplicates"]["items"][-1]["id"]
    await svc.gql("mutation($id: ID!) { dismissDuplicate(id: $id) }", {"id": pair_id})
    body = await svc.gql("{ possibleDuplicates { totalCount } }")
    assert body["data"]["possibleDuplicates"]["totalCount"] == 1


async def test_search_filters_and_free_text_in_chinese_and_english(svc: Service) -> None:
    await svc.create(
        name="张伟",
        phones=["13800138000"],
        emails=["wei.zhang@example.cn"],
        tags=["vip", "north"],
        source="REFERRAL",
        referrer="老王",
        addresses=[{"province": "北京市"}],
    )
    await svc.create(
        name="王伟", tags=["vip"], stage="PROSPECT", addresses=[{"province": "上海市"}]
    )
    await svc.create(
        kind="ENTERPRISE",
        name="北京云帆科技有限公司",
        uscc=USCC,
        industry="I",
        tier="A",
        contacts=[{"name": "刘洋", "phones": ["13700137000"], "primary": True}],
        addresses=[{"province": "北京市"}],
    )
    await svc.create(name="Emily Carter", emails=["emily@acme.com"], source="ONLINE")
    assert await svc.search(text="伟") == ["张伟", "王伟"]
    assert await svc.search(text="云帆") == ["北京云帆科技有限公司"]
    assert await svc.search(text="zw") == ["张伟"]  # pinyin initials
    assert await svc.search(text="zhangwei") == ["张伟"]
    assert await svc.search(text="8000") == ["张伟"]  # phone suffix
    assert await svc.search(text="刘洋") == ["北京云帆科技有限公司"]  # contact name
    assert await svc.search(text="13700137000") == ["北京云帆科技有限公司"]  # contact phone
    assert await svc.search(text="emi") == ["Emily Carter"]
    assert await svc.search(text="emily@acme.com") == ["Emily Carter"]
    assert await svc.search(tagsAll=["vip", "north"]) == ["张伟"]
    assert await svc.search(tagsAny=["north", "vip"]) == ["张伟", "王伟"]
    assert await svc.search(region="北京市") == ["北京云帆科技有限公司", "张伟"]
    assert await svc.search(region="北京市", kind="INDIVIDUAL", text="伟") == ["张伟"]
    assert await svc.search(industry="i", tier="A") == ["北京云帆科技有限公司"]
    assert await svc.search(source="REFERRAL") == ["张伟"]
    assert await svc.search(stages=["PROSPECT", "ACTIVE"]) == ["王伟"]
    assert (
        await svc.search(createdFrom="2000-01-01T00:00:00Z", createdTo="2001-01-01T00:00:00Z") == []
    )
    body = await svc.gql(SEARCH, {"f": {"text": "  !! "}})
    assert body["errors"][0]["extensions"]["fieldErrors"][0]["field"] == "text"
    # sorted by update time, paged two at a time, every record exactly once
    seen: list[str] = []
    after = None
    while True:
        body = await svc.gql(SEARCH, {"first": 2, "after": after, "sort": "UPDATED_DESC"})
        page = body["data"]["customers"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 4


async def test_every_filter_path_is_served_by_an_index(svc: Service) -> None:
    """Each filter picks a declared index led by its field (then the sort keys), and the
    listing sends it as a hint — accepted and answered correctly by the server."""
    declared = index_keys(next(s for s in INDEXES if s.collection == "customers").indexes)
    filters = {
        "owner_id": CustomerFilter(owner_id="bob", stage=LifecycleStage.LEAD),
        "team": CustomerFilter(team="east"),
        "stage": CustomerFilter(stages=[LifecycleStage.LEAD, LifecycleStage.VIP]),
        "tags": CustomerFilter(tags_any=["x"], region="北京市"),
        "region": CustomerFilter(region="北京市", kind=CustomerKind.INDIVIDUAL),
        "industry": CustomerFilter(industry="I"),
        "source": CustomerFilter(source=Source.ONLINE),
        "tier": CustomerFilter(tier="A"),
        "kind": CustomerFilter(kind=CustomerKind.ENTERPRISE),
        "search_terms": CustomerFilter(text="索引", owner_id="bob"),
        "created_at": CustomerFilter(created_from=datetime(2020, 1, 1, tzinfo=UTC)),
    }
    for leading, flt in filters.items():
        chosen = plan(flt.query())
        assert chosen.leading_field == leading
        assert declared[chosen.index][0] == leading
        assert declared[chosen.index][-2:] == ["created_at", "_id"]
    await svc.create(name="索引测试", tags=["x"], addresses=[{"province": "北京市"}])
    for flt in filters.values():
        page = await svc.repo.page(flt, 5, None)  # the hinted query runs on the server
        assert page.total == len(page.items)
    page = await svc.repo.page(CustomerFilter(tags_any=["x"], region="北京市"), 5, None)
    assert [c.name for c in page.items] == ["索引测试"]


async def test_history_as_of_and_restore_to_version(svc: Service, amqp_url: str) -> None:
    created = await svc.create(name="赵敏", tags=["a"])
    cid = created["id"]
    update = """mutation($id: ID!, $v: Int!, $input: UpdateCustomerInput!) {
      updateCustomer(id: $id, expectedVersion: $v, input: $input) { version } }"""
    await svc.gql(update, {"id": cid, "v": 1, "input": {"name": "赵敏敏", "stage": "PROSPECT"}})
    between = datetime.now(UTC).isoformat()
    await svc.gql(update, {"id": cid, "v": 2, "input": {"tags": ["a", "b"]}})
    body = await svc.gql(
        """query($id: ID!, $at: DateTime!) {
          customer(id: $id) { history { totalCount versions { version action actorId
            changes { field before after } } } }
          customerAsOf(id: $id, at: $at) { displayName tags version } }""",
        {"id": cid, "at": between},
    )
    history = body["data"]["customer"]["history"]
    assert history["totalCount"] == 3
    assert [v["version"] for v in history["versions"]] == [3, 2, 1]
    assert history["versions"][0]["changes"] == [
        {"field": "tags", "before": ["a"], "after": ["a", "b"]}
    ]
    assert {c["field"] for c in history["versions"][1]["changes"]} == {"name", "stage"}
    assert history["versions"][2]["action"] == "CREATED"
    assert body["data"]["customerAsOf"] == {"displayName": "赵敏敏", "tags": ["a"], "version": 2}
    async with observer(amqp_url, svc.exchange, "customer.updated.v1") as seen:
        restored = await svc.gql(
            "mutation($id: ID!) { restoreCustomerVersion(id: $id, version: 1, expectedVersion: 3)"
            " { displayName stage tags version } }",
            {"id": cid},
        )
        assert restored["data"]["restoreCustomerVersion"] == {
            "displayName": "赵敏",
            "stage": "LEAD",
            "tags": ["a"],
            "version": 4,
        }

        # the two updates' own events may still be on their way: wait for the restore's
        async def got() -> bool:
            return any(e["subject"] == cid and "restoredFromVersion" in e["data"] for e in seen)

        await eventually(got)
    event = next(e for e in seen if e["subject"] == cid and "restoredFromVersion" in e["data"])
    assert event["data"]["restoredFromVersion"] == 1
    assert set(event["data"]["changedFields"]) == {"name", "stage", "tags"}
    missing = await svc.gql(
        "mutation($id: ID!) { restoreCustomerVersion(id: $id, version: 99, expectedVersion: 4)"
        " { version } }",
        {"id": cid},
    )
    assert missing["errors"][0]["extensions"]["fieldErrors"][0]["code"] == "VERSION_NOT_FOUND"


async def test_archive_hides_and_restore_brings_back_with_events(
    svc: Service, amqp_url: str
) -> None:
    async with observer(amqp_url, svc.exchange, "customer.#") as seen:
        created = await svc.create(name="归档客户")
        body = await svc.gql(
            "mutation($id: ID!) { archiveCustomer(id: $id) { archived version } }",
            {"id": created["id"]},
        )
        assert body["data"]["archiveCustomer"] == {"archived": True, "version": 2}
        assert await svc.search() == []
        assert await svc.search(archivedOnly=True) == ["归档客户"]
        sales = await svc.gql(
            "mutation($id: ID!) { unarchiveCustomer(id: $id) { archived } }",
            {"id": created["id"]},
            headers=SALES,
        )
        assert sales["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        await svc.gql(
            "mutation($id: ID!) { unarchiveCustomer(id: $id) { archived } }", {"id": created["id"]}
        )
        assert await svc.search() == ["归档客户"]

        async def both() -> bool:
            return len(seen) >= 3

        await eventually(both)
    assert [e["type"] for e in seen] == [
        "customer.created.v1",
        "customer.archived.v1",
        "customer.updated.v1",
    ]
    assert seen[1]["data"]["archived"] is True and seen[1]["data"]["customer"]["archived"]
    assert seen[2]["data"]["changedFields"] == ["archived"]
    assert seen[2]["data"]["customer"]["archived"] is False


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
        "query($id: ID!) { customerHistory(id: $id) { versions { action } } }", {"id": b["id"]}
    )
    assert [v["action"] for v in lineage["data"]["customerHistory"]["versions"]] == [
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
        "mutation($m: ID!) { unmergeCustomers(mergeId: $m) { id displayName phones } }",
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
    upsert = (
        """mutation($input: StaffInput!) { upsertStaff(input: $input) { id name email active } }"""
    )
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
    assert body["data"]["upsertStaff"] == {
        "id": "carol",
        "name": "Carol 陈",
        "email": "carol@corp.cn",
        "active": False,
    }
    await svc.gql("{ customers { totalCount } }", headers=carol)  # claims do not overwrite
    listing = await svc.gql('{ staffDirectory(team: "south", activeOnly: false) { id name } }')
    assert listing["data"]["staffDirectory"] == [{"id": "carol", "name": "Carol 陈"}]
    active = await svc.gql('{ staffDirectory(team: "south") { id } }')
    assert active["data"]["staffDirectory"] == []
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
