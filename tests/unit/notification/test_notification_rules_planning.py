"""Pure logic: rules as data, preferences (quiet hours, digest), planning, retries, signing,
the SSRF guard and the live fan-out."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import pytest

from crm_kit.errors import BadUserInput
from crm_notification.channels.model import Channel
from crm_notification.deliveries.model import (
    DeliveryStatus,
)
from crm_notification.inbox.model import Language, NotificationType
from crm_notification.preferences.model import (
    Preferences,
    QuietHours,
    next_digest_at,
    quiet_until,
    validate,
)
from crm_notification.rules.defaults import DEFAULT_RULES
from crm_notification.rules.model import (
    RecipientKind,
    RecipientSpec,
    Rule,
    lookup,
    merge_rules,
    recipients,
)
from crm_notification.rules.planner import IncomingEvent, Limits, plan_event
from crm_notification.rules.templates import Template
from crm_notification.webhooks.model import WebhookSubscription

NOW = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)  # 22:30 in Asia/Shanghai
RULES = {r.id: r for r in DEFAULT_RULES}


def incoming(type: str, data: dict[str, Any], subject: str = "c-1") -> IncomingEvent:
    return IncomingEvent("evt-1", type, subject, data, {"id": "evt-1", "type": type})


def plan(
    event: IncomingEvent,
    prefs: dict[str, Preferences] | None = None,
    managers: dict[str, list[str]] | None = None,
    templates: dict[tuple[NotificationType, Language], Template] | None = None,
    webhooks: list[WebhookSubscription] | None = None,
) -> Any:
    return plan_event(
        event,
        rules=DEFAULT_RULES,
        managers=managers or {},
        preferences=prefs or {},
        templates=templates or {},
        webhooks=webhooks or [],
        now=NOW,
        limits=Limits(email_max_attempts=4),
    )


# -- rules ----------------------------------------------------------------------------------


def test_lookup_follows_paths_and_alternatives() -> None:
    data = {"ticket": {"subject": "主题", "assignee": {"id": "u1"}}, "title": ""}
    assert lookup(data, "ticket.title|ticket.subject") == "主题"
    assert lookup(data, "ticket.assignee.id") == "u1"
    assert lookup(data, "title|missing.path") is None
    assert lookup(data, "ticket.subject.deeper") is None


def test_recipients_leave_out_the_actor_and_duplicates() -> None:
    rule = Rule(
        id="r",
        event_type="x.v1",
        notification_type=NotificationType.TICKET_ASSIGNED,
        recipients=(
            RecipientSpec(RecipientKind.FIELD, "assigneeIds"),
            RecipientSpec(RecipientKind.USER, "boss"),
        ),
    )
    data = {"assigneeIds": ["a", "b", "a"], "actorId": "b"}
    assert recipients(rule, data, ["boss", "m1"]) == ["a", "boss", "m1"]


def test_stored_rules_replace_defaults_with_the_same_id() -> None:
    changed = Rule(
        id="task-due",
        event_type="task.due.v1",
        notification_type=NotificationType.TASK_DUE,
        recipients=(RecipientSpec(RecipientKind.USER, "u"),),
        enabled=False,
    )
    merged = {r.id: r for r in merge_rules(DEFAULT_RULES, [changed])}
    assert merged["task-due"].enabled is False
    assert len(merged) == len(DEFAULT_RULES)


# -- planning -------------------------------------------------------------------------------


def test_ticket_assignment_plans_an_in_app_notification() -> None:
    event = incoming(
        "ticket.assigned.v1",
        {
            "ticket": {"id": "t1", "priority": "P2", "type": "REFUND", "customerId": "c-9"},
            "assigneeId": "svc1",
        },
    )
    result = plan(event)
    [n] = result.notifications
    assert (n.recipient_id, n.type, n.customer_id) == (
        "svc1",
        NotificationType.TICKET_ASSIGNED,
        "c-9",
    )
    assert n.title == "工单分配给您（优先级 P2）"
    assert n.body == "工单 t1（REFUND，优先级 P2）已分配给您，请及时处理。"
    assert result.deliveries == []


def test_missing_recipient_and_missing_field_are_dead_deliveries_not_errors() -> None:
    no_one = plan(incoming("ticket.assigned.v1", {"ticket": {"id": "t1"}, "assigneeId": None}))
    [dead] = no_one.deliveries
    assert dead.status is DeliveryStatus.DEAD
    assert dead.last_error == "rule ticket-assigned: no recipient in the event data"
    no_title = plan(incoming("ticket.assigned.v1", {"ticket": {"id": "t1"}, "assigneeId": "svc1"}))
    [dead] = no_title.deliveries
    assert dead.target == "svc1" and "ticket.priority" in (dead.last_error or "")
    assert no_title.notifications == []


def test_a_template_needing_an_absent_variable_is_a_dead_delivery() -> None:
    custom = {(NotificationType.TICKET_ASSIGNED, Language.ZH_CN): Template("{ticketId}", "{sla}")}
    result = plan(
        incoming(
            "ticket.assigned.v1",
            {"ticket": {"id": "t", "priority": "P1", "type": "Q"}, "assigneeId": "u"},
        ),
        templates=custom,
    )
    [dead] = result.deliveries
    assert "missing template variable 'sla'" in (dead.last_error or "")


def test_sla_breach_goes_to_the_assignee_and_team_managers_by_email_too() -> None:
    prefs = {
        "svc1": Preferences("svc1", email="svc1@example.cn"),
        "m1": Preferences("m1", language=Language.EN),  # no email address
    }
    event = incoming(
        "ticket.sla_breached.v1",
        {
            "ticket": {"id": "t9", "priority": "P1", "assigneeId": "svc1", "team": "east"},
            "target": "RESOLUTION",
            "dueAt": "2026-03-02T10:00:00Z",
            "assigneeId": "svc1",
            "team": "east",
        },
    )
    result = plan(event, prefs=prefs, managers={"ticket-sla-breached": ["m1"]})
    assert {(n.recipient_id, n.title) for n in result.notifications} == {
        ("svc1", "工单已超出 SLA（优先级 P1）"),
        ("m1", "Ticket SLA breached (P1)"),
    }
    by_target = {d.target: d for d in result.deliveries}
    assert by_target["svc1"].status is DeliveryStatus.PENDING
    assert by_target["svc1"].address == "s***@example.cn"  # the log keeps it masked
    assert by_target["svc1"].max_attempts == 4
    # m1 has no e-mail address: no mail is planned for them (never a DEAD delivery)
    assert set(by_target) == {"svc1"}


def test_quiet_hours_defer_email_to_the_end_of_the_window() -> None:
    prefs = {"u": Preferences("u", email="u@x.cn", quiet_hours=QuietHours(time(22), time(8)))}
    event = incoming(
        "task.due.v1", {"task": {"id": "t", "assigneeId": "u", "urgency": "LOW", "dueAt": "d"}}
    )
    result = plan(event, prefs=prefs)
    [email] = result.deliveries
    assert email.deferred_reason == "quiet hours"
    assert email.next_attempt_at == datetime(2026, 3, 3, 0, 0, tzinfo=UTC)  # 08:00 Shanghai
    assert len(result.notifications) == 1  # the inbox is not held back


def test_webhook_subscriptions_get_the_whole_event() -> None:
    hook = WebhookSubscription(
        "wh1", "https://erp.example.com/h", ("task.due.v1",), "s", True, NOW, "alice"
    )
    event = incoming(
        "task.due.v1", {"task": {"id": "t", "assigneeId": "u", "urgency": "LOW", "dueAt": "d"}}
    )
    result = plan(event, webhooks=[hook])
    [delivery] = [d for d in result.deliveries if d.channel is Channel.WEBHOOK]
    assert delivery.payload == {"id": "evt-1", "type": "task.due.v1"}
    assert delivery.target == "wh1" and delivery.status is DeliveryStatus.PENDING


# -- preferences ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        (datetime(2026, 3, 2, 14, 30, tzinfo=UTC), datetime(2026, 3, 3, 0, 0, tzinfo=UTC)),
        (datetime(2026, 3, 2, 23, 0, tzinfo=UTC), datetime(2026, 3, 3, 0, 0, tzinfo=UTC)),
        (datetime(2026, 3, 2, 1, 0, tzinfo=UTC), None),  # 09:00 local
    ],
)
def test_quiet_hours_spanning_midnight(utc: datetime, expected: datetime | None) -> None:
    prefs = Preferences("u", quiet_hours=QuietHours(time(22), time(8)))
    assert quiet_until(prefs, utc) == expected


def test_quiet_hours_use_the_users_time_zone() -> None:
    prefs = Preferences("u", time_zone="Europe/Berlin", quiet_hours=QuietHours(time(12), time(14)))
    assert quiet_until(prefs, datetime(2026, 3, 2, 11, 30, tzinfo=UTC)) == datetime(
        2026, 3, 2, 13, 0, tzinfo=UTC
    )
    assert quiet_until(prefs, datetime(2026, 3, 2, 14, 30, tzinfo=UTC)) is None


def test_digest_is_next_nine_oclock_local() -> None:
    prefs = Preferences("u", digest=True)
    assert next_digest_at(prefs, NOW) == datetime(2026, 3, 3, 1, 0, tzinfo=UTC)


def test_invalid_preferences_are_bad_user_input() -> None:
    with pytest.raises(BadUserInput) as raised:
        validate(Preferences("u", time_zone="Mars/Base", email="nope"))
    assert {e.field for e in raised.value.field_errors} == {"timeZone", "email"}


# -- deliveries and retries -----------------------------------------------------------------


def test_times_in_templates_are_shown_in_the_readers_time_zone() -> None:
    from zoneinfo import ZoneInfo

    from crm_notification.preferences.model import localized

    shown = localized(
        {"dueAt": "2026-03-01T09:00:00Z", "taskId": "t-2026", "n": 3, "bad": "2026-13-99T00:00"},
        ZoneInfo("Asia/Shanghai"),
    )
    assert shown == {
        "dueAt": "2026-03-01 17:00",
        "taskId": "t-2026",
        "n": 3,
        "bad": "2026-13-99T00:00",
    }
    event = incoming(
        "task.due.v1",
        {
            "task": {
                "id": "t1",
                "assigneeId": "u",
                "urgency": "HIGH",
                "dueAt": "2026-03-01T09:00:00Z",
            }
        },
    )
    berlin = {"u": Preferences("u", language=Language.EN, time_zone="Europe/Berlin")}
    [n] = plan(event, prefs=berlin).notifications
    assert n.body == "Your task “t1” (urgency: High) is due at 2026-03-01 10:00."
