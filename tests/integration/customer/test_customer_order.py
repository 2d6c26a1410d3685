"""The customer list's `orderBy` and time ranges, and the staff directory's filter, over real
HTTP: each order pages to its second page in its own order, a cursor is bound to the order it
was made in, a range is half open and a reversed one is refused naming its end."""

from __future__ import annotations

from itertools import permutations
from typing import Any

import pytest

from tests.integration.customer.master_data import (
    CREATED_ASC,
    CREATED_DESC,
    SEARCH,
    UPDATED_ASC,
    UPDATED_DESC,
    Service,
)

pytestmark = pytest.mark.integration

ORDERS = {
    "CREATED_ASC": CREATED_ASC,
    "CREATED_DESC": CREATED_DESC,
    "UPDATED_ASC": UPDATED_ASC,
    "UPDATED_DESC": UPDATED_DESC,
}
TAG = "order-test"
UPDATE = """mutation($id: ID!, $input: UpdateCustomerInput!) {
  updateCustomer(id: $id, expectedVersion: 1, input: $input) { version } }"""
TIMES = """query($f: CustomerFilterInput) {
  customers(filter: $f) { edges { node { displayName createdAt } } } }"""
DIRECTORY = """query($f: StaffFilterInput) { staffDirectory(filter: $f) {
  totalCount edges { node { id active } } } }"""
SAVE_STAFF_MEMBER = "mutation($input: StaffInput!) { saveStaffMember(input: $input) { id } }"


async def four_customers(svc: Service) -> dict[str, str]:
    """A, B, C, D created in this order, then B and D changed: by update time A, C, B, D."""
    made = {n: (await svc.create(name=f"排序{n}", tags=[TAG]))["id"] for n in "ABCD"}
    for name in "BD":
        await svc.ok(UPDATE, {"id": made[name], "input": {"tier": "T"}})
    return made


async def pages(svc: Service, order: dict[str, str], first: int = 2) -> list[list[str]]:
    """Every page of the tagged customers under `order`: the names of each page."""
    out: list[list[str]] = []
    after = None
    while True:
        body = await svc.gql(
            SEARCH, {"f": {"tagsAny": [TAG]}, "first": first, "after": after, "order": order}
        )
        assert "errors" not in body, body
        page = body["data"]["customers"]
        assert page["totalCount"] == 4
        out.append([e["node"]["displayName"].removeprefix("排序") for e in page["edges"]])
        if not page["pageInfo"]["hasNextPage"]:
            return out
        after = page["pageInfo"]["endCursor"]


async def test_each_order_pages_to_its_second_page_in_its_own_order(svc: Service) -> None:
    await four_customers(svc)
    assert await pages(svc, CREATED_ASC) == [["A", "B"], ["C", "D"]]
    assert await pages(svc, CREATED_DESC) == [["D", "C"], ["B", "A"]]
    assert await pages(svc, UPDATED_ASC) == [["A", "C"], ["B", "D"]]
    assert await pages(svc, UPDATED_DESC) == [["D", "B"], ["C", "A"]]
    # no orderBy, or null: newest first
    default = await svc.gql(SEARCH, {"f": {"tagsAny": [TAG]}, "first": 2})
    explicit_null = await svc.gql(SEARCH, {"f": {"tagsAny": [TAG]}, "first": 2, "order": None})
    first_page = await svc.gql(SEARCH, {"f": {"tagsAny": [TAG]}, "first": 2, "order": CREATED_DESC})
    assert default["data"] == explicit_null["data"] == first_page["data"]


async def test_a_cursor_of_one_order_is_refused_under_every_other(svc: Service) -> None:
    await four_customers(svc)
    cursors: dict[str, str] = {}
    for name, order in ORDERS.items():
        body = await svc.gql(SEARCH, {"f": {"tagsAny": [TAG]}, "first": 1, "order": order})
        cursors[name] = body["data"]["customers"]["pageInfo"]["endCursor"]
    for made_in, sent_with in permutations(ORDERS, 2):
        body = await svc.gql(
            SEARCH,
            {
                "f": {"tagsAny": [TAG]},
                "first": 1,
                "after": cursors[made_in],
                "order": ORDERS[sent_with],
            },
        )
        [error] = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        [field_error] = error["extensions"]["fieldErrors"]
        assert (field_error["field"], field_error["code"]) == ("after", "INVALID_CURSOR")


