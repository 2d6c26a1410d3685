"""Pure logic of the daily digest (one delivery per user and day, items composed into one
mail), the new triggers' rules, and masking of contact data."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from crm_notification.deliveries.model import DeliveryStatus
from crm_notification.deliveries.privacy import mask_email, mask_phone, scrub
from crm_notification.digest.model import (
    DIGEST_GRACE,
    DIGEST_TYPE,
    MAX_ITEMS_SHOWN,
    DigestItem,
    compose,
)
from crm_notification.inbox.model import Language, NotificationType
from crm_notification.preferences.model import Preferences, next_digest_at
from crm_notification.rules.defaults import DEFAULT_RULES
from crm_notification.rules.planner import IncomingEvent, plan_event

NOW = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)  # 22:30 in Asia/Shanghai
TASK = {"id": "t1", "customerId": "c-1", "assigneeId": "u1", "dueAt": "2026-03-02T10:00:00Z"}


def plan(type_: str, data: dict[str, Any], prefs: dict[str, Preferences], n: int = 1) -> Any:
    event = IncomingEvent(f"evt-{n}", type_, "c-1", data, {"id": f"evt-{n}"})
    return plan_event(
        event,
        rules=DEFAULT_RULES,
        managers={},
        preferences=prefs,
        templates={},
        webhooks=[],
        now=NOW + timedelta(minutes=n),
    )


def test_digest_notices_share_one_delivery_per_user_and_day() -> None:
    prefs = {"u1": Preferences("u1", digest=True, digest_at=time(8, 30), email="u1@corp.cn")}
    data = {"task": {**TASK, "urgency": "HIGH"}, "assigneeId": "u1"}
    first = plan("task.due.v1", data, prefs, n=1)
    second = plan("task.overdue.v1", {**data, "overdueSince": TASK["dueAt"]}, prefs, n=2)
    assert len(first.notifications) == 1  # the inbox is not held back
    [d1], [d2] = first.deliveries, second.deliveries
    assert d1.id == d2.id and d1.notification_type == DIGEST_TYPE
    slot = datetime(2026, 3, 3, 0, 30, tzinfo=UTC)  # 08:30 next morning in Shanghai
    assert d1.next_attempt_at == slot + DIGEST_GRACE and d1.status is DeliveryStatus.PENDING
    assert d1.address == "u***@corp.cn"
    [i1], [i2] = first.digest_items, second.digest_items
    assert i1.digest_id == i2.digest_id == d1.id and i1.id != i2.id
    assert i2.notification_type == "TASK_OVERDUE"


def test_digest_slot_is_the_users_local_time_and_the_slot_itself_counts() -> None:
    prefs = Preferences("u", digest=True, digest_at=time(22, 30))
    assert next_digest_at(prefs, NOW) == NOW  # planned at the slot: that day's digest
    assert next_digest_at(prefs, NOW + timedelta(seconds=1)) == NOW + timedelta(days=1)
    assert next_digest_at(Preferences("u", time_zone="UTC"), NOW) == datetime(
        2026, 3, 3, 9, 0, tzinfo=UTC
    )


def test_compose_lists_notices_oldest_first_and_caps_the_list() -> None:
    def item(n: int) -> DigestItem:
        at = NOW + timedelta(minutes=n)
        return DigestItem(f"d:{n}", "d", "u", "TASK_DUE", None, f"e{n}", f"T{n}", f"B{n}", at)

    title, body = compose([item(2), item(1)], Language.EN)
    assert title == "Your daily digest (2 notices)"
    assert body == "• T1\n  B1\n• T2\n  B2"
    title, body = compose([item(n) for n in range(MAX_ITEMS_SHOWN + 3)], Language.ZH_CN)
    assert title == f"每日通知摘要（{MAX_ITEMS_SHOWN + 3} 条）"
    assert body.endswith("……另有 3 条通知，请在系统中查看。")


def test_mentions_skip_the_author_and_job_notices_are_not_about_a_customer() -> None:
    prefs: dict[str, Preferences] = {}
    comment = {
        "ticket": {"id": "k1", "customerId": "c-1"},
        "mentionedStaffIds": ["u1", "u2"],
        "actorId": "u2",
    }
    result = plan("ticket.comment_added.v1", comment, prefs)
    assert [(n.recipient_id, n.type) for n in result.notifications] == [
        ("u1", NotificationType.TICKET_MENTION)
    ]
    none = plan("ticket.comment_added.v1", {**comment, "mentionedStaffIds": []}, prefs)
    assert none.notifications == [] and none.deliveries == []  # not a failure
    job = {"jobId": "j1", "actorId": "u1", "status": "FAILED", "counts": {"created": 0}}
    broken = plan("customer.import_finished.v1", job, prefs)
    [dead] = broken.deliveries  # a missing count is a recorded failure, never an exception
    assert dead.status is DeliveryStatus.DEAD and "counts.updated" in (dead.last_error or "")
    full = {**job, "counts": {"created": 0, "updated": 2, "skipped": 0, "failed": 1}}
    [notice] = plan("customer.import_finished.v1", full, prefs).notifications
    assert notice.customer_id is None and "更新 2" in notice.body


def test_masking_of_contact_data() -> None:
    assert mask_email("wang.wei@example.cn") == "w***@example.cn"
    assert mask_phone("+86 138-0013-8000") == "+86*******8000"
    assert mask_phone("13800138000") == "*******8000"
    text = "550 5.1.1 <wang.wei@example.cn>: mailbox unavailable; sms 13800138000 failed"
    assert scrub(text) == "550 5.1.1 <w***@example.cn>: mailbox unavailable; sms *******8000 failed"
