"""Customer master data over real HTTP against the embedded MongoDB and the real broker:
identity numbers encrypted and masked, localised field errors, duplicates, search, history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crm_customer.customers.filters import CustomerFilter, index_keys, plan
from crm_customer.customers.values import CustomerKind, LifecycleStage, Source
from crm_customer.indexes import INDEXES
from crm_kit.listing import DateTimeRangeInput
from tests.harness import observer
from tests.integration.customer.master_data import (
    CREATE,
    CREATED_DESC,
    ID_CARD,
    SALES,
    SEARCH,
    UPDATED_DESC,
    USCC,
    Service,
)
from tests.support import auth_headers, eventually

pytestmark = pytest.mark.integration


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
    await svc.create(name="韩梅梅", addresses=region)  # a person's name alone: no pair
    a = await svc.create(name="韩梅梅", birthday="1990-05-06", addresses=region)
    # the same name, region and birthday: a candidate, allowed
    b = await svc.create(name=" 韩 梅梅", birthday="1990-05-06", addresses=region)
    body = await svc.gql(
        "{ possibleDuplicates { totalCount edges { node { id rule score customerIds "
        "customers { displayName } } } } }"
    )
    pairs = {
        frozenset(p["customerIds"]): (p["rule"], p["score"])
        for p in (e["node"] for e in body["data"]["possibleDuplicates"]["edges"])
    }
    assert pairs == {
        frozenset({first["id"], forced["id"]}): ("PHONE", 0.9),
        frozenset({a["id"], b["id"]}): ("NAME_BIRTHDAY", 0.65),
    }
    pair_id = body["data"]["possibleDuplicates"]["edges"][-1]["node"]["id"]
    dismissed = await svc.gql(
        "mutation($id: ID!) { dismissDuplicate(id: $id) { pairId dismissed } }", {"id": pair_id}
    )
    assert dismissed["data"]["dismissDuplicate"] == {"pairId": pair_id, "dismissed": True}
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
        await svc.search(created={"from": "2000-01-01T00:00:00Z", "to": "2001-01-01T00:00:00Z"})
        == []
    )
    body = await svc.gql(SEARCH, {"f": {"text": "  !! "}})
    assert body["errors"][0]["extensions"]["fieldErrors"][0]["field"] == "text"
    # sorted by update time, paged two at a time, every record exactly once
    seen: list[str] = []
    after = None
    while True:
        body = await svc.gql(SEARCH, {"first": 2, "after": after, "order": UPDATED_DESC})
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
        "owner_id": CustomerFilter(owner_id="bob", stages=[LifecycleStage.LEAD]),
        "team": CustomerFilter(team="east"),
        "stage": CustomerFilter(stages=[LifecycleStage.LEAD, LifecycleStage.VIP]),
        "tags": CustomerFilter(tags_any=["x"], region="北京市"),
        "region": CustomerFilter(region="北京市", kind=CustomerKind.INDIVIDUAL),
        "industry": CustomerFilter(industry="I"),
        "source": CustomerFilter(source=Source.ONLINE),
        "tier": CustomerFilter(tier="A"),
        "kind": CustomerFilter(kind=CustomerKind.ENTERPRISE),
        "search_terms": CustomerFilter(text="索引", owner_id="bob"),
        "created_at": CustomerFilter(
            created=DateTimeRangeInput(from_=datetime(2020, 1, 1, tzinfo=UTC))
        ),
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
          customer(id: $id) { history { totalCount edges { node { version action actorId
            changes { field before after } } } } }
          customerAsOf(id: $id, at: $at) { displayName tags version } }""",
        {"id": cid, "at": between},
    )
    history = body["data"]["customer"]["history"]
    assert history["totalCount"] == 3
    versions = [e["node"] for e in history["edges"]]
    assert [v["version"] for v in versions] == [3, 2, 1]
    assert versions[0]["changes"] == [{"field": "tags", "before": ["a"], "after": ["a", "b"]}]
    assert {c["field"] for c in versions[1]["changes"]} == {"displayName", "stage"}
    assert versions[2]["action"] == "CREATED"
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


async def test_a_cursor_of_one_sort_order_is_refused_under_another(svc: Service) -> None:
    for i in range(3):
        await svc.create(name=f"排序游标{i}", phones=[f"1371234{i:04d}"])
    first = await svc.gql(SEARCH, {"f": {"text": "排序游标"}, "first": 1, "order": CREATED_DESC})
    cursor = first["data"]["customers"]["pageInfo"]["endCursor"]
    same = {"f": {"text": "排序游标"}, "first": 1, "after": cursor, "order": CREATED_DESC}
    assert "errors" not in await svc.gql(SEARCH, same)
    other = await svc.gql(SEARCH, {**same, "order": UPDATED_DESC})
    [error] = other["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fieldErrors"][0]["field"] == "after"
    assert error["extensions"]["fieldErrors"][0]["code"] == "INVALID_CURSOR"
