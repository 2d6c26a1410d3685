"""Merging, undoing a merge and reading the history through the gateway: an un-merge moves
back what the merge moved in the interaction service; history and merge choices name fields
as the API does; an as-of read before the customer existed says so."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio

from tests.harness import SystemHandle, serve_system
from tests.support import auth_headers, eventually

pytestmark = pytest.mark.e2e

ADMIN = auth_headers(sub="alice", roles=("ADMIN",), team="east")
CREATE = """mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id createdAt } }"""
MERGE = """mutation($s: ID!, $m: [ID!]!, $c: [FieldChoiceInput!]) {
  mergeCustomers(input: {survivorId: $s, mergedIds: $m, fieldChoices: $c})
  { mergeId customer { id companySize version } } }"""
UNMERGE = "mutation($m: ID!) { unmergeCustomers(mergeId: $m) { customers { id version } } }"
LOG = """mutation($c: ID!, $t: String!) {
  logInteraction(input: {customerId: $c, channel: PHONE, direction: OUTBOUND, content: $t})
  { id customerId } }"""
TICKET = """mutation($c: ID!) {
  createTicket(input: {customerId: $c, type: INQUIRY, subject: "发票"}) { id } }"""
TASK = """mutation($c: ID!, $d: DateTime!) {
  createTask(input: {customerId: $c, title: "回访", dueAt: $d}) { id } }"""
COUNTS = """query($id: ID!) { customer(id: $id) {
  id interactions { totalCount } tickets { totalCount } openTasks { id } } }"""
HISTORY = """query($id: ID!) { customerHistory(id: $id) {
  edges { node { version action changes { field before after } } } } }"""
AS_OF = "query($id: ID!, $at: DateTime!) { customerAsOf(id: $id, at: $at) { id } }"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def system(mongodb_uri: str, amqp_url: str) -> AsyncIterator[SystemHandle]:
    async with serve_system(
        mongodb_uri, amqp_url, ("customer", "interaction"), headers=ADMIN, http_timeout=60
    ) as handle:
        yield handle


async def enterprise(system: SystemHandle, name: str, size: str = "SMALL") -> str:
    made = await system.one(
        CREATE, {"i": {"kind": "ENTERPRISE", "name": name, "companySize": size}}
    )
    return str(made["id"])


async def log(system: SystemHandle, customer_id: str, text: str) -> str:
    """An interaction logged under `customer_id` (waits for the projection to know it)."""
    logged = await system.one(LOG, {"c": customer_id, "t": text})
    return str(logged["customerId"])


async def counts(system: SystemHandle, customer_id: str) -> tuple[str, int, int, int]:
    """(whose record answers, interactions, tickets, open tasks) for `customer(id)`."""
    customer = await system.one(COUNTS, {"id": customer_id})
    return (
        customer["id"],
        customer["interactions"]["totalCount"],
        customer["tickets"]["totalCount"],
        len(customer["openTasks"]),
    )


async def settles(system: SystemHandle, customer_id: str, expected: tuple[Any, ...]) -> None:
    async def reached() -> bool:
        return await counts(system, customer_id) == expected

    await eventually(reached, timeout=20)


async def test_unmerge_moves_back_what_the_merge_moved(system: SystemHandle) -> None:
    survivor = await enterprise(system, "合并测试甲有限公司")
    duplicate = await enterprise(system, "合并测试乙有限公司")
    await log(system, survivor, "甲的电话")
    await log(system, duplicate, "乙的电话一")
    await log(system, duplicate, "乙的电话二")
    await system.ok(TICKET, {"c": duplicate})
    due = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    task = (await system.ok(TASK, {"c": duplicate, "d": due}))["createTask"]["id"]
    await settles(system, duplicate, (duplicate, 2, 1, 1))

    merged = await system.one(MERGE, {"s": survivor, "m": [duplicate]})
    await settles(system, survivor, (survivor, 3, 1, 1))
    # after the merge: items for either id land on the survivor, and a moved task changes
    assert await log(system, survivor, "合并后直接记录") == survivor
    assert await log(system, duplicate, "合并后用旧编号记录") == survivor
    await system.ok(
        'mutation($id: ID!) { updateTask(id: $id, input: {title: "合并后改过"}) { id } }',
        {"id": task},
    )
    await settles(system, survivor, (survivor, 5, 1, 1))

    restored = await system.one(UNMERGE, {"m": merged["mergeId"]})
    assert [c["id"] for c in restored["customers"]] == [survivor, duplicate]
    # what the merge moved goes back; what the survivor got after the merge stays
    await settles(system, duplicate, (duplicate, 2, 1, 1))
    await settles(system, survivor, (survivor, 3, 0, 0))
    # and new items for the restored customer are filed under it again
    assert await log(system, duplicate, "撤销合并后记录") == duplicate


async def test_history_and_merge_choices_name_fields_as_the_api_does(
    system: SystemHandle,
) -> None:
    survivor = await enterprise(system, "字段名甲有限公司", "SMALL")
    other = await enterprise(system, "字段名乙有限公司", "LARGE")
    await system.ok(
        'mutation($id: ID!) { assignCustomer(id: $id, ownerId: "bob", team: "east") { id } }',
        {"id": survivor},
    )
    merged = await system.one(
        MERGE,
        {
            "s": survivor,
            "m": [other],
            "c": [
                {"field": "companySize", "customerId": other},
                {"field": "displayName", "customerId": survivor},
            ],
        },
    )
    assert merged["customer"]["companySize"] == "LARGE"

    history = [e["node"] for e in (await system.one(HISTORY, {"id": survivor}))["edges"]]
    by_action = {v["action"]: {c["field"]: c for c in v["changes"]} for v in history}
    assert by_action["ASSIGNED"]["ownerId"]["after"] == "bob"
    assert by_action["MERGED"]["companySize"] == {
        "field": "companySize",
        "before": "SMALL",
        "after": "LARGE",
    }
    assert by_action["MERGED"]["mergedFrom"]["after"] == [other]
    fields = {c["field"] for v in history for c in v["changes"]}
    assert "displayName" in fields and not [f for f in fields if "_" in f], fields

    refused = await system.gql(
        MERGE,
        {"s": survivor, "m": [other], "c": [{"field": "company_size", "customerId": other}]},
    )
    [error] = refused["errors"][0]["extensions"]["fieldErrors"]
    assert (error["field"], error["code"]) == ("fieldChoices[0].field", "UNKNOWN_FIELD")


async def test_as_of_before_the_customer_existed_says_not_yet_created(
    system: SystemHandle,
) -> None:
    made = await system.one(CREATE, {"i": {"kind": "ENTERPRISE", "name": "尚未创建测试有限公司"}})
    stored = await system.one(
        "query($id: ID!) { customer(id: $id) { createdAt } }", {"id": made["id"]}
    )
    created_at = datetime.fromisoformat(stored["createdAt"])  # as stored: milliseconds
    before = (created_at - timedelta(days=1)).isoformat()
    for language, text in (
        ("en", "The customer did not exist yet at this time"),
        ("zh-CN", "该时间点客户尚未创建"),
    ):
        body = await system.gql(
            AS_OF, {"id": made["id"], "at": before}, headers={**ADMIN, "Accept-Language": language}
        )
        extensions = body["errors"][0]["extensions"]
        assert extensions["code"] == "BAD_USER_INPUT"
        assert extensions["fieldErrors"] == [
            {"field": "at", "code": "NOT_YET_CREATED", "message": text}
        ]
        assert datetime.fromisoformat(extensions["createdAt"]) == created_at
    # a time after creation reads the record; an unknown id is still NOT_FOUND
    after = (created_at + timedelta(seconds=1)).isoformat()
    assert (await system.one(AS_OF, {"id": made["id"], "at": after}))["id"] == made["id"]
    unknown = await system.gql(AS_OF, {"id": "no-such-customer", "at": after})
    assert unknown["errors"][0]["extensions"]["code"] == "NOT_FOUND"
