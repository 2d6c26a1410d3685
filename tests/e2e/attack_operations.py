"""The operations of the attack matrix: each case's GraphQL document and request, how an
answer's errors and data are read, and what each role receives by subscription (the
opportunity cases: `attack_operations_sales`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import Any

from tests.e2e.attack_support import ROLES, TARGETS, System, token_for
from tests.integration.notification.ws_client import subscribe
from tests.support import eventually


def error_codes(body: dict[str, Any]) -> dict[tuple[Any, ...], str]:
    return {tuple(e.get("path") or ()): e["extensions"]["code"] for e in body.get("errors", [])}


def assert_forbidden_at(body: dict[str, Any], *path: Any) -> None:
    assert error_codes(body).get(path) == "FORBIDDEN", body


READ = "query($id: ID!) { customer(id: $id) { id displayName phones } }"
LIST = """query($f: CustomerFilterInput) { customers(first: 100, filter: $f) {
  totalCount edges { node { id } } } }"""
TIMELINE = (
    "query($id: ID!) { customer(id: $id) { id timeline(first: 5) { edges { node { kind } } } } }"
)
C360 = """query($id: ID!) { customer(id: $id) { id displayName lastInteractionAt
  interactions(first: 5) { totalCount } notifications { totalCount } } }"""
UPDATE = """mutation($id: ID!, $v: Int!) { updateCustomer(id: $id, expectedVersion: $v,
  input: {tier: "matrix"}) { id version } }"""
MERGE = """mutation($s: ID!, $m: ID!) { mergeCustomers(input: {survivorId: $s, mergedIds: [$m]})
  { customer { id } } }"""
REVEAL = "mutation($id: ID!) { revealCustomerField(id: $id, field: PHONES) { values } }"
LOG = """mutation($c: ID!) { logInteraction(input: {customerId: $c, channel: PHONE,
  direction: INBOUND, content: "attack"}) { id } }"""
ENTITIES_INTERACTION = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Customer { interactions(first: 5) { totalCount } } } }"""
ENTITIES_NOTIFICATION = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Customer { notifications { totalCount } } } }"""
ENTITIES_SALES = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Customer { opportunities(first: 5) { totalCount } } } }"""
EXPORT = """mutation($f: CustomerFilterInput) { exportCustomers(filter: $f, format: CSV,
  includePersonalData: true) { id } }"""
STAFF_MEMBER = "query($id: ID!) { staffMember(id: $id) { id team } }"
EXPORT_JOB = "query($id: ID!) { exportJob(id: $id) { status rowCount } }"


def representations(system: System, target: str) -> dict[str, Any]:
    return {"r": [{"__typename": "Customer", "id": system.customers[target].id}]}


def request(system: System, op: str, role: str, target: str) -> Awaitable[dict[str, Any]]:
    customer = system.customers[target]
    reps = representations(system, target)
    return {
        "read": lambda: system.gql(READ, {"id": customer.id}, role),
        "list": lambda: system.gql(LIST, {"f": {"tagsAny": [system.tag]}}, role),
        "search": lambda: system.gql(LIST, {"f": {"text": customer.name}}, role),
        "timeline": lambda: system.gql(TIMELINE, {"id": customer.id}, role),
        "customer360": lambda: system.gql(C360, {"id": customer.id}, role),
        "reveal": lambda: system.gql(REVEAL, {"id": customer.id}, role),
        "staff": lambda: system.gql(STAFF_MEMBER, {"id": customer.owner}, role),
        "log_interaction": lambda: system.gql(LOG, {"c": customer.id}, role),
        "entities_interaction_direct": lambda: system.direct(
            "interaction", ENTITIES_INTERACTION, reps, token_for(role)
        ),
        "entities_notification_direct": lambda: system.direct(
            "notification", ENTITIES_NOTIFICATION, reps, token_for(role)
        ),
    }[op]()


async def answer(system: System, op: str, role: str, target: str) -> dict[str, Any]:
    """The response to one case (sequential on purpose: the embedded MongoDB serialises work,
    and a burst would only trip the gateway's timeouts)."""
    return await request(system, op, role, target)


def leaves(value: Any) -> list[Any]:
    """Every non-null scalar in a response's data."""
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in leaves(v)]
    return [] if value is None else [value]


_received: dict[str, list[dict[str, Any]]] = {}


async def subscribe_everyone(system: System) -> dict[str, list[dict[str, Any]]]:
    """Every role subscribed to notificationReceived while a customer of each target group is
    assigned; what each received (once per module: later calls return the same)."""
    if _received:
        return _received
    got: dict[str, list[dict[str, Any]]] = {role: [] for role in ROLES}
    url = f"{system.gateway}/graphql"
    async with contextlib.AsyncExitStack() as stack:
        tasks = []
        for role in ROLES:
            live = await stack.enter_async_context(subscribe(url, token_for(role)))

            async def pump(role: str = role, live: Any = live) -> None:
                while True:
                    payload = await live.next()
                    got[role].append(payload)

            tasks.append(asyncio.create_task(pump()))
        await asyncio.sleep(0.5)  # the gateway opens its upstream subscriptions
        fresh = {target: await system.create(target, "notify") for target in TARGETS}

        async def owners_notified() -> bool:
            return all(
                any(
                    (p.get("data") or {}).get("notificationReceived", {}).get("customerId")
                    == fresh[t].id
                    for p in got[role]
                )
                for t, role in (
                    ("own", "SALES_OWNER"),
                    ("team", "SALES_SAME_TEAM"),
                    ("other", "SALES_OTHER_TEAM"),
                )
            )

        await eventually(owners_notified, timeout=20)
        await asyncio.sleep(1.0)  # anything misrouted would have arrived by now
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    _received.update(got)
    return _received