async def test_a_time_range_is_half_open_and_a_reversed_one_names_its_end(svc: Service) -> None:
    await four_customers(svc)
    listed = await svc.ok(TIMES, {"f": {"tagsAny": [TAG]}})
    at = {e["node"]["displayName"]: e["node"]["createdAt"] for e in listed["customers"]["edges"]}
    between = {"from": at["排序B"], "to": at["排序D"]}  # B included, D excluded
    assert await svc.search(tagsAny=[TAG], created=between) == ["排序B", "排序C"]
    assert await svc.search(tagsAny=[TAG], created={"from": at["排序C"]}) == ["排序C", "排序D"]
    assert await svc.search(tagsAny=[TAG], updated={"to": at["排序B"]}) == ["排序A"]
    for name in ("created", "updated"):
        reversed_range = {"from": at["排序D"], "to": at["排序B"]}
        for headers in ({}, {"Accept-Language": "en"}):
            body = await svc.gql(
                SEARCH,
                {"f": {name: reversed_range}},
                headers={**svc.headers, **headers},
            )
            [error] = body["errors"]
            assert error["extensions"]["code"] == "BAD_USER_INPUT"
            [field_error] = error["extensions"]["fieldErrors"]
            assert (field_error["field"], field_error["code"]) == (
                f"filter.{name}.to",
                "OUT_OF_RANGE",
            )
            assert field_error["message"]


async def staff(svc: Service, id: str, name: str, active: bool) -> None:
    member: dict[str, Any] = {"id": id, "name": name, "team": "filt", "active": active}
    await svc.ok(SAVE_STAFF_MEMBER, {"input": {**member, "idempotencyKey": f"filt-{id}"}})


async def test_the_staff_directory_filter_includes_inactive_members_on_request(
    svc: Service,
) -> None:
    await staff(svc, "filt.amy", "Amy 王", True)
    await staff(svc, "filt.bob", "Bob 李", True)
    await staff(svc, "filt.cat", "Cat 张", False)

    async def members(**f: Any) -> list[tuple[str, bool]]:
        found = (await svc.ok(DIRECTORY, {"f": {"team": "filt", **f}}))["staffDirectory"]
        listed = [(e["node"]["id"], e["node"]["active"]) for e in found["edges"]]
        assert found["totalCount"] == len(listed)
        return listed

    assert await members() == [("filt.amy", True), ("filt.bob", True)]
    assert await members(includeInactive=False) == [("filt.amy", True), ("filt.bob", True)]
    everyone = await members(includeInactive=True)
    assert everyone == [("filt.amy", True), ("filt.bob", True), ("filt.cat", False)]
    assert await members(text="bob") == [("filt.bob", True)]  # a name prefix, any case
    assert await members(text="FILT.A") == [("filt.amy", True)]  # an id prefix
    assert await members(text="cat", includeInactive=True) == [("filt.cat", False)]
    assert await members(text="cat") == []
    assert await members(text=".*") == []  # a literal prefix, never a pattern
    assert await members(text="  ") == await members()
    unfiltered = (await svc.ok(DIRECTORY, {"f": None}))["staffDirectory"]["edges"]
    assert {"filt.amy", "filt.bob"} <= {e["node"]["id"] for e in unfiltered}
    assert "filt.cat" not in {e["node"]["id"] for e in unfiltered}
    long = await svc.gql(DIRECTORY, {"f": {"text": "x" * 201}})
    [field_error] = long["errors"][0]["extensions"]["fieldErrors"]
    assert (field_error["field"], field_error["code"]) == ("filter.text", "TOO_LONG")
