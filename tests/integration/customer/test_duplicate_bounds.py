"""Duplicate candidates stay bounded over real HTTP and MongoDB: an import of numbered names
opens no pairs, a record opens at most MAX_PAIRS (exact keys first), a block key keeps its
newest holders, a person's name pairs only with the birthday, an erased person's name key
goes, and migration 0005 rebuilds the name keys of records stored under the old rules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from crm_customer.duplicates.model import BLOCK_SIZE, MAX_PAIRS
from crm_customer.migrations import v0005_duplicate_name_keys
from tests.harness import serve_service
from tests.integration.customer.master_data import CREATE
from tests.integration.customer.test_import_export import Service
from tests.support import unique

pytestmark = pytest.mark.integration

HEADER = "Kind,Name,Phones,Province,Birthday\n"
ERASE = 'mutation($id: ID!) { eraseCustomer(id: $id, reason: "客户申请删除") { erased } }'


@pytest.fixture(scope="module")
async def svc(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Service]:
    async with serve_service("customer", mongodb_uri, amqp_url, http_timeout=60) as handle:
        yield Service.of(handle)


async def create(svc: Service, **fields: Any) -> str:
    body = await svc.gql(CREATE, {"input": {"kind": "INDIVIDUAL", **fields}})
    assert "errors" not in body, body
    return str(body["data"]["createCustomer"]["id"])


async def pairs_of(svc: Service, ids: list[str]) -> dict[frozenset[str], tuple[str, float]]:
    found = await svc.db["duplicate_pairs"].find({"ids": {"$in": ids}, "status": "OPEN"}).to_list()
    return {frozenset(p["ids"]): (p["rule"], p["score"]) for p in found}


async def ids_named(svc: Service, prefix: str) -> list[str]:
    docs = await svc.db["customers"].find({"name": {"$regex": f"^{prefix}"}}, {"_id": 1}).to_list()
    return [d["_id"] for d in docs]


async def test_an_import_of_numbered_names_opens_no_pairs(svc: Service) -> None:
    tag = unique("n")[-4:]
    people = "".join(f"INDIVIDUAL,导入测试{tag}-{i},1390{i:07d},北京市,\n" for i in range(1, 41))
    companies = "".join(f"ENTERPRISE,测试科技{tag}有限公司{i},,北京市,\n" for i in range(1, 41))
    done = await svc.run(HEADER + people + companies)
    assert (done["created"], done["failed"]) == (80, 0), done
    made = await ids_named(svc, f"导入测试{tag}") + await ids_named(svc, f"测试科技{tag}")
    assert len(made) == 80
    assert await pairs_of(svc, made) == {}  # before the rules: hundreds of NAME_SIMILAR pairs


async def test_a_record_opens_at_most_max_pairs_exact_keys_first(svc: Service) -> None:
    name = f"云帆星辰{unique('c')[-4:]}科技有限公司"
    stored = [
        await create(svc, kind="ENTERPRISE", name=name, addresses=[{"province": "北京市"}])
        for _ in range(MAX_PAIRS + 2)
    ]
    phone = await create(svc, name="联系人", phones=["13977700001"])
    last = await create(
        svc,
        kind="ENTERPRISE",
        name=name,
        phones=["13977700001"],
        addresses=[{"province": "北京市"}],
        force=True,
    )
    opened = await pairs_of(svc, [last])
    assert len(opened) == MAX_PAIRS  # not one per look-alike stored before
    assert opened[frozenset({last, phone})] == ("PHONE", 0.9)
    assert all(rule == ("NAME_REGION", 0.6) for ids, rule in opened.items() if phone not in ids)
    # the newest look-alikes are chosen first: an old record is not in every newcomer's pairs
    assert max([len(await pairs_of(svc, [s])) for s in stored]) <= 2 * MAX_PAIRS


async def test_a_block_key_keeps_its_newest_holders(svc: Service) -> None:
    tag = unique("b")[-4:]
    rows = "".join(f"ENTERPRISE,瀚海{tag}{i:03d}号,,浙江省,\n" for i in range(BLOCK_SIZE + 10))
    done = await svc.run(HEADER + rows)
    assert done["created"] == BLOCK_SIZE + 10, done
    blocks = (
        await svc.db["customer_match_keys"].find({"_id": {"$regex": "^near:浙江省:"}}).to_list()
    )
    assert blocks and all(len(b["ids"]) <= BLOCK_SIZE for b in blocks)


async def test_a_person_name_pairs_only_with_the_birthday(svc: Service) -> None:
    beijing = [{"province": "北京市"}]
    no_birthday = [await create(svc, name="张伟", addresses=beijing) for _ in range(3)]
    a = await create(svc, name="张伟", birthday="1990-03-04", addresses=beijing)
    b = await create(svc, name="张 伟", birthday="1990-03-04", addresses=beijing)
    typo = await create(svc, name="张玮", birthday="1990-03-04", addresses=beijing)
    other_day = await create(svc, name="张伟", birthday="1991-03-04", addresses=beijing)
    assert await pairs_of(svc, [*no_birthday, a, b, typo, other_day]) == {
        frozenset({a, b}): ("NAME_BIRTHDAY", 0.65),
        frozenset({a, typo}): ("NAME_SIMILAR", 0.55),
        frozenset({b, typo}): ("NAME_SIMILAR", 0.55),
    }


async def test_erasing_a_person_leaves_no_name_key_behind(svc: Service) -> None:
    name = "李沪生"  # the only record in 上海市 with this birthday
    one = await create(svc, name=name, birthday="1985-06-07", addresses=[{"province": "上海市"}])
    key = {"_id": f"person:上海市:{name}:1985-06-07"}
    assert await svc.db["customer_match_keys"].count_documents(key) == 1
    body = await svc.gql(ERASE, {"id": one})
    assert body["data"]["eraseCustomer"] == {"erased": True}, body
    assert await svc.db["customer_match_keys"].count_documents(key) == 0


async def test_migration_0005_rebuilds_name_keys_of_records_stored_before(svc: Service) -> None:
    keys = svc.db["customer_match_keys"]
    name = "王蜀川"  # 四川省 holds only this test's records
    person = await create(svc, name=name, birthday="1970-01-02", addresses=[{"province": "四川省"}])
    firm = await create(
        svc, kind="ENTERPRISE", name="蜀道测试有限公司7", addresses=[{"province": "四川省"}]
    )
    # as the old rules registered them: the person by name alone, the firm without its number
    await keys.delete_many({"_id": {"$regex": "^(person|near):四川省:"}})
    await keys.insert_many(
        [
            {"_id": f"name:四川省:{name}", "ids": [person]},
            {"_id": "near:四川省:c:蜀道", "ids": [firm, "gone"]},
        ]
    )
    for _ in range(2):  # idempotent
        await v0005_duplicate_name_keys.apply(svc.db)
    held = {d["_id"]: d["ids"] async for d in keys.find({"_id": {"$regex": ":四川省:"}})}
    assert held == {
        f"person:四川省:{name}:1970-01-02": [person],
        "near:四川省:b:1970-01-02:w": [person],
        "name:四川省:蜀道测试有限公司7": [firm],
        "near:四川省:c:蜀道#7": [firm],
        "near:四川省:p:sdc#7": [firm],
    }
