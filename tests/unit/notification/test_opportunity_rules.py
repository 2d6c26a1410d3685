"""The built-in opportunity rules, planned from events exactly as the sales service builds
them (its payload functions): "opportunity assigned to you", "your opportunity stalled in
stage", "won / lost in your team" — recipients, the actor left out, texts in the reader's
language, the link to the opportunity and preferences."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crm_notification.channels.model import Channel
from crm_notification.inbox.model import Language, NotificationType
from crm_notification.preferences.model import Preferences
from crm_notification.rules.defaults import DEFAULT_RULES, TRIGGER_EVENT_TYPES
from crm_notification.rules.links import link_for
from crm_notification.rules.planner import IncomingEvent, Plan, plan_event
from crm_notification.rules.templates import TEMPLATES
from crm_sales.events import (
    opportunity_assigned,
    opportunity_created,
    opportunity_lost,
    opportunity_stalled,
    opportunity_won,
    snapshots,
)
from crm_sales.opportunities.values import Closing, Opportunity, Status
from crm_sales.stalls.model import Stay, Watched, stall_of
from tests.unit.sales.samples import opportunity, pipeline

NOW = datetime(2026, 3, 20, 2, 0, tzinfo=UTC)
T = NotificationType
OPPORTUNITY_TYPES = (
    T.OPPORTUNITY_ASSIGNED,
    T.OPPORTUNITY_STALLED,
    T.OPPORTUNITY_WON,
    T.OPPORTUNITY_LOST,
)
RULE_IDS = {r.notification_type: r.id for r in DEFAULT_RULES}


def deal(owner: str = "li.lei", team: str | None = "east") -> Opportunity:
    """The sample deal (opp-1 of cust-1, in lead since 2026-03-02 09:00 UTC)."""
    return replace(opportunity(), owner_id=owner, team=team)


def event(type: str, data: dict[str, Any]) -> IncomingEvent:
    return IncomingEvent("evt-1", type, str(data["opportunity"]["customerId"]), data, {})


def created(o: Opportunity, actor: str) -> IncomingEvent:
    snapshot = snapshots.opportunity(o, 10, None)
    return event(opportunity_created.TYPE, opportunity_created.payload(snapshot, actor))


def stalled(o: Opportunity) -> IncomingEvent:
    watch = Watched(pipeline(), pipeline().stage(o.stage_id))
    stall = stall_of(Stay(o.id, o.stage_id, o.stage_entered_at), watch, NOW)
    snapshot = snapshots.opportunity(o, 10, None)
    return event(opportunity_stalled.TYPE, opportunity_stalled.payload(snapshot, stall))


def closed(o: Opportunity, actor: str, *, won: bool, reason: str = "PRICE") -> IncomingEvent:
    closing = Closing(reason, "客户签约", NOW, actor)
    status, module = (Status.WON, opportunity_won) if won else (Status.LOST, opportunity_lost)
    o = replace(o, status=status, stage_id=status.value.lower(), closing=closing)
    snapshot = snapshots.opportunity(o, 100 if won else 0, None)
    return event(module.TYPE, module.payload(snapshot, closing, None))


def plan(
    incoming: IncomingEvent,
    prefs: dict[str, Preferences] | None = None,
    managers: list[str] | None = None,
) -> Plan:
    rule = RULE_IDS[T.OPPORTUNITY_WON if "won" in incoming.type else T.OPPORTUNITY_LOST]
    return plan_event(
        incoming,
        rules=DEFAULT_RULES,
        managers={rule: managers or []},
        preferences=prefs or {},
        templates={},
        webhooks=[],
        now=NOW,
    )


def test_an_opportunity_opened_for_someone_else_tells_its_owner() -> None:
    result = plan(created(deal(owner="li.lei"), actor="wang.fang"))
    [notice] = result.notifications
    assert (notice.type, notice.channel, notice.recipient_id) == (
        T.OPPORTUNITY_ASSIGNED,
        Channel.IN_APP,
        "li.lei",
    )
    assert notice.title == "商机分配给您：华东区 CRM 升级"
    assert notice.body == "wang.fang 将商机「华东区 CRM 升级」交由您负责，请及时跟进。"
    assert notice.customer_id == "cust-1"
    assert notice.link == "/opportunities/opp-1"
    assert result.deliveries == []


def assigned(o: Opportunity, previous: str, actor: str) -> IncomingEvent:
    snapshot = snapshots.opportunity(o, 10, None)
    payload = opportunity_assigned.payload(snapshot, previous, o.team, actor)
    return event(opportunity_assigned.TYPE, payload)


def test_a_reassignment_tells_the_new_owner_not_the_previous_one() -> None:
    result = plan(assigned(deal(owner="han.mei"), previous="li.lei", actor="wang.fang"))
    [notice] = result.notifications
    assert (notice.type, notice.recipient_id) == (T.OPPORTUNITY_ASSIGNED, "han.mei")
    assert notice.body == "wang.fang 将商机「华东区 CRM 升级」交由您负责，请及时跟进。"
    assert notice.link == "/opportunities/opp-1" and notice.customer_id == "cust-1"


def test_a_deal_assigned_to_oneself_tells_nobody() -> None:
    result = plan(assigned(deal(owner="wang.fang"), previous="li.lei", actor="wang.fang"))
    assert result.notifications == [] and result.deliveries == []


def test_an_opportunity_opened_for_oneself_tells_nobody() -> None:
    result = plan(created(deal(owner="li.lei"), actor="li.lei"))
    assert result.notifications == [] and result.deliveries == []


def test_a_stall_tells_the_owner_in_app_and_by_email_in_their_language() -> None:
    prefs = {"li.lei": Preferences("li.lei", language=Language.EN, email="li@example.cn")}
    result = plan(stalled(deal()), prefs)
    [notice] = result.notifications
    assert notice.type is T.OPPORTUNITY_STALLED and notice.recipient_id == "li.lei"
    assert notice.title == "Opportunity stalled: 华东区 CRM 升级"
    assert notice.body == (
        "Your opportunity “华东区 CRM 升级” has been in the stage “Lead” since 2026-03-02 17:00, "
        "more than 14 days. Move it on or update it."
    )  # the stage's English name; the time in the reader's zone (Asia/Shanghai)
    assert notice.link == "/opportunities/opp-1"
    [mail] = result.deliveries
    assert (mail.channel, mail.target, mail.title) == (Channel.EMAIL, "li.lei", notice.title)


def test_a_stall_reads_in_chinese_by_default() -> None:
    [notice] = plan(stalled(deal())).notifications
    assert notice.body == (
        "您负责的商机「华东区 CRM 升级」自 2026-03-02 17:00 起停留在「线索」阶段，"
        "已超过 14 天，请推进或更新。"
    )


@pytest.mark.parametrize(
    ("won", "type", "title"),
    [
        (True, T.OPPORTUNITY_WON, "团队赢单：华东区 CRM 升级"),
        (False, T.OPPORTUNITY_LOST, "团队输单：华东区 CRM 升级"),
    ],
)
def test_a_closing_tells_the_teams_managers_but_not_the_one_who_closed_it(
    won: bool, type: NotificationType, title: str
) -> None:
    result = plan(closed(deal(), "wang.fang", won=won), managers=["wang.fang", "zhou.jie"])
    [notice] = result.notifications
    assert (notice.type, notice.recipient_id, notice.title) == (type, "zhou.jie", title)
    verb = "赢单" if won else "输单"
    assert (
        notice.body
        == f"li.lei 负责的商机「华东区 CRM 升级」已{verb}（原因：价格），由 wang.fang 关闭。"
    )
    assert notice.link == "/opportunities/opp-1"
    assert result.deliveries == []  # the closing manager left out is not a failure


def test_a_closing_in_english_names_the_reason_in_words() -> None:
    prefs = {"zhou.jie": Preferences("zhou.jie", language=Language.EN)}
    incoming = closed(deal(), "li.lei", won=False, reason="COMPETITOR")
    [notice] = plan(incoming, prefs, managers=["zhou.jie"]).notifications
    assert notice.title == "Lost in your team: 华东区 CRM 升级"
    assert notice.body == (
        "The opportunity “华东区 CRM 升级” owned by li.lei was lost (reason: went with a "
        "competitor); closed by li.lei."
    )


def test_an_admins_own_reason_code_is_shown_as_it_is() -> None:
    incoming = closed(deal(), "li.lei", won=True, reason="FRAMEWORK_DEAL")
    [notice] = plan(incoming, managers=["zhou.jie"]).notifications
    assert "（原因：FRAMEWORK_DEAL）" in notice.body


def test_a_deal_without_a_team_or_a_team_without_managers_tells_nobody_silently() -> None:
    for incoming in (closed(deal(team=None), "li.lei", won=True), closed(deal(), "x", won=True)):
        result = plan(incoming, managers=[])
        assert result.notifications == [] and result.deliveries == []


def test_a_user_who_muted_a_type_gets_none_of_it() -> None:
    muted = {"li.lei": Preferences("li.lei", channels={T.OPPORTUNITY_STALLED: ()})}
    result = plan(stalled(deal()), muted)
    assert result.notifications == [] and result.deliveries == []
    email_only = {
        "li.lei": Preferences(
            "li.lei", email="li@example.cn", channels={T.OPPORTUNITY_STALLED: (Channel.EMAIL,)}
        )
    }
    result = plan(stalled(deal()), email_only)
    assert result.notifications == [] and [d.channel for d in result.deliveries] == [Channel.EMAIL]


def test_every_opportunity_type_has_both_templates_a_rule_and_a_link() -> None:
    for type in OPPORTUNITY_TYPES:
        assert (type, Language.ZH_CN) in TEMPLATES and (type, Language.EN) in TEMPLATES
        assert type in RULE_IDS
        assert link_for(type, {"opportunityId": "a/b"}) == "/opportunities/a%2Fb"
    assert link_for(T.OPPORTUNITY_WON, {}) is None  # an ADMIN rule without the id: no link
    assert link_for(T.TASK_DUE, {"opportunityId": "x"}) is None


def test_the_queue_is_bound_to_the_opportunity_events_the_rules_need() -> None:
    wanted = {"opportunity.created.v1", "opportunity.stalled.v1", "opportunity.won.v1"}
    wanted |= {"opportunity.assigned.v1"}
    assert wanted | {"opportunity.lost.v1"} <= set(TRIGGER_EVENT_TYPES)
    # `opportunity.updated.v1` does not say whether the owner changed: no rule, no binding
    assert "opportunity.updated.v1" not in TRIGGER_EVENT_TYPES


def test_a_stall_event_of_another_stage_names_that_stage() -> None:
    later = replace(deal(), stage_id="proposal", stage_entered_at=NOW - timedelta(days=11))
    [notice] = plan(stalled(later)).notifications
    assert "「方案报价」阶段，已超过 10 天" in notice.body


def test_a_rule_that_needs_a_recipient_still_records_a_team_without_a_manager() -> None:
    data = {"ticket": {"id": "t1", "priority": "HIGH", "team": "east"}, "target": "RESOLUTION"}
    data |= {"dueAt": "2026-03-02T10:00:00Z", "team": "east"}
    incoming = IncomingEvent("evt-2", "ticket.sla_breached.v1", "c-1", data, {})
    result = plan_event(
        incoming,
        rules=DEFAULT_RULES,
        managers={},
        preferences={},
        templates={},
        webhooks=[],
        now=NOW,
    )
    [dead] = result.deliveries
    assert dead.last_error == "rule ticket-sla-breached: team east has no manager"
