"""Pure domain logic of the notification service: templates, the assignment rule, ids."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crm_notification.channels.model import Channel
from crm_notification.events import notification_delivered
from crm_notification.inbox.model import Language, NotificationType, notification_id
from crm_notification.rules.assignment import CustomerAssigned, notifications_for_assignment
from crm_notification.rules.templates import Template, TemplateError, fill, render
from crm_notification.shared.clock import to_millis

NOW = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)


def assigned(owner: str | None = "u-owner", actor: str | None = "u-manager") -> CustomerAssigned:
    return CustomerAssigned.from_event(
        "evt-1",
        "c-1",
        {
            "customer": {"id": "c-1", "displayName": "上海星辰贸易有限公司"},
            "ownerId": owner,
            "previousOwnerId": "u-old",
            "team": "east",
            "actorId": actor,
        },
    )


def test_render_defaults_to_simplified_chinese() -> None:
    rendered = render(NotificationType.CUSTOMER_ASSIGNED, {"displayName": "张三"})
    assert rendered.language is Language.ZH_CN
    assert rendered.title == "新客户分配给您：张三"
    assert "张三" in rendered.body


def test_render_in_english() -> None:
    rendered = render(NotificationType.CUSTOMER_ASSIGNED, {"displayName": "Acme"}, Language.EN)
    assert rendered.title == "Customer assigned to you: Acme"
    assert rendered.body == "Acme is now assigned to you. Please follow up."


def test_render_falls_back_to_default_language_when_a_translation_is_missing() -> None:
    templates = {(NotificationType.CUSTOMER_ASSIGNED, Language.ZH_CN): Template("标题{x}", "正文")}
    rendered = render(NotificationType.CUSTOMER_ASSIGNED, {"x": 1}, Language.EN, templates)
    assert (rendered.title, rendered.language) == ("标题1", Language.ZH_CN)


def test_render_without_any_template_is_an_error() -> None:
    with pytest.raises(TemplateError):
        render(NotificationType.CUSTOMER_ASSIGNED, {}, Language.EN, templates={})


def test_fill_substitutes_names_and_keeps_escaped_braces() -> None:
    assert fill("{{literal}} {a}-{b}", {"a": "x", "b": None}) == "{literal} x-"


@pytest.mark.parametrize(
    "template",
    ["{name.__class__}", "{name[0]}", "{name!r}", "{name:>10}", "{0}", "{}", "{unclosed"],
)
def test_fill_rejects_anything_but_plain_names(template: str) -> None:
    with pytest.raises(TemplateError):
        fill(template, {"name": "x", "0": "y"})


def test_fill_reports_the_missing_variable() -> None:
    with pytest.raises(TemplateError, match="displayName"):
        fill("hi {displayName}", {})


def test_assignment_notifies_the_new_owner_in_app() -> None:
    [n] = notifications_for_assignment(assigned(), NOW)
    assert n.type is NotificationType.CUSTOMER_ASSIGNED
    assert n.channel is Channel.IN_APP
    assert n.recipient_id == "u-owner"
    assert n.customer_id == "c-1"
    assert n.title == "新客户分配给您：上海星辰贸易有限公司"
    assert n.read is False and n.read_at is None
    assert n.source_event_id == "evt-1"
    assert n.created_at == datetime(2026, 3, 1, 8, 30, 15, 123000, tzinfo=UTC)


def test_assignment_in_english_when_asked() -> None:
    [n] = notifications_for_assignment(assigned(), NOW, Language.EN)
    assert n.title == "Customer assigned to you: 上海星辰贸易有限公司"
    assert n.language is Language.EN


def test_nobody_is_told_of_their_own_assignment() -> None:
    assert notifications_for_assignment(assigned(owner="u-1", actor="u-1"), NOW) == []


def test_unassignment_notifies_nobody() -> None:
    assert notifications_for_assignment(assigned(owner=None), NOW) == []


def test_system_assignment_without_actor_still_notifies() -> None:
    assert len(notifications_for_assignment(assigned(actor=None), NOW)) == 1


def test_notification_id_is_derived_from_event_recipient_and_channel() -> None:
    base = notification_id("evt-1", "u-1", Channel.IN_APP)
    assert base == notification_id("evt-1", "u-1", Channel.IN_APP)
    assert base.startswith("ntf_")
    others = {
        notification_id("evt-2", "u-1", Channel.IN_APP),
        notification_id("evt-1", "u-2", Channel.IN_APP),
        notification_id("evt-1", "u-1", Channel.EMAIL),
    }
    assert base not in others and len(others) == 3


def test_same_event_yields_the_same_notification_id() -> None:
    first = notifications_for_assignment(assigned(), NOW)[0]
    again = notifications_for_assignment(assigned(), datetime(2027, 1, 1, tzinfo=UTC))[0]
    assert first.id == again.id


def test_event_parsing_falls_back_to_ids_when_fields_are_missing() -> None:
    event = CustomerAssigned.from_event("e", "", {"customer": {"id": "c-9"}, "ownerId": "u"})
    assert (event.customer_id, event.display_name, event.actor_id) == ("c-9", "c-9", None)


def test_event_without_any_customer_id_is_rejected() -> None:
    with pytest.raises(ValueError, match="customer id"):
        CustomerAssigned.from_event("e", "", {"ownerId": "u"})


def test_mark_read_records_the_first_read_time_only() -> None:
    [n] = notifications_for_assignment(assigned(), NOW)
    read = n.mark_read(datetime(2026, 3, 2, 1, 2, 3, 456789, tzinfo=UTC))
    assert read.read is True
    assert read.read_at == datetime(2026, 3, 2, 1, 2, 3, 456000, tzinfo=UTC)
    assert read.mark_read(datetime(2026, 4, 1, tzinfo=UTC)).read_at == read.read_at
    assert n.read is False  # immutable


def test_to_millis_converts_to_utc() -> None:
    from datetime import timedelta, timezone

    shanghai = timezone(timedelta(hours=8))
    assert to_millis(datetime(2026, 1, 1, 8, 0, 0, 999999, tzinfo=shanghai)) == datetime(
        2026, 1, 1, 0, 0, 0, 999000, tzinfo=UTC
    )


def test_delivered_payload_matches_the_event_contract() -> None:
    [n] = notifications_for_assignment(assigned(), NOW)
    assert notification_delivered.TYPE == "notification.delivered.v1"
    assert notification_delivered.payload(n) == {
        "notification": {
            "id": n.id,
            "recipientId": "u-owner",
            "type": "CUSTOMER_ASSIGNED",
            "channel": "IN_APP",
            "customerId": "c-1",
        }
    }
