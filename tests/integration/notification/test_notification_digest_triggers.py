"""New triggers (task overdue, mentions in ticket comments and interactions, import/export
finished), the daily digest (ONE combined mail per user and day, sent once although two
scheduler replicas run) and the delivery log keeping masked addresses only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from crm_notification.channels.addresses import AddressBook
from crm_notification.channels.email import SmtpSender
from crm_notification.channels.model import Channel
from crm_notification.deliveries.model import RetryPolicy
from crm_notification.deliveries.scheduler import DeliveryScheduler
from crm_notification.deliveries.store import DeliveryRepository
from crm_notification.digest.store import DigestRepository as DigestStore
from crm_notification.preferences.store import PreferenceRepository as PreferenceStore
from crm_notification.webhooks.store import WebhookRepository
from tests.integration.notification.harness import (
    DUE_AT,
    TASK_TITLE,
    Stack,
    event,
    running_stack,
    task_due,
    ticket,
)
from tests.support import eventually, uid

pytestmark = pytest.mark.integration

INBOX = """
query { myNotifications(first: 20) { totalCount edges { node { type title body customerId } } } }
"""


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def stack(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Stack]:
    async with running_stack(mongodb_uri, amqp_url) as s:
        yield s


async def inbox(stack: Stack, user: str, count: int) -> list[dict[str, Any]]:
    async def probe() -> list[dict[str, Any]] | None:
        data = await stack.ok(INBOX, sub=user, roles=("SALES",))
        nodes = [e["node"] for e in data["myNotifications"]["edges"]]
        return nodes if len(nodes) >= count else None

    result: list[dict[str, Any]] = await eventually(probe, timeout=20)
    return result


@pytest.mark.asyncio(loop_scope="session")
async def test_overdue_mention_and_job_triggers_reach_the_inbox(stack: Stack) -> None:
    owner, bob, carol, actor, customer = (uid(p) for p in ("own", "bob", "carol", "act", "c"))
    overdue = task_due(owner, customer)
    await stack.publish(
        event(
            "task.overdue.v1",
            {
                "task": overdue.data["task"],
                "title": TASK_TITLE,
                "assigneeId": owner,
                "overdueSince": DUE_AT,
            },
            customer,
        )
    )
    [node] = await inbox(stack, owner, 1)
    assert node["type"] == "TASK_OVERDUE" and node["customerId"] == customer
    assert node["title"] == f"任务已逾期：{TASK_TITLE}"
    assert node["body"] == (
        f"您负责的任务「{TASK_TITLE}」（紧急程度：高）已于 2026-03-01 17:00 到期，仍未完成。"
    )

    comment = {
        "ticket": ticket(customer, owner),
        "commentId": "cm-1",
        "customerVisible": False,
        "mentionedStaffIds": [bob, carol, actor],
        "actorId": actor,
        "createdAt": DUE_AT,
    }
    await stack.publish(event("ticket.comment_added.v1", comment, customer))
    for person in (bob, carol):
        [mention] = await inbox(stack, person, 1)
        assert mention["type"] == "TICKET_MENTION" and actor in mention["title"]
    logged = {
        "interaction": {"id": "i-1", "customerId": customer, "loggedBy": actor},
        "mentionedStaffIds": [bob],
        "actorId": actor,
    }
    await stack.publish(event("interaction.logged.v1", logged, customer))
    found = await inbox(stack, bob, 2)
    assert {n["type"] for n in found} == {"TICKET_MENTION", "INTERACTION_MENTION"}
    quiet = event("ticket.comment_added.v1", {**comment, "mentionedStaffIds": []}, customer)
    await stack.publish(quiet)
    await stack.applied(quiet)  # no mention: nobody told, nothing dead
    assert [d for d in await stack.deliveries() if d["eventId"] == quiet.id] == []
    assert await stack.ok(INBOX, sub=actor, roles=("SALES",)) == {
        "myNotifications": {"totalCount": 0, "edges": []}
    }

    job = uid("job")
    imported = {
        "jobId": job,
        "actorId": owner,
        "status": "COMPLETED",
        "mode": "CREATE_ONLY",
        "dryRun": False,
        "format": "CSV",
        "counts": {
            "total": 5,
            "processed": 5,
            "created": 3,
            "updated": 0,
            "skipped": 1,
            "failed": 1,
        },
    }
    await stack.publish(event("customer.import_finished.v1", imported, job))
    exported = {"jobId": uid("job"), "actorId": owner, "status": "COMPLETED", "rowCount": 842}
    await stack.publish(event("customer.export_finished.v1", exported, exported["jobId"]))
    nodes = await inbox(stack, owner, 3)
    by_type = {n["type"]: n for n in nodes}
    assert "新增 3，更新 0，跳过 1，失败 1" in by_type["IMPORT_FINISHED"]["body"]
    assert by_type["IMPORT_FINISHED"]["customerId"] is None  # subject is a job, not a customer
    assert "842" in by_type["EXPORT_FINISHED"]["body"]


def second_replica(stack: Stack) -> DeliveryScheduler:
    db = stack.db
    return DeliveryScheduler(
        owner="replica-b",
        deliveries=DeliveryRepository(db),
        webhooks=WebhookRepository(db),
        uow=stack.app.state.runtime.uow,
        senders={Channel.EMAIL: SmtpSender(stack.notification_settings)},
        policy=RetryPolicy(0.4, 5.0),
        lease=timedelta(seconds=10),
        poll_seconds=0.05,
        batch=5,
        disable_webhook_after=6,
        clock=lambda: datetime.now(UTC),
        addresses=AddressBook(PreferenceStore(db)),
        digests=DigestStore(db),
    )


@pytest.mark.asyncio(loop_scope="session")
async def test_digest_users_get_one_combined_mail_once_with_two_replicas(stack: Stack) -> None:
    user = uid("dig")
    email = f"{user}@example.cn"
    zone = ZoneInfo("Asia/Shanghai")
    slot_local = (
        (datetime.now(UTC) + timedelta(hours=3)).astimezone(zone).replace(second=0, microsecond=0)
    )
    prefs = await stack.set_preferences(
        user, email=email, digest=True, digestAt=slot_local.strftime("%H:%M")
    )
    assert prefs["digest"] is True
    mine = await stack.ok("{ notificationPreferences { digestAt } }", sub=user, roles=("SALES",))
    assert mine["notificationPreferences"]["digestAt"] == slot_local.strftime("%H:%M")
    sent = [await stack.publish(task_due(user, uid("c"))) for _ in range(3)]
    for e in sent:
        await stack.applied(e)
    await inbox(stack, user, 3)  # the inbox fills at once

    mails = [d for d in await stack.deliveries(channels=["EMAIL"]) if d["target"] == user]
    [digest] = mails  # one delivery for the day, not one per notice
    assert digest["status"] == "PENDING" and digest["deferredReason"] == "daily digest"
    assert digest["address"] == f"{user[0]}***@example.cn"
    due = datetime.fromisoformat(digest["nextAttemptAt"])
    assert due == slot_local.astimezone(UTC) + timedelta(minutes=1)
    assert await stack.db["digest_items"].count_documents({"digest_id": digest["id"]}) == 3
    await asyncio.sleep(0.5)
    assert stack.sink.to(email) == []  # held until the digest time

    other = second_replica(stack)
    stop = asyncio.Event()
    running = asyncio.create_task(other.run(stop))
    try:
        await stack.db["deliveries"].update_one(  # the digest time comes (moved to now)
            {"_id": digest["id"]}, {"$set": {"next_attempt_at": datetime.now(UTC)}}
        )
        [mail] = await stack.sink.wait_for(1, address=email)
        await asyncio.sleep(1.0)  # a second mail would arrive now
    finally:
        stop.set()
        await running
    assert len(stack.sink.to(email)) == 1
    assert mail.subject == "每日通知摘要（3 条）"
    text = mail.text()
    assert text.count(f"任务到期提醒：{TASK_TITLE}") == 3  # each notice, named by its task

    async def recorded() -> dict[str, Any] | None:
        found = [d for d in await stack.deliveries(channels=["EMAIL"]) if d["id"] == digest["id"]]
        return found[0] if found and found[0]["status"] == "SENT" else None

    done = await eventually(recorded)
    assert done["attempts"] == 1
    stored = await stack.db["deliveries"].find_one({"_id": digest["id"]})
    assert email not in str(stored)
