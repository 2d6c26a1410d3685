"""Renamed mutations keep their former names until the next major release: through the gateway
each old name is still in the schema, marked deprecated with the new name in its reason, and
still does what the new one does (both call the same code)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.harness import SystemHandle, serve_system

pytestmark = pytest.mark.e2e

# old name -> new name
RENAMED = {
    "upsertStaff": "saveStaffMember",
    "setServiceAgent": "saveServiceAgent",
    "setNotificationTemplate": "saveNotificationTemplate",
    "setWebhookSubscriptionEnabled": "updateWebhookSubscription",
}

MUTATION_FIELDS = """{ __type(name: "Mutation") {
  fields(includeDeprecated: true) { name isDeprecated deprecationReason } } }"""


@pytest.fixture
async def system(mongodb_uri: str, amqp_url: str) -> AsyncIterator[SystemHandle]:
    async with serve_system(
        mongodb_uri,
        amqp_url,
        ("customer", "interaction", "notification"),
        env={"WEBHOOK_ALLOW_PRIVATE": "1"},
        introspection=True,
    ) as system:
        yield system


async def test_old_names_are_deprecated_aliases_of_the_new(system: SystemHandle) -> None:
    fields = (await system.ok(MUTATION_FIELDS))["__type"]["fields"]
    by_name = {f["name"]: f for f in fields}
    for old, new in RENAMED.items():
        assert by_name[new]["isDeprecated"] is False
        assert by_name[old] == {
            "name": old,
            "isDeprecated": True,
            "deprecationReason": f"Use {new}; removed in the next major release.",
        }
    no_deprecated = (await system.ok('{ __type(name: "Mutation") { fields { name } } }'))["__type"][
        "fields"
    ]
    assert not {f["name"] for f in no_deprecated} & set(RENAMED)

    staff = await system.one(
        """mutation { upsertStaff(input: {id: "alias.rep", name: "Alias Rep", team: "east",
        roles: ["SERVICE"], idempotencyKey: "alias-staff"}) { id name } }"""
    )
    assert staff == {"id": "alias.rep", "name": "Alias Rep"}
    again = await system.one(
        """mutation { saveStaffMember(input: {id: "alias.rep", name: "Alias Rep 2",
        team: "east", roles: ["SERVICE"], idempotencyKey: "alias-staff-2"}) { id name } }"""
    )
    assert again == {"id": "alias.rep", "name": "Alias Rep 2"}

    agent = await system.one(
        """mutation { setServiceAgent(agentId: " alias.rep ", team: "east") {
        agentId team active } }"""
    )
    assert agent == {"agentId": "alias.rep", "team": "east", "active": True}

    template = await system.one(
        """mutation { setNotificationTemplate(type: TICKET_STATUS_CHANGED, language: "en",
        title: "Ticket {ticketId}", body: "Now {status}") { language customized } }"""
    )
    assert template == {"language": "en", "customized": True}

    created = await system.one(
        """mutation { createWebhookSubscription(input: {url: "http://127.0.0.1:9/hook",
        eventTypes: ["customer.created.v1"], idempotencyKey: "alias-hook"}) {
        subscription { id } } }"""
    )
    hook_id = created["subscription"]["id"]
    disabled = await system.one(
        "mutation($id: ID!) { setWebhookSubscriptionEnabled(id: $id, enabled: false) "
        "{ id enabled } }",
        {"id": hook_id},
    )
    assert disabled == {"id": hook_id, "enabled": False}
    enabled = await system.one(
        "mutation($id: ID!) { updateWebhookSubscription(id: $id, enabled: true) { id enabled } }",
        {"id": hook_id},
    )
    assert enabled == {"id": hook_id, "enabled": True}
