"""The attack matrix, through the gateway: every role × every operation on the customers
SALES_OWNER owns ("own"), a colleague in the same team owns ("team") and someone in another team
owns ("other"), each expected allow/deny asserted from the table below (the operations on an
opportunity of each — read, update, assign, bulk assign, merge — and their table:
`attack_operations_sales`); plus refused tokens (missing, expired, wrong signature, wrong
audience, `alg: none`) against the gateway and directly against every subgraph. The system
starts once for the module; data is built once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from crm_kit.personal import mask_phone
from tests.e2e.attack_operations import (
    ENTITIES_INTERACTION,
    ENTITIES_NOTIFICATION,
    ENTITIES_SALES,
    EXPORT,
    EXPORT_JOB,
    MERGE,
    READ,
    UPDATE,
    answer,
    assert_forbidden_at,
    error_codes,
    leaves,
    representations,
    subscribe_everyone,
)
from tests.e2e.attack_operations_sales import SALES_CHECKS, SALES_EXPECTED
from tests.e2e.attack_support import (
    PRINCIPALS,
    ROLES,
    TARGETS,
    System,
    bad_tokens,
    start,
    token_for,
)
from tests.support import eventually

pytestmark = pytest.mark.e2e

Y, N = True, False
# Who may READ each customer: the base of reads, lists, searches and the 360 view.
SEES = {
    "ADMIN": (Y, Y, Y),
    "MANAGER_SAME_TEAM": (Y, Y, N),
    "MANAGER_OTHER_TEAM": (N, N, Y),
    "SALES_OWNER": (Y, N, N),
    "SALES_SAME_TEAM": (N, Y, N),
    "SALES_OTHER_TEAM": (N, N, Y),
    "SERVICE": (Y, Y, Y),
    "ANALYST": (Y, Y, Y),
}
CHANGES = {**SEES, "SERVICE": (N, N, N), "ANALYST": (N, N, N)}  # update, export
MANAGES = {  # merge, reveal a masked field
    **{role: (N, N, N) for role in ROLES},
    "ADMIN": (Y, Y, Y),
    "MANAGER_SAME_TEAM": (Y, Y, N),
    "MANAGER_OTHER_TEAM": (N, N, Y),
}
DETAILS = {**SEES, "ANALYST": (N, N, N)}  # interactions, timeline: no personal details for ANALYST
# Searching an individual by name: ANALYST sees names masked, so a name search cannot confirm one.
SEARCHES = {**SEES, "ANALYST": (N, N, N)}
LOGS = {**CHANGES, "SERVICE": (Y, Y, Y)}  # SERVICE logs contacts with any customer
# Customer.notifications read directly at the notification subgraph: a recipient-wide view
# (ADMIN, MANAGER) needs the customer in scope; everyone else sees only their own notices.
NOTICES = {
    **{role: (Y, Y, Y) for role in ROLES},
    **{r: MANAGES[r] for r in ("MANAGER_SAME_TEAM", "MANAGER_OTHER_TEAM")},
}

# staffMember(id) of the target's owner: MANAGER their team's staff; SALES and SERVICE their
# team's directory; ANALYST none.
STAFF = {
    **{role: (Y, Y, N) for role in ROLES},
    "ADMIN": (Y, Y, Y),
    "MANAGER_OTHER_TEAM": (N, N, Y),
    "SALES_OTHER_TEAM": (N, N, Y),
    "ANALYST": (N, N, N),
}

EXPECTED: dict[str, dict[str, tuple[bool, bool, bool]]] = {
    "read": SEES,
    "list": SEES,
    "search": SEARCHES,
    "timeline": DETAILS,
    "customer360": SEES,  # ANALYST: the profile, masked, without interactions
    "update": CHANGES,
    "merge": MANAGES,
    "reveal": MANAGES,
    "log_interaction": LOGS,
    "entities_interaction_direct": DETAILS,
    "entities_notification_direct": NOTICES,
    "export": CHANGES,
    "staff": STAFF,
    **SALES_EXPECTED,  # an opportunity of each target group, judged by its own owner and team
}
CASES = [
    pytest.param(op, role, target, EXPECTED[op][role][i], id=f"{op}-{role}-{target}")
    for op in EXPECTED
    for role in ROLES
    for i, target in enumerate(TARGETS)
]


@pytest.fixture(scope="module")
async def system(mongodb_uri: str, amqp_url: str) -> AsyncIterator[System]:
    async for running in start(mongodb_uri, amqp_url):
        yield running


async def check_read(system: System, role: str, target: str, allowed: bool) -> None:
    customer = system.customers[target]
    body = await answer(system, "read", role, target)
    if allowed:
        assert "errors" not in body, body
        found = body["data"]["customer"]
        assert found["id"] == customer.id
        shown = found["phones"][0]
        assert shown == (
            mask_phone(customer.phone_e164) if role == "ANALYST" else customer.phone_e164
        )
    else:
        assert body["data"]["customer"] is None
        assert_forbidden_at(body, "customer")


async def check_list(system: System, role: str, target: str, allowed: bool) -> None:
    body = await answer(system, "list", role, target)
    assert "errors" not in body, body
    listed = {e["node"]["id"] for e in body["data"]["customers"]["edges"]}
    assert (system.customers[target].id in listed) is allowed
    visible = sum(SEES[role]) * 2  # each target group also has a spare of the same owner
    assert body["data"]["customers"]["totalCount"] == visible == len(listed)


async def check_search(system: System, role: str, target: str, allowed: bool) -> None:
    customer = system.customers[target]
    body = await answer(system, "search", role, target)
    assert "errors" not in body, body
    found = [e["node"]["id"] for e in body["data"]["customers"]["edges"]]
    assert found == ([customer.id] if allowed else [])
    assert body["data"]["customers"]["totalCount"] == len(found)


async def check_timeline(system: System, role: str, target: str, allowed: bool) -> None:
    body = await answer(system, "timeline", role, target)
    if allowed:
        assert "errors" not in body, body
        assert body["data"]["customer"]["timeline"]["edges"]
    elif SEES[role][list(TARGETS).index(target)]:  # may see the profile, not the details
        assert body["data"]["customer"]["timeline"] is None
        assert_forbidden_at(body, "customer", "timeline")
    else:
        assert body["data"]["customer"] is None
        assert_forbidden_at(body, "customer")


async def check_customer360(system: System, role: str, target: str, allowed: bool) -> None:
    customer = system.customers[target]
    body = await answer(system, "customer360", role, target)
    if not allowed:
        assert body["data"]["customer"] is None
        assert_forbidden_at(body, "customer")
        return
    found = body["data"]["customer"]
    assert found["id"] == customer.id and found["lastInteractionAt"] is not None
    if role == "ANALYST":  # masked profile and aggregates, no interactions
        assert found["displayName"] != customer.name and found["interactions"] is None
        assert_forbidden_at(body, "customer", "interactions")
    else:
        assert "errors" not in body, body
        assert found["displayName"] == customer.name
        assert found["interactions"]["totalCount"] >= 1


async def check_update(system: System, role: str, target: str, allowed: bool) -> None:
    customer = system.customers[target]
    version = await system.version(customer.id)
    body = await system.gql(UPDATE, {"id": customer.id, "v": version}, role)
    if allowed:
        assert "errors" not in body, body
        assert body["data"]["updateCustomer"]["id"] == customer.id
    else:
        assert_forbidden_at(body, "updateCustomer")
        assert await system.version(customer.id) == version  # nothing written


async def check_merge(system: System, role: str, target: str, allowed: bool) -> None:
    if allowed:  # a fresh pair of this target group: merging really happens
        survivor, merged = system.create(target, "pair"), system.create(target, "pair")
        s, m = await survivor, await merged
        body = await system.gql(MERGE, {"s": s.id, "m": m.id}, role)
        assert "errors" not in body, body
        assert body["data"]["mergeCustomers"]["customer"]["id"] == s.id
        return
    s, m = system.customers[target], system.spares[target]
    body = await system.gql(MERGE, {"s": s.id, "m": m.id}, role)
    assert_forbidden_at(body, "mergeCustomers")
    alive = await system.gql(READ, {"id": m.id})
    assert alive["data"]["customer"]["id"] == m.id  # not merged away


async def check_reveal(system: System, role: str, target: str, allowed: bool) -> None:
    customer = system.customers[target]
    body = await answer(system, "reveal", role, target)
    if allowed:
        assert "errors" not in body, body
        assert body["data"]["revealCustomerField"]["values"] == [customer.phone_e164]
    else:
        assert_forbidden_at(body, "revealCustomerField")
        assert customer.phone not in str(body)


async def check_log_interaction(system: System, role: str, target: str, allowed: bool) -> None:
    body = await answer(system, "log_interaction", role, target)
    if allowed:
        assert "errors" not in body, body
    else:
        assert_forbidden_at(body, "logInteraction")


async def check_entities_interaction_direct(
    system: System, role: str, target: str, allowed: bool
) -> None:
    body = await answer(system, "entities_interaction_direct", role, target)
    entity = body["data"]["_entities"][0]
    if allowed:
        assert "errors" not in body, body
        assert entity["interactions"]["totalCount"] >= 1
    else:
        assert entity["interactions"] is None
        assert_forbidden_at(body, "_entities", 0, "interactions")


async def check_entities_notification_direct(
    system: System, role: str, target: str, allowed: bool
) -> None:
    body = await answer(system, "entities_notification_direct", role, target)
    entity = body["data"]["_entities"][0]
    if allowed:
        assert "errors" not in body, body
        assert entity["notifications"]["totalCount"] >= 0
    else:
        assert entity["notifications"] is None
        assert_forbidden_at(body, "_entities", 0, "notifications")


_export_rows: dict[str, int | str] = {}


async def _export(system: System, role: str) -> int | str:
    """Rows exported with personal data for the module's customers, or the error code."""
    if role not in _export_rows:
        body = await system.gql(EXPORT, {"f": {"tagsAny": [system.tag]}}, role)
        if "errors" in body:
            _export_rows[role] = body["errors"][0]["extensions"]["code"]
        else:
            job_id = body["data"]["exportCustomers"]["id"]

            async def finished() -> Any:
                job = await system.gql(EXPORT_JOB, {"id": job_id}, role)
                status = job["data"]["exportJob"]
                return status if status["status"] in ("COMPLETED", "FAILED") else None

            status = await eventually(finished, timeout=30)
            assert status["status"] == "COMPLETED", status
            _export_rows[role] = int(status["rowCount"])
    return _export_rows[role]


