"""Input hardening, through the gateway: `{"$ne": null}`-style payloads in every filter
and id argument of the three subgraphs (as strings, as JSON scalar values, inside cursors, as
ids, as objects where an ID is expected) never widen a result; page sizes and filter values
are bounded. Queries run as ADMIN, who may see everything: an operator that reached MongoDB
would return records the filter should have excluded."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from tests.e2e.attack_support import System, start
from tests.support import error_codes

pytestmark = pytest.mark.e2e

PAYLOADS = [
    '{"$ne": null}',
    "{$ne:null}",
    '{"$gt": ""}',
    '{"$regex": ".*"}',
    '{"$where": "sleep(1000) || true"}',
    "$ne",
    ".*",
    "' || '1'=='1",
]
OBJECTS: list[Any] = [{"$ne": None}, {"$gt": ""}, {"$regex": ".*"}, ["$ne", None]]

CUSTOMERS = """query($f: CustomerFilterInput, $after: String, $first: Int) {
  customers(first: $first, filter: $f, after: $after) { totalCount edges { node { id } } } }"""
TICKETS = """query($f: TicketFilterInput, $after: String, $first: Int) {
  tickets(filter: $f, after: $after, first: $first) { totalCount edges { node { id } } } }"""
CUSTOMER_FIELDS = """query($id: ID!, $after: String, $first: Int) { customer(id: $id) {
  interactions(first: $first, after: $after) { totalCount edges { node { id } } }
  timeline(first: $first, after: $after) { edges { node { id } } } } }"""
INBOX = """query($after: String, $first: Int) { myNotifications(first: $first, after: $after)
  { totalCount edges { node { id } } } }"""
BY_ID = {
    "customer": "query($id: ID!) { customer(id: $id) { id } }",
    "customerHistory": "query($id: ID!) { customerHistory(id: $id) { totalCount } }",
    "ticket": "query($id: ID!) { ticket(id: $id) { id } }",
    "interaction": "query($id: ID!) { interaction(id: $id) { id } }",
    "revealCustomerField": (
        "mutation($id: ID!) { revealCustomerField(id: $id, field: PHONES) { values } }"
    ),
    "markNotificationsRead": (
        "mutation($id: ID!) { markNotificationsRead(ids: [$id]) { changedCount } }"
    ),
}
STRING_FILTERS = ("ownerId", "team", "tag", "tier", "industry", "region", "text")
LIST_FILTERS = ("tagsAny", "tagsAll")
TICKET_FILTERS = ("customerId", "team", "assigneeId")


@pytest.fixture(scope="module")
async def system(mongodb_uri: str, amqp_url: str) -> AsyncIterator[System]:
    async for running in start(mongodb_uri, amqp_url):
        ticket = await running.gql(
            """mutation($c: ID!) { createTicket(input: {customerId: $c, type: INQUIRY,
               subject: "hardening", team: "west"}) { id } }""",
            {"c": running.customers["other"].id},
        )
        assert "errors" not in ticket, ticket
        yield running


def refused_or_empty(body: dict[str, Any], field: str) -> None:
    """Either a typed BAD_USER_INPUT, or an answer with nothing in it."""
    if "errors" in body:
        assert error_codes(body) == {"BAD_USER_INPUT"}, body
        return
    assert body["data"][field]["totalCount"] == 0, body
    assert body["data"][field]["edges"] == [], body


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


async def each(values: list[Any], probe: Callable[[Any], Awaitable[None]]) -> None:
    """Run one probe per value concurrently (a failing probe fails the test)."""
    await asyncio.gather(*(probe(v) for v in values))


@pytest.mark.parametrize("name", STRING_FILTERS + LIST_FILTERS)
async def test_customer_filters_take_payloads_as_plain_values(system: System, name: str) -> None:
    async def probe(payload: str) -> None:
        value: Any = [payload] if name in LIST_FILTERS else payload
        body = await system.gql(CUSTOMERS, {"f": {name: value}, "first": 100})
        refused_or_empty(body, "customers")

    await each(PAYLOADS, probe)


async def test_custom_field_json_values_never_become_operators(system: System) -> None:
    async def probe(value: Any) -> None:
        body = await system.gql(
            CUSTOMERS, {"f": {"customFields": [{"key": "level", "value": value}]}, "first": 100}
        )
        refused_or_empty(body, "customers")
        if not isinstance(value, str):  # an operator document as a JSON value: refused
            assert error_codes(body) == {"BAD_USER_INPUT"}, body

    await each([*OBJECTS, *PAYLOADS], probe)


@pytest.mark.parametrize("name", STRING_FILTERS)
async def test_objects_where_strings_are_expected_are_refused(system: System, name: str) -> None:
    async def probe(value: Any) -> None:
        body = await system.gql(CUSTOMERS, {"f": {name: value}, "first": 100})
        assert error_codes(body) == {"BAD_USER_INPUT"}, body
        assert body.get("data") is None, body

    await each(OBJECTS, probe)


@pytest.mark.parametrize("operation", tuple(BY_ID))
async def test_id_arguments(system: System, operation: str) -> None:
    async def probe(value: Any) -> None:
        body = await system.gql(BY_ID[operation], {"id": value})
        if not isinstance(value, str):  # an object for an ID: refused before any resolver runs
            assert error_codes(body) == {"BAD_USER_INPUT"}, body
            assert body.get("data") is None, body
            return
        data = body.get("data") or {}
        if operation == "markNotificationsRead":
            assert data[operation]["changedCount"] == 0, body
            return
        assert data.get(operation) is None, body
        assert error_codes(body) <= {"NOT_FOUND", "BAD_USER_INPUT"}, body

    await each([*OBJECTS, *PAYLOADS], probe)


@pytest.mark.parametrize("name", TICKET_FILTERS)
async def test_ticket_filters_take_payloads_as_plain_values(system: System, name: str) -> None:
    everything = await system.gql(TICKETS, {"first": 100})
    assert everything["data"]["tickets"]["totalCount"] >= 1  # the control: there is a ticket

    async def probe(payload: str) -> None:
        body = await system.gql(TICKETS, {"f": {name: payload}, "first": 100})
        refused_or_empty(body, "tickets")

    await each(PAYLOADS, probe)


async def test_cursors_carrying_payloads_select_nothing_extra(system: System) -> None:
    tagged = {"tagsAny": [system.tag]}
    everything = await system.gql(CUSTOMERS, {"f": tagged, "first": 100})
    allowed = {e["node"]["id"] for e in everything["data"]["customers"]["edges"]}
    assert len(allowed) == 6
    await each(PAYLOADS, lambda payload: _cursor_probe(system, tagged, allowed, payload))


async def _cursor_probe(
    system: System, tagged: dict[str, str], allowed: set[str], payload: str
) -> None:
    for cursor in (payload, b64(payload), b64(f"2999-01-01T00:00:00+00:00|{payload}")):
        body = await system.gql(CUSTOMERS, {"f": tagged, "after": cursor, "first": 100})
        if "errors" in body:
            assert error_codes(body) == {"BAD_USER_INPUT"}, body
            continue
        found = {e["node"]["id"] for e in body["data"]["customers"]["edges"]}
        assert found <= allowed, body
        assert body["data"]["customers"]["totalCount"] == len(allowed)
    own = system.customers["own"].id
    for cursor in (payload, b64(payload), b64(f"i1:0:{payload}")):
        body = await system.gql(CUSTOMER_FIELDS, {"id": own, "after": cursor, "first": 100})
        if "errors" in body:
            assert error_codes(body) == {"BAD_USER_INPUT"}, body
        else:  # past the epoch: nothing is older
            assert body["data"]["customer"]["interactions"]["edges"] == [], body
        tickets = await system.gql(TICKETS, {"after": cursor, "first": 100})
        assert "errors" in tickets or tickets["data"]["tickets"]["edges"] == [], tickets
        inbox = await system.gql(INBOX, {"after": b64(f"0:{payload}"), "first": 100})
        assert "errors" in inbox or inbox["data"]["myNotifications"]["edges"] == [], inbox


@pytest.mark.parametrize("query", ["customers", "tickets", "customer_fields", "inbox"])
async def test_first_is_at_most_100(system: System, query: str) -> None:
    document, variables = {
        "customers": (CUSTOMERS, {}),
        "tickets": (TICKETS, {}),
        "customer_fields": (CUSTOMER_FIELDS, {"id": system.customers["own"].id}),
        "inbox": (INBOX, {}),
    }[query]
    ok = await system.gql(document, {**variables, "first": 100})
    assert "errors" not in ok, ok
    body = await system.gql(document, {**variables, "first": 101})
    assert "BAD_USER_INPUT" in error_codes(body), body
    fields = {f["field"] for e in body["errors"] for f in e["extensions"].get("fieldErrors", [])}
    assert fields == {"first"}, body


async def test_filter_values_are_bounded_in_size(system: System) -> None:
    long_text = await system.gql(CUSTOMERS, {"f": {"text": "张" * 201}})
    assert error_codes(long_text) == {"BAD_USER_INPUT"}, long_text
    [error] = long_text["errors"][0]["extensions"]["fieldErrors"]
    assert (error["field"], error["code"]) == ("text", "TOO_LONG")
    many = await system.gql(CUSTOMERS, {"f": {"tagsAny": [f"t{i}" for i in range(101)]}})
    assert error_codes(many) == {"BAD_USER_INPUT"}, many
    assert many["errors"][0]["extensions"]["fieldErrors"][0]["code"] == "TOO_MANY"
    fine = await system.gql(CUSTOMERS, {"f": {"text": "张" * 200, "tagsAny": ["t"] * 100}})
    assert "errors" not in fine, fine


def test_payload_list_is_json_safe() -> None:
    """The JSON objects above really are operator documents (guards the test itself)."""
    assert all(json.loads(p) for p in PAYLOADS if p.startswith('{"'))
