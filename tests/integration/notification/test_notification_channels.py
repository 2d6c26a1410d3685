"""Triggers, email, webhooks, preferences and the delivery log against a real SMTP sink, a local
webhook receiver, RabbitMQ and the embedded MongoDB."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
import pytest_asyncio

from crm_notification.channels.signing import verify
from tests.integration.notification.harness import (
    DUE_AT,
    DUE_AT_SHANGHAI,
    TASK_TITLE,
    Stack,
    event,
    running_stack,
    task_due,
    ticket,
)
from tests.support import auth_headers, eventually, gql, uid

pytestmark = pytest.mark.integration

INBOX = """
query { myNotifications(first: 20) { totalCount edges { node { id type title body customerId } } } }
"""

CREATE_HOOK = """
mutation($input: WebhookSubscriptionInput!) {
  createWebhookSubscription(input: $input) {
    secret subscription { id url eventTypes enabled consecutiveFailures disabledReason }
  }
}"""

HOOKS = "{ webhookSubscriptions { id enabled consecutiveFailures disabledReason } }"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def stack(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Stack]:
    async with running_stack(mongodb_uri, amqp_url) as s:
        yield s


async def inbox(stack: Stack, user: str, count: int = 1) -> list[dict[str, Any]]:
    async def probe() -> list[dict[str, Any]] | None:
        data = await stack.ok(INBOX, sub=user, roles=("SALES",))
        nodes = [e["node"] for e in data["myNotifications"]["edges"]]
        return nodes if len(nodes) >= count else None

    result: list[dict[str, Any]] = await eventually(probe, timeout=20)
    return result


async def test_task_due_reaches_inbox_and_smtp_sink(stack: Stack) -> None:
    user, customer = uid("sales"), uid("c")
    email = f"{user}@example.cn"
    await stack.set_preferences(user, email=email)
    sent = await stack.publish(task_due(user, customer))
    [node] = await inbox(stack, user)
    assert node["type"] == "TASK_DUE" and node["customerId"] == customer
    assert node["title"] == f"任务到期提醒：{TASK_TITLE}"
    assert node["body"] == (
        f"您负责的任务「{TASK_TITLE}」（紧急程度：高）将于 {DUE_AT_SHANGHAI} 到期，请及时处理。"
    )

    [mail] = await stack.sink.wait_for(1, address=email)
    assert mail.subject == f"任务到期提醒：{TASK_TITLE}"
    assert TASK_TITLE in mail.text()
    assert mail.header("From") == "CRM 通知 <notify@crm.test>"
    assert mail.header("Reply-To") == "support@crm.test"
    delivery = await stack.wait_delivery(sent, "EMAIL", "SENT")
    assert mail.header("X-CRM-Delivery-Id") == delivery["id"]
    assert delivery["attempts"] == 1 and delivery["address"] == f"{user[0]}***@example.cn"
    stored = await stack.db["deliveries"].find_one({"_id": delivery["id"]})
    assert email not in str(stored)  # the log keeps the masked address only
    assert delivery["history"][0]["ok"] is True and delivery["sentAt"]


async def test_english_preference_and_channel_choice(stack: Stack) -> None:
    user = uid("sales")
    email = f"{user}@example.com"
    prefs = await stack.set_preferences(
        user,
        language="en",
        email=email,
        channels=[{"type": "TASK_DUE", "channels": ["EMAIL"]}],
    )
    assert prefs["language"] == "en"
    assert prefs["channels"] == [{"type": "TASK_DUE", "channels": ["EMAIL"]}]
    sent = await stack.publish(task_due(user, uid("c")))
    [mail] = await stack.sink.wait_for(1, address=email)
    assert mail.subject == f"Task due: {TASK_TITLE}"
    await stack.applied(sent)
    data = await stack.ok(INBOX, sub=user, roles=("SALES",))
    assert data["myNotifications"]["totalCount"] == 0  # the user chose email only


async def test_quiet_hours_defer_email_but_not_the_inbox(stack: Stack) -> None:
    user = uid("sales")
    email = f"{user}@example.cn"
    zone = ZoneInfo("Asia/Shanghai")
    local = datetime.now(UTC).astimezone(zone)
    start, end = (local - timedelta(hours=1)), (local + timedelta(hours=1))
    await stack.set_preferences(
        user,
        email=email,
        timeZone="Asia/Shanghai",
        quietHours={"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")},
    )
    sent = await stack.publish(task_due(user, uid("c")))

    await inbox(stack, user)  # the inbox fills at once
    delivery = await stack.wait_delivery(sent, "EMAIL", "PENDING")
    assert delivery["deferredReason"] == "quiet hours"
    due = datetime.fromisoformat(delivery["nextAttemptAt"])
    expected = end.replace(second=0, microsecond=0).astimezone(UTC)
    assert abs((due - expected).total_seconds()) < 1, (due, expected)
    await asyncio.sleep(1.0)  # the scheduler polls every 50 ms: nothing goes out meanwhile
    assert stack.sink.to(email) == []
    assert (await stack.delivery_of(sent, "EMAIL"))["attempts"] == 0

    # Deferred, not dropped: once the window ends (moved to now here), it is sent.
    await stack.db["deliveries"].update_one(
        {"_id": delivery["id"]}, {"$set": {"next_attempt_at": datetime.now(UTC)}}
    )
    [mail] = await stack.sink.wait_for(1, address=email)
    assert mail.header("X-CRM-Delivery-Id") == delivery["id"]
    await stack.wait_delivery(sent, "EMAIL", "SENT")


async def test_no_delivery_is_planned_for_a_user_without_an_email_address(stack: Stack) -> None:
    default, email_only = uid("sales"), uid("sales")  # neither ever set an email address
    await stack.set_preferences(email_only, channels=[{"type": "TASK_DUE", "channels": ["EMAIL"]}])
    sent = [await stack.publish(task_due(user, uid("c"))) for user in (default, email_only)]
    for reminder in sent:
        await stack.applied(reminder)
    planned = {d["eventId"] for d in await stack.deliveries()}
    assert planned.isdisjoint({e.id for e in sent})  # no EMAIL delivery, so none DEAD
    # the notice still reaches both: in-app (the one channel left to the e-mail-only user)
    for user in (default, email_only):
        [node] = await inbox(stack, user)
        assert node["type"] == "TASK_DUE"


async def test_event_without_recipient_or_fields_ends_in_recorded_dead_deliveries(
    stack: Stack,
) -> None:
    no_assignee = await stack.publish(task_due(None, uid("c")))
    no_priority = await stack.publish(
        event("ticket.assigned.v1", {"ticket": {"id": "tk-1"}, "assigneeId": uid("svc")}, "c-9")
    )
    await stack.applied(no_assignee)
    await stack.applied(no_priority)
    dead = {d["eventId"]: d for d in await stack.deliveries(statuses=["DEAD"])}
    assert dead[no_assignee.id]["lastError"] == "rule task-due: no recipient in the event data"
    assert "ticket.priority" in dead[no_priority.id]["lastError"]
    consumer = stack.app.state.runtime.consumer
    assert consumer.dead_lettered_total == 0  # handled, not poison


async def test_sla_breach_tells_the_assignee_and_the_teams_managers(stack: Stack) -> None:
    team, manager, assignee = uid("team"), uid("mgr"), uid("svc")
    # The manager becomes known to this service on their first request (just in time).
    await stack.ok("{ unreadNotificationCount }", sub=manager, roles=("MANAGER",), team=team)
    snapshot = ticket("c-1", assignee, team=team)
    data = {
        "ticket": snapshot,
        "target": "FIRST_RESPONSE",
        "dueAt": DUE_AT,
        "detectedAt": DUE_AT,
        "assigneeId": assignee,
        "team": team,
    }
    await stack.publish(event("ticket.sla_breached.v1", data, "c-1"))
    [to_assignee] = await inbox(stack, assignee)
    [to_manager] = await inbox(stack, manager)
    assert to_assignee["title"] == to_manager["title"] == "工单已超出 SLA（优先级 P1）"
    assert (
        to_manager["body"]
        == f"工单 {snapshot['id']} 的首次响应时限 {DUE_AT_SHANGHAI} 已超出，请立即处理。"
    )
    assert to_assignee["type"] == "TICKET_SLA_BREACHED"


async def test_malformed_admin_template_is_rejected_and_missing_variables_end_dead(
    stack: Stack,
) -> None:
    bad = await stack.query(
        """mutation { saveNotificationTemplate(type: TICKET_STATUS_CHANGED, language: "en",
           title: "{ticket.title}", body: "x") { title } }"""
    )
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    preview = await stack.ok(
        """query($v: JSON!) { previewNotificationTemplate(type: TICKET_STATUS_CHANGED,
           language: "zh-CN", variables: $v, body: "状态：{status}，负责人：{owner}") {
             title body } }""",
        {"v": {"ticketId": "tkt-1", "status": "RESOLVED", "previous": "OPEN", "owner": "王芳"}},
    )
    assert preview["previewNotificationTemplate"] == {
        "title": "工单状态变更：RESOLVED",
        "body": "状态：RESOLVED，负责人：王芳",
    }
    missing = await gql(
        stack.http,
        stack.graphql,
        """query { previewNotificationTemplate(type: TICKET_STATUS_CHANGED, language: "en",
           variables: {ticketId: "x"}) { title } }""",
        headers={**auth_headers(), "Accept-Language": "en"},  # the raised message names it
    )
    assert "status" in missing["errors"][0]["message"]
    # A stored template that needs a variable the event lacks: a DEAD delivery with the reason.
    await stack.ok(
        """mutation { saveNotificationTemplate(type: TICKET_STATUS_CHANGED, language: "zh-CN",
           title: "{ticketId}", body: "{resolution}") { customized } }"""
    )
    try:
        data = {
            "ticket": ticket("c-2", uid("svc"), status="RESOLVED"),
            "from": "OPEN",
            "to": "RESOLVED",
            "actorId": "mgr-1",
            "reopened": False,
        }
        sent = await stack.publish(event("ticket.status_changed.v1", data, "c-2"))
        await stack.applied(sent)
        [dead] = [d for d in await stack.deliveries(statuses=["DEAD"]) if d["eventId"] == sent.id]
        assert "missing template variable 'resolution'" in dead["lastError"]
    finally:
        await stack.ok(
            """mutation { saveNotificationTemplate(type: TICKET_STATUS_CHANGED, language: "zh-CN",
               title: "工单状态变更：{status}",
               body: "工单 {ticketId} 的状态已由 {previous} 变更为 {status}。") { customized } }"""
        )


async def test_rules_are_data_an_admin_can_change(stack: Stack) -> None:
    rules = await stack.ok("{ notificationRules { id eventType channels enabled } }")
    by_id = {r["id"]: r for r in rules["notificationRules"]}
    assert by_id["ticket-assigned"]["eventType"] == "ticket.assigned.v1"
    forbidden = await stack.query("{ notificationRules { id } }", sub="x", roles=("SALES",))
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # ADMIN adds a rule: purchases notify a fixed finance user.
    finance = uid("finance")
    await stack.ok(
        "mutation($input: NotificationRuleInput!) { saveNotificationRule(input: $input) { id } }",
        {
            "input": {
                "id": "purchase-to-finance",
                "eventType": "ticket.created.v1",
                "notificationType": "TICKET_ASSIGNED",
                "recipients": [{"kind": "USER", "value": finance}],
                "channels": ["IN_APP"],
                "variables": [
                    {"name": "ticketId", "path": "ticket.id"},
                    {"name": "priority", "path": "ticket.priority"},
                    {"name": "ticketType", "path": "ticket.type"},
                ],
                "customerPath": "ticket.customerId",
            }
        },
    )
    await stack.publish(
        event("ticket.created.v1", {"ticket": ticket("c-7", None, priority="P2")}, "c-7")
    )
    [node] = await inbox(stack, finance)
    assert node["title"] == "工单分配给您（优先级 P2）" and node["customerId"] == "c-7"


async def test_webhook_is_signed_and_retried_with_backoff_after_500s(stack: Stack) -> None:
    stack.receiver.statuses[:] = [500, 500]
    created = (
        await stack.ok(
            CREATE_HOOK,
            {"input": {"url": stack.receiver.url, "eventTypes": ["customer.archived.v1"]}},
        )
    )["createWebhookSubscription"]
    secret = created["secret"]
    assert secret.startswith("whsec_") and created["subscription"]["enabled"] is True
    stack.receiver.hits.clear()
    sent = await stack.publish(
        event("customer.archived.v1", {"customer": {"id": "c-3"}, "actorId": "alice"}, "c-3")
    )
    delivery = await stack.wait_delivery(sent, "WEBHOOK", "SENT")
    hits = stack.receiver.hits
    assert len(hits) == 3 and delivery["attempts"] == 3
    for hit in hits:
        assert verify(
            secret, int(hit.headers["x-crm-timestamp"]), hit.body, hit.headers["x-crm-signature"]
        )
        assert hit.headers["x-crm-delivery-id"] == delivery["id"]
        assert hit.headers["x-crm-event-type"] == "customer.archived.v1"
    assert not verify(
        "another-secret",
        int(hits[0].headers["x-crm-timestamp"]),
        hits[0].body,
        hits[0].headers["x-crm-signature"],
    )
    assert orjson.loads(hits[0].body)["id"] == sent.id
    # base 0.4 s, equal jitter: gap n lies in [0.4·2^(n-1)/2, 0.4·2^(n-1)] (+ polling slack)
    gaps = [b.at - a.at for a, b in itertools.pairwise(hits)]
    assert 0.2 <= gaps[0] <= 0.4 + 0.5, gaps
    assert 0.4 <= gaps[1] <= 0.8 + 0.5, gaps
    assert [h["ok"] for h in delivery["history"]] == [False, False, True]
    assert delivery["history"][0]["error"] == "HTTP 500"


async def test_failing_webhook_is_dead_then_disabled_and_can_be_replayed(stack: Stack) -> None:
    created = (
        await stack.ok(
            CREATE_HOOK,
            {"input": {"url": stack.receiver.url, "eventTypes": ["purchase.recorded.v1"]}},
        )
    )["createWebhookSubscription"]
    hook_id = created["subscription"]["id"]
    stack.receiver.statuses[:] = [503] * 8  # 4 attempts each for two events: 8 failures
    first = await stack.publish(event("purchase.recorded.v1", {"purchase": {"id": "p1"}}, "c-4"))
    dead = await stack.wait_delivery(first, "WEBHOOK", "DEAD", timeout=30)
    assert dead["attempts"] == 4 and dead["lastError"] == "HTTP 503"
    second = await stack.publish(event("purchase.recorded.v1", {"purchase": {"id": "p2"}}, "c-4"))
    dead_too = await stack.wait_delivery(second, "WEBHOOK", "DEAD", timeout=30)
    assert "disabled after 6 consecutive failed attempts" in (dead_too["lastError"] or "")
    [hook] = [h for h in (await stack.ok(HOOKS))["webhookSubscriptions"] if h["id"] == hook_id]
    assert hook["enabled"] is False and hook["consecutiveFailures"] == 6

    stack.receiver.statuses.clear()
    await stack.ok(
        "mutation($id: ID!) { updateWebhookSubscription(id: $id, enabled: true) { enabled } }",
        {"id": hook_id},
    )
    replay = await stack.ok(
        "mutation($id: ID!) { replayNotificationDelivery(id: $id) { id status replayOf } }",
        {"id": dead["id"]},
    )
    replayed = replay["replayNotificationDelivery"]
    assert replayed["replayOf"] == dead["id"] and replayed["status"] == "PENDING"

    async def replay_sent() -> bool:
        found = [
            d for d in await stack.deliveries(channels=["WEBHOOK"]) if d["id"] == replayed["id"]
        ]
        return bool(found and found[0]["status"] == "SENT")

    await eventually(replay_sent, timeout=15)
    assert stack.receiver.hits[-1].headers["x-crm-delivery-id"] == replayed["id"]


async def test_webhook_registration_checks_event_types(stack: Stack) -> None:
    body = await stack.query(
        CREATE_HOOK, {"input": {"url": stack.receiver.url, "eventTypes": ["nope.v1"]}}
    )
    assert body["errors"][0]["extensions"]["fieldErrors"][0]["code"] == "UNKNOWN_EVENT_TYPE"
    body = await stack.query(
        CREATE_HOOK, {"input": {"url": "ftp://example.com/x", "eventTypes": ["task.due.v1"]}}
    )
    assert body["errors"][0]["extensions"]["fieldErrors"][0]["code"] == "UNSAFE_URL"


async def test_sms_goes_through_the_provider_interface(stack: Stack) -> None:
    user = uid("sales")
    await stack.set_preferences(
        user, phone="+8613800138000", channels=[{"type": "TASK_DUE", "channels": ["SMS"]}]
    )
    sent = await stack.publish(task_due(user, uid("c")))
    delivery = await stack.wait_delivery(sent, "SMS", "SENT")
    [(phone, text, reference)] = [s for s in stack.sms.sent if s[2] == delivery["id"]]
    assert phone == "+8613800138000" and reference == delivery["id"]
    assert text.startswith(f"任务到期提醒：{TASK_TITLE}\n")


async def test_archive_moves_own_notifications_out_of_the_inbox(stack: Stack) -> None:
    user, intruder = uid("sales"), uid("sales")
    for _ in range(2):
        await stack.publish(task_due(user, uid("c")))
    first, second = await inbox(stack, user, count=2)
    archive = (
        "mutation($ids: [ID!]!) { archiveNotifications(ids: $ids) { changedCount unreadCount } }"
    )
    stolen = await stack.ok(archive, {"ids": [first["id"]]}, sub=intruder, roles=("SALES",))
    assert stolen["archiveNotifications"]["changedCount"] == 0
    done = await stack.ok(archive, {"ids": [first["id"]]}, sub=user, roles=("SALES",))
    assert done["archiveNotifications"] == {"changedCount": 1, "unreadCount": 1}
    again = await stack.ok(archive, {"ids": [first["id"]]}, sub=user, roles=("SALES",))
    assert again["archiveNotifications"]["changedCount"] == 0
    listing = """query($a: Boolean!) { myNotifications(filter: {archived: $a}) {
        totalCount unreadCount edges { node { id archived read } } } }"""
    kept = (await stack.ok(listing, {"a": False}, sub=user, roles=("SALES",)))["myNotifications"]
    assert [e["node"]["id"] for e in kept["edges"]] == [second["id"]]
    assert kept["totalCount"] == 1 and kept["unreadCount"] == 1
    gone = (await stack.ok(listing, {"a": True}, sub=user, roles=("SALES",)))["myNotifications"]
    assert gone["edges"] == [{"node": {"id": first["id"], "archived": True, "read": True}}]