async def check_export(system: System, role: str, target: str, allowed: bool) -> None:
    rows = await _export(system, role)
    if not any(CHANGES[role]):
        assert rows == "FORBIDDEN"
        return
    # one row per visible target group, and its spare: the export never leaves the scope
    assert rows == 2 * sum(CHANGES[role])
    assert allowed is CHANGES[role][list(TARGETS).index(target)]


async def check_staff(system: System, role: str, target: str, allowed: bool) -> None:
    body = await answer(system, "staff", role, target)
    if allowed:
        assert "errors" not in body, body
        assert body["data"]["staffMember"]["id"] == system.customers[target].owner
    else:
        assert_forbidden_at(body, "staffMember")


CHECKS = {
    "read": check_read,
    "list": check_list,
    "search": check_search,
    "timeline": check_timeline,
    "customer360": check_customer360,
    "update": check_update,
    "merge": check_merge,
    "reveal": check_reveal,
    "log_interaction": check_log_interaction,
    "entities_interaction_direct": check_entities_interaction_direct,
    "entities_notification_direct": check_entities_notification_direct,
    "export": check_export,
    "staff": check_staff,
    **SALES_CHECKS,
}


@pytest.mark.parametrize(("op", "role", "target", "allowed"), CASES)
async def test_attack_matrix(
    system: System, op: str, role: str, target: str, allowed: bool
) -> None:
    await CHECKS[op](system, role, target, allowed)


