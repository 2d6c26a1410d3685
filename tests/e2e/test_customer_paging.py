"""The customer service's lists are Relay connections through the gateway: each is paged to its
second page and past its end (no item repeats, `totalCount` is the whole list, a page after the
last is empty); `first` above the limit and a foreign cursor are refused; the mutations that
answered a scalar or a list answer payload objects."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
import pytest_asyncio

from tests.harness import SystemHandle, serve_system
from tests.support import auth_headers, eventually

pytestmark = pytest.mark.e2e

ADMIN = auth_headers(sub="alice", roles=("ADMIN",), team="east")
CREATE = """mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }"""
UPDATE = """mutation($id: ID!, $v: Int!, $input: UpdateCustomerInput!) {
  updateCustomer(id: $id, expectedVersion: $v, input: $input) { version } }"""
PAGE_INFO = "totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
PAIRS = f"""query($first: Int, $after: String) {{ possibleDuplicates(first: $first, after: $after)
  {{ {PAGE_INFO} edges {{ cursor node {{ id score }} }} }} }}"""
HISTORY = f"""query($id: ID!, $first: Int, $after: String) {{
  customerHistory(id: $id, first: $first, after: $after)
  {{ {PAGE_INFO} edges {{ cursor node {{ version action }} }} }} }}"""
CUSTOMER_HISTORY = f"""query($id: ID!, $first: Int, $after: String) {{ customer(id: $id) {{
  history(first: $first, after: $after) {{ {PAGE_INFO} edges {{ cursor node {{ version }} }} }}
  }} }}"""
STAFF = f"""query($first: Int, $after: String) {{
  staffDirectory(filter: {{team: "paging", includeInactive: true}}, first: $first,
    after: $after)
  {{ {PAGE_INFO} edges {{ cursor node {{ id name }} }} }} }}"""
JOBS = f"""query($first: Int, $after: String) {{ importJobs(first: $first, after: $after)
  {{ {PAGE_INFO} edges {{ cursor node {{ id status }} }} }} }}"""
JOB_ERRORS = f"""query($id: ID!, $first: Int, $after: String) {{ importJob(id: $id) {{ status
  errors(first: $first, after: $after) {{ {PAGE_INFO} edges {{ cursor node {{ row code }} }} }}
  }} }}"""
UPLOAD = "mutation($f: Upload!) { importCustomers(file: $f) { id } }"
SAVE_STAFF_MEMBER = "mutation($input: StaffInput!) { saveStaffMember(input: $input) { id } }"
HEADER = "客户类型,客户名称,手机号码\n"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def system(mongodb_uri: str, amqp_url: str) -> AsyncIterator[SystemHandle]:
    async with serve_system(
        mongodb_uri, amqp_url, ("customer",), headers=ADMIN, http_timeout=60
    ) as handle:
        yield handle


async def pages(
    system: SystemHandle, query: str, path: tuple[str, ...], first: int, **variables: Any
) -> tuple[list[Any], int]:
    """Every page of a connection, `first` at a time, then one past its end: the nodes in
    order and the `totalCount`, checking the page info on the way."""
    nodes: list[Any] = []
    after: str | None = None
    totals: set[int] = set()
    for _ in range(50):
        connection = await system.ok(query, {**variables, "first": first, "after": after})
        for key in path:
            connection = connection[key]
        info = connection["pageInfo"]
        cursors = [e["cursor"] for e in connection["edges"]]
        assert info["hasPreviousPage"] is (after is not None)
        assert (info["startCursor"], info["endCursor"]) == (
            (cursors[0], cursors[-1]) if cursors else (None, None)
        )
        totals.add(connection["totalCount"])
        nodes.extend(e["node"] for e in connection["edges"])
        if not info["hasNextPage"]:
            assert len(cursors) <= first
            if after is not None and cursors:  # a page past the end is empty
                past = await system.ok(query, {**variables, "first": first, "after": cursors[-1]})
                for key in path:
                    past = past[key]
                assert past["edges"] == [] and past["pageInfo"]["hasNextPage"] is False
            break
        assert len(cursors) == first
        after = info["endCursor"]
    assert len(totals) == 1, totals
    return nodes, totals.pop()


def ids(nodes: list[dict[str, Any]], key: str = "id") -> list[Any]:
    found = [n[key] for n in nodes]
    assert len(found) == len(set(found)), f"an item repeats: {found}"
    return found


async def upload(system: SystemHandle, text: str) -> str:
    response = await system.http.post(
        f"{system.gateway}/graphql",
        data={
            "operations": orjson.dumps({"query": UPLOAD, "variables": {"f": None}}).decode(),
            "map": '{"0":["variables.f"]}',
        },
        files={"0": ("customers.csv", text.encode(), "text/csv")},
        headers=ADMIN,
    )
    body = response.json()
    assert "errors" not in body, body
    job_id: str = body["data"]["importCustomers"]["id"]

    async def done() -> Any:
        job = await system.ok(JOB_ERRORS, {"id": job_id, "first": 0})
        return job_id if job["importJob"]["status"] == "COMPLETED" else None

    await eventually(done, timeout=60, interval=0.2)
    return job_id


async def test_possible_duplicates_page_by_page(system: SystemHandle) -> None:
    for n in range(3):
        phone = f"1390013900{n}"
        for name, force in ((f"翻页甲{n}", False), (f"翻页乙{n}", True)):
            made = await system.gql(
                CREATE,
                {"input": {"kind": "INDIVIDUAL", "name": name, "phones": [phone], "force": force}},
            )
            assert "errors" not in made, made

    async def three() -> Any:
        body = await system.ok(PAIRS, {"first": 1})
        return body if body["possibleDuplicates"]["totalCount"] >= 3 else None

    await eventually(three)
    nodes, total = await pages(system, PAIRS, ("possibleDuplicates",), 2)
    assert len(ids(nodes)) == total >= 3
    scores = [n["score"] for n in nodes]
    assert scores == sorted(scores, reverse=True)

    dismissed = await system.ok(
        "mutation($id: ID!) { dismissDuplicate(id: $id) { pairId dismissed } }",
        {"id": nodes[-1]["id"]},
    )
    assert dismissed["dismissDuplicate"] == {"pairId": nodes[-1]["id"], "dismissed": True}
    after, left = await pages(system, PAIRS, ("possibleDuplicates",), 2)
    assert left == total - 1 and ids(after) == ids(nodes)[:-1]


async def test_history_pages_by_cursor_on_both_fields(system: SystemHandle) -> None:
    cid = (await system.ok(CREATE, {"input": {"kind": "INDIVIDUAL", "name": "翻页历史"}}))[
        "createCustomer"
    ]["id"]
    for n in range(4):
        await system.ok(UPDATE, {"id": cid, "v": n + 1, "input": {"tier": f"T{n}"}})
    nodes, total = await pages(system, HISTORY, ("customerHistory",), 2, id=cid)
    assert total == 5 and ids(nodes, "version") == [5, 4, 3, 2, 1]
    assert nodes[-1]["action"] == "CREATED"
    nested, nested_total = await pages(system, CUSTOMER_HISTORY, ("customer", "history"), 3, id=cid)
    assert nested_total == 5 and ids(nested, "version") == [5, 4, 3, 2, 1]


async def test_staff_directory_and_import_jobs_and_their_errors_page(system: SystemHandle) -> None:
    for sid, name in (
        ("pg.c", "丙"),
        ("pg.a", "甲"),
        ("pg.b", "乙"),
        ("pg.d", "丁"),
        ("pg.e", "甲"),
    ):
        member = {"id": sid, "name": name, "team": "paging", "roles": ["SALES"]}
        await system.ok(SAVE_STAFF_MEMBER, {"input": {**member, "idempotencyKey": f"pg-{sid}"}})
    staff, total = await pages(system, STAFF, ("staffDirectory",), 2)
    assert total == 5 and sorted(ids(staff)) == ["pg.a", "pg.b", "pg.c", "pg.d", "pg.e"]
    assert [(s["name"], s["id"]) for s in staff] == sorted((s["name"], s["id"]) for s in staff)

    bad = "".join(f"个人,坏号码{n},12345\n" for n in range(5))
    job_ids = [await upload(system, HEADER + f"个人,导入翻页{n},1370013700{n}\n") for n in range(2)]
    job_ids.append(await upload(system, HEADER + bad))
    jobs, total = await pages(system, JOBS, ("importJobs",), 2)
    assert total == len(jobs) >= 3 and set(job_ids) <= set(ids(jobs))
    assert ids(jobs)[:3] == job_ids[::-1]  # newest first

    errors, total = await pages(system, JOB_ERRORS, ("importJob", "errors"), 2, id=job_ids[-1])
    assert total == 5 and [e["row"] for e in errors] == [2, 3, 4, 5, 6]
    assert {e["code"] for e in errors} == {"INVALID_PHONE"}


async def test_limits_foreign_cursors_and_payloads(system: SystemHandle) -> None:
    made = await system.ok(CREATE, {"input": {"kind": "INDIVIDUAL", "name": "翻页上限"}})
    for query, variables in (
        (PAIRS, {}),
        (STAFF, {}),
        (JOBS, {}),
        (HISTORY, {"id": made["createCustomer"]["id"]}),
        ("{ customers(first: 101) { totalCount } }", {}),
    ):
        body = await system.gql(query, {**variables, "first": 101})
        [field_error] = body["errors"][0]["extensions"]["fieldErrors"]
        assert (field_error["field"], field_error["code"]) == ("first", "OUT_OF_RANGE"), body
    staff = await system.ok(STAFF, {"first": 1})
    foreign = staff["staffDirectory"]["pageInfo"]["endCursor"]
    for query in (PAIRS, JOBS):
        body = await system.gql(query, {"first": 1, "after": foreign})
        [field_error] = body["errors"][0]["extensions"]["fieldErrors"]
        assert (field_error["field"], field_error["code"]) == ("after", "INVALID_CURSOR"), body

    await system.ok('mutation { saveTag(input: {name: "翻页标签"}) { name } }')
    deleted = await system.ok('mutation { deleteTag(name: "翻页标签") { name deleted } }')
    assert deleted["deleteTag"] == {"name": "翻页标签", "deleted": True}
    again = await system.ok('mutation { deleteTag(name: "翻页标签") { name deleted } }')
    assert again["deleteTag"]["deleted"] is False
    rule = await system.ok(
        """mutation { saveAssignmentRule(input: {name: "翻页规则", team: "paging",
        strategy: ROUND_ROBIN, idempotencyKey: "pg-rule"}) { id } }"""
    )
    rule_id = rule["saveAssignmentRule"]["id"]
    gone = await system.ok(
        "mutation($id: ID!) { deleteAssignmentRule(id: $id) { id deleted } }", {"id": rule_id}
    )
    assert gone["deleteAssignmentRule"] == {"id": rule_id, "deleted": True}
