"""`viewer` through the gateway: who the caller is, their permissions read off the one access
policy, their own figures from every subgraph, and `viewerCan…` on the records they see —
each the same answer the mutation gives."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio

from crm_kit.auth import Principal, Role, issue_dev_token
from crm_kit.personal import PersonalKind
from crm_kit.policy import POLICY, SENSITIVE_FIELDS, Action, Resource, Visibility, can
from crm_kit.settings import DEFAULT_DEV_JWT_SECRET
from tests.harness import SystemHandle, serve_system
from tests.support import auth_headers, error_code, eventually, gql, uid

pytestmark = pytest.mark.e2e

TEAM = "east"
ADMIN = auth_headers(sub="vw-admin", roles=("ADMIN",), team=TEAM)

VIEWER = """{ viewer {
  id roles team language timeZone maskedPersonalData
  permissions { resource action scope }
  staff { id name }
  openTaskCount openTicketCount unreadNotificationCount
} }"""

ABILITIES = {
    "viewerCanUpdate": Action.UPDATE,
    "viewerCanAssign": Action.ASSIGN,
    "viewerCanMerge": Action.MERGE,
    "viewerCanArchive": Action.ARCHIVE,
    "viewerCanErase": Action.ERASE,
    "viewerCanRevealPersonalData": Action.REVEAL,
}
CUSTOMER = f"query($id: ID!) {{ customer(id: $id) {{ id version {' '.join(ABILITIES)} }} }}"
UPDATE = """mutation($id: ID!, $v: Int!) {
  updateCustomer(id: $id, expectedVersion: $v, input: {tier: "B"}) { version } }"""
# The mutations behind the fields that are harmless to run on the test's customer: a tier, its
# owner again, a reveal, an archive (undone below).
TRIED = {
    "viewerCanUpdate": UPDATE,
    "viewerCanAssign": """mutation($id: ID!, $o: ID!) {
      assignCustomer(id: $id, ownerId: $o, team: "east") { id } }""",
    "viewerCanRevealPersonalData": """mutation($id: ID!) {
      revealCustomerField(id: $id, field: PHONES) { values } }""",
    "viewerCanArchive": "mutation($id: ID!) { archiveCustomer(id: $id) { id } }",
}
UNARCHIVE = "mutation($id: ID!) { unarchiveCustomer(id: $id) { id } }"


def headers(sub: str, role: Role, team: str = TEAM) -> dict[str, str]:
    return auth_headers(sub=sub, roles=(str(role),), team=team)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def system(mongodb_uri: str, amqp_url: str) -> AsyncIterator[SystemHandle]:
    async with serve_system(mongodb_uri, amqp_url, headers=ADMIN) as system:
        yield system


async def new_customer(system: SystemHandle, owner: str, team: str) -> str:
    phone = f"139{uuid.uuid4().int % 10**8:08d}"  # a phone to reveal, unique: no duplicate
    created = await system.one(
        """mutation($n: String!, $p: String!) { createCustomer(input: {kind: ENTERPRISE,
             name: $n, phones: [$p]}) { id } }""",
        {"n": uid("视图科技"), "p": phone},
    )
    await system.ok(
        "mutation($id: ID!, $o: ID!, $t: String) { assignCustomer(id: $id, ownerId: $o, "
        "team: $t) { id } }",
        {"id": created["id"], "o": owner, "t": team},
    )
    return str(created["id"])


def expected_permissions(role: Role) -> list[dict[str, str]]:
    return [
        {"resource": r.name, "action": a.name, "scope": POLICY[role].scope(r, a).name}
        for r in Resource
        for a in Action
    ]


@pytest.mark.parametrize("role", list(Role))
async def test_every_role_sees_itself_and_the_policy_s_grant(
    system: SystemHandle, role: Role
) -> None:
    sub = uid(role.lower())
    viewer = await system.one(VIEWER, headers=headers(sub, role))
    assert viewer["id"] == sub and viewer["roles"] == [role.name] and viewer["team"] == TEAM
    assert viewer["language"] == "zh-CN" and viewer["timeZone"] == "Asia/Shanghai"
    assert viewer["permissions"] == expected_permissions(role)
    assert viewer["maskedPersonalData"] == [
        PersonalKind(name).name
        for name in SENSITIVE_FIELDS
        if POLICY[role].visibility(name) is Visibility.MASKED
    ]
    assert viewer["staff"] == {"id": sub, "name": sub}  # provisioned from the token
    assert (viewer["openTaskCount"], viewer["openTicketCount"]) == (0, 0)
    assert viewer["unreadNotificationCount"] == 0


async def test_language_and_time_zone_follow_the_request_and_the_token(
    system: SystemHandle,
) -> None:
    english = {**headers(uid("en"), Role.SALES), "Accept-Language": "en-US,en;q=0.9"}
    assert (await system.one("{ viewer { language } }", headers=english))["language"] == "en"
    for zone, shown in (("Europe/Berlin", "Europe/Berlin"), ("Not/AZone", "Asia/Shanghai")):
        token = issue_dev_token(
            DEFAULT_DEV_JWT_SECRET, sub=uid("tz"), roles=["SALES"], team=TEAM, time_zone=zone
        )
        auth = {"Authorization": f"Bearer {token}"}
        assert (await system.one("{ viewer { timeZone } }", headers=auth))["timeZone"] == shown


async def test_the_viewer_needs_a_token(system: SystemHandle) -> None:
    response = await system.http.post(system.graphql, json={"query": "{ viewer { id } }"})
    assert response.status_code == 401


async def test_viewer_can_on_customers_is_the_check_the_mutations_make(
    system: SystemHandle,
) -> None:
    rep, west = uid("rep"), uid("west")
    own = await new_customer(system, rep, TEAM)
    other_team = await new_customer(system, west, "west")
    callers = {
        Role.SALES: rep,
        Role.SERVICE: uid("svc"),
        Role.ANALYST: uid("ana"),
        Role.MANAGER: uid("mgr"),
        Role.ADMIN: uid("adm"),
    }
    for role, sub in callers.items():
        principal = Principal(sub=sub, name=sub, roles=frozenset({role}), team=TEAM)
        answer = await system.gql(CUSTOMER, {"id": own}, headers=headers(sub, role))
        found = answer["data"]["customer"]
        for field, action in ABILITIES.items():
            assert found[field] is can(principal, action, owner_id=rep, team=TEAM), (role, field)
        for field, mutation in TRIED.items():
            version = (await system.one(CUSTOMER, {"id": own}))["version"]
            arguments = {"id": own, "v": version} if mutation is UPDATE else {"id": own}
            if field == "viewerCanAssign":
                arguments["o"] = rep
            done = await system.gql(mutation, arguments, headers=headers(sub, role))
            assert error_code(done) == (None if found[field] else "FORBIDDEN"), (role, field, done)
        await system.gql(UNARCHIVE, {"id": own})
    # Another team's customer: the rep sees nothing of it, and may not change it either.
    hidden = await system.gql(CUSTOMER, {"id": other_team}, headers=headers(rep, Role.SALES))
    assert hidden["data"]["customer"] is None and error_code(hidden) == "FORBIDDEN"
    refused = await system.gql(UPDATE, {"id": other_team, "v": 2}, headers=headers(rep, Role.SALES))
    assert error_code(refused) == "FORBIDDEN"


async def test_the_caller_s_work_is_counted_and_tickets_tasks_interactions_say_what_they_may(
    system: SystemHandle,
) -> None:
    rep = uid("rep")
    rep_headers = headers(rep, Role.SALES)
    customer = await new_customer(system, rep, TEAM)  # the assignment notifies the rep
    due = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    task = await system.one(
        """mutation($c: ID!, $a: String!, $d: DateTime!) { createTask(input: {customerId: $c,
             title: "回访", dueAt: $d, assigneeId: $a}) { id } }""",
        {"c": customer, "a": rep, "d": due},
    )
    ticket = await system.one(
        """mutation($c: ID!, $a: String!) { createTicket(input: {customerId: $c, type: INQUIRY,
             subject: "发票", assigneeId: $a}) { id } }""",
        {"c": customer, "a": rep},
    )

    async def counted() -> Any:
        # One request, the inbox's own count beside: they agree once the notices are in.
        found = await system.ok(f"{{ unreadNotificationCount {VIEWER[1:]}", headers=rep_headers)
        unread = found["viewer"]["unreadNotificationCount"]
        return found["viewer"] if unread and unread == found["unreadNotificationCount"] else None

    viewer = await eventually(counted)
    assert (viewer["openTaskCount"], viewer["openTicketCount"]) == (1, 1)

    mine = await system.one(
        "{ myTasks { edges { node { id viewerCanUpdate } } } }", headers=rep_headers
    )
    assert mine["edges"] == [{"node": {"id": task["id"], "viewerCanUpdate": True}}]
    for who, expected in ((rep_headers, True), (ADMIN, True)):
        found = await system.one(
            "query($id: ID!) { ticket(id: $id) { viewerCanUpdate viewerCanAssign } }",
            {"id": ticket["id"]},
            headers=who,
        )
        assert found["viewerCanUpdate"] is expected
        # SALES work on their tickets but do not dispatch them (tickets.model.DISPATCH_ROLES).
        assert found["viewerCanAssign"] is (who is ADMIN)

    await interactions_say_who_may_change_them(system, customer, rep_headers)


async def interactions_say_who_may_change_them(
    system: SystemHandle, customer: str, rep_headers: dict[str, str]
) -> None:
    """The author may change their record; SERVICE reads every interaction but changes only
    their own, though their scope reaches it (the use case's author rule)."""
    logged = await system.one(
        """mutation($c: ID!) { logInteraction(input: {customerId: $c, channel: PHONE,
             direction: OUTBOUND, content: "电话回访"}) { id } }""",
        {"c": customer},
        headers=rep_headers,
    )
    query = "query($id: ID!) { interaction(id: $id) { viewerCanUpdate } }"
    edit = """mutation($id: ID!) { updateInteraction(id: $id, input: {content: "改"}) { id } }"""
    service = headers(uid("svc"), Role.SERVICE)
    for who, expected in ((rep_headers, True), (service, False)):
        found = await system.one(query, {"id": logged["id"]}, headers=who)
        assert found["viewerCanUpdate"] is expected
        changed = await system.gql(edit, {"id": logged["id"]}, headers=who)
        assert error_code(changed) == (None if expected else "FORBIDDEN"), changed


@pytest.mark.parametrize("name", ["customer", "interaction", "notification"])
async def test_a_viewer_reference_resolves_for_the_caller_only(
    system: SystemHandle, name: str
) -> None:
    query = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Viewer { id } } }"
    url = system.subgraphs[name]
    me = headers("vw-me", Role.SALES)
    own = await gql(system.http, url, query, {"r": [{"__typename": "Viewer", "id": "vw-me"}]}, me)
    assert own["data"]["_entities"] == [{"id": "vw-me"}], own
    other = await gql(
        system.http, url, query, {"r": [{"__typename": "Viewer", "id": "vw-admin"}]}, me
    )
    assert error_code(other) == "FORBIDDEN" and other["data"]["_entities"] == [None], other