# --- subscriptions: each subscriber only ever receives their own notifications -------------------


@pytest.mark.parametrize("role", ROLES)
async def test_subscribers_receive_only_their_own_notifications(system: System, role: str) -> None:
    received = (await subscribe_everyone(system))[role]
    me = PRINCIPALS[role][0]
    for payload in received:
        assert "errors" not in payload, payload
        assert payload["data"]["notificationReceived"]["recipientId"] == me
    if role.startswith("SALES"):  # each owner got the notice of the customer assigned to them
        assert received


# --- tokens the gateway and every subgraph must refuse ------------------------------------------

ENDPOINTS: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "gateway": ("gateway", "{ customers(first: 1) { totalCount } }", None),
    "customer": ("customer", "{ customers(first: 1) { totalCount } }", None),
    "customer_entities": (
        "customer",
        "query($r: [_Any!]!) { _entities(representations: $r) "
        "{ ... on Customer { displayName } } }",
        None,
    ),
    "interaction": ("interaction", "{ tickets(first: 1) { edges { cursor } } }", None),
    "interaction_entities": ("interaction", ENTITIES_INTERACTION, None),
    "notification": ("notification", "{ myNotifications { totalCount } }", None),
    "notification_entities": ("notification", ENTITIES_NOTIFICATION, None),
    "sales": ("sales", "{ opportunities(first: 1) { totalCount } }", None),
    "sales_entities": ("sales", ENTITIES_SALES, None),
}
TOKEN_KINDS = tuple(bad_tokens())


@pytest.mark.parametrize("kind", TOKEN_KINDS)
@pytest.mark.parametrize("endpoint", tuple(ENDPOINTS))
async def test_bad_tokens_are_refused(system: System, endpoint: str, kind: str) -> None:
    where, query, variables = ENDPOINTS[endpoint]
    if "representations: $r" in query:
        variables = representations(system, "own")
    token = bad_tokens()[kind]
    if where == "gateway":
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        response = await system.http.post(
            f"{system.gateway}/graphql", json={"query": query}, headers=headers
        )
        body = response.json()
    else:
        body = await system.direct(where, query, variables, token)
    codes = set(error_codes(body).values())
    assert codes == {"UNAUTHENTICATED"}, body
    assert not leaves(body.get("data")), body  # no data at all, only nulls


async def test_a_valid_token_passes_everywhere(system: System) -> None:
    """The control case: the same requests with a good token are answered."""
    token = token_for("ADMIN")
    for endpoint, (where, query, _) in ENDPOINTS.items():
        variables = representations(system, "own") if "representations: $r" in query else None
        if where == "gateway":
            body = await system.gql(query, variables)
        else:
            body = await system.direct(where, query, variables, token)
        assert "errors" not in body, (endpoint, body)
