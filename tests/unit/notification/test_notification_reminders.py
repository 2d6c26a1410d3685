"""Pure logic of task reminders and enumerated values in notices: a reminder names the task
by its title with its urgency in the reader's words, and no delivery is planned on a channel
the recipient cannot receive."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from crm_notification.channels.model import Channel
from crm_notification.deliveries.model import DeliveryStatus
from crm_notification.inbox.model import Language, NotificationType
from crm_notification.preferences.model import Preferences
from crm_notification.rules.defaults import DEFAULT_RULES
from crm_notification.rules.labels import labelled
from crm_notification.rules.planner import IncomingEvent, Plan, plan_event

NOW = datetime(2026, 3, 2, 2, 30, tzinfo=UTC)
TITLE = "回访：确认报价"


def task_due(title: str | None = TITLE) -> IncomingEvent:
    data: dict[str, Any] = {
        "task": {
            "id": "e1eaf58d7c0a4b5e",
            "customerId": "c-1",
            "assigneeId": "bob",
            "urgency": "HIGH",
            "dueAt": "2026-03-02T09:00:00Z",
        },
        "assigneeId": "bob",
        "reminderOffsetMinutes": 60,
        "remindAt": "2026-03-02T08:00:00Z",
    }
    if title is not None:
        data["title"] = title
    return IncomingEvent("evt-1", "task.due.v1", "c-1", data, {})


def plan(event: IncomingEvent, prefs: Preferences) -> Plan:
    return plan_event(
        event,
        rules=DEFAULT_RULES,
        managers={},
        preferences={prefs.user_id: prefs},
        templates={},
        webhooks=[],
        now=NOW,
    )


def test_a_reminder_names_the_task_and_its_urgency_in_the_readers_language() -> None:
    [zh] = plan(task_due(), Preferences("bob")).notifications
    assert zh.title == f"任务到期提醒：{TITLE}"
    assert zh.body == (
        f"您负责的任务「{TITLE}」（紧急程度：高）将于 2026-03-02 17:00 到期，请及时处理。"
    )
    [en] = plan(task_due(), Preferences("bob", language=Language.EN)).notifications
    assert en.title == f"Task due: {TITLE}"
    assert "(urgency: High)" in en.body and "HIGH" not in en.body
    # an event from before titles were published still names the task (by its id)
    [old] = plan(task_due(title=None), Preferences("bob")).notifications
    assert old.title == "任务到期提醒：e1eaf58d7c0a4b5e"


def test_enumerated_values_read_as_words() -> None:
    values = {"priority": "URGENT", "status": "WAITING_CUSTOMER", "ticketType": "FAULT", "n": 3}
    assert labelled(values, Language.ZH_CN) == {
        "priority": "紧急",
        "status": "等待客户",
        "ticketType": "故障",
        "n": 3,
    }
    assert labelled({"urgency": "LOW", "target": "FIRST_RESPONSE"}, Language.EN) == {
        "urgency": "Low",
        "target": "first response",
    }
    assert labelled({"priority": "P7"}, Language.EN) == {"priority": "P7"}  # unknown: as is


def test_no_delivery_is_planned_on_a_channel_the_user_cannot_receive() -> None:
    # TASK_DUE goes in-app and by e-mail; bob has no e-mail address
    result = plan(task_due(), Preferences("bob"))
    assert [n.channel for n in result.notifications] == [Channel.IN_APP]
    assert result.deliveries == []
    with_address = plan(task_due(), Preferences("bob", email="bob@example.cn"))
    [mail] = with_address.deliveries
    assert (mail.channel, mail.status) == (Channel.EMAIL, DeliveryStatus.PENDING)


def test_a_user_who_chose_only_unreachable_channels_still_gets_the_notice_in_app() -> None:
    sms_only = {NotificationType.TASK_DUE: (Channel.SMS,)}
    result = plan(task_due(), Preferences("bob", channels=sms_only))  # no phone number
    assert result.deliveries == [] and [n.channel for n in result.notifications] == [Channel.IN_APP]
    muted = plan(task_due(), Preferences("bob", channels={NotificationType.TASK_DUE: ()}))
    assert muted.deliveries == [] and muted.notifications == []
