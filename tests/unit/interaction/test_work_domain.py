"""Pure rules of tickets, tasks, purchases and insight: validation, assignment, scores."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from crm_interaction.events import task_due, task_overdue
from crm_interaction.insight.model import CustomerFacts, SpendFacts, compute
from crm_interaction.purchases import model as purchases
from crm_interaction.purchases.model import RecordPurchase, build, from_minor, to_minor
from crm_interaction.tasks import model as tasks
from crm_interaction.tasks.model import NewTask
from crm_interaction.tickets import model as tickets
from crm_interaction.tickets.assignment import AssignmentStrategy, pick_agent
from crm_kit.errors import BadUserInput
from tests.support import field_codes

NOW = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)


def test_least_loaded_and_round_robin_pick_within_the_team() -> None:
    agents = ["wang", "li", "zhao"]
    assert (
        pick_agent(agents, {"li": 3, "wang": 1, "zhao": 1}, AssignmentStrategy.LEAST_LOADED, None)
        == "wang"
    )
    assert pick_agent(agents, {"wang": 2}, AssignmentStrategy.LEAST_LOADED, None) == "li"
    assert pick_agent(agents, {}, AssignmentStrategy.ROUND_ROBIN, None) == "li"
    assert pick_agent(agents, {}, AssignmentStrategy.ROUND_ROBIN, "li") == "wang"
    assert pick_agent(agents, {}, AssignmentStrategy.ROUND_ROBIN, "zhao") == "li"
    with pytest.raises(BadUserInput) as empty:
        pick_agent([], {}, AssignmentStrategy.LEAST_LOADED, None)
    assert field_codes(empty.value) == {"team": "NO_AGENTS"}


def test_rating_is_1_to_5_and_only_after_resolution() -> None:
    command = tickets.OpenTicket("c", tickets.TicketType.INQUIRY, tickets.Priority.LOW, "问", "")
    ticket = tickets.open_ticket(
        command, id="t", created_by="a", now=NOW, rules=tickets.SlaRules.default()
    )
    with pytest.raises(BadUserInput) as early:
        tickets.rate(ticket, rating=5, comment=None, now=NOW)
    assert field_codes(early.value) == {"id": "NOT_RESOLVED"}
    resolved = replace(ticket, status=tickets.TicketStatus.RESOLVED)
    for bad in (0, 6):
        with pytest.raises(BadUserInput) as wrong:
            tickets.rate(resolved, rating=bad, comment=None, now=NOW)
        assert field_codes(wrong.value) == {"rating": "OUT_OF_RANGE"}
    assert tickets.rate(resolved, rating=4, comment="快", now=NOW).rating == 4


def test_ticket_subject_required_and_size_limited() -> None:
    rules = tickets.SlaRules.default()
    for subject, code in (("  ", "REQUIRED"), ("x" * 201, "TOO_LONG")):
        command = tickets.OpenTicket(
            "c", tickets.TicketType.FAULT, tickets.Priority.HIGH, subject, ""
        )
        with pytest.raises(BadUserInput) as raised:
            tickets.open_ticket(command, id="t", created_by="a", now=NOW, rules=rules)
        assert field_codes(raised.value) == {"subject": code}


def test_task_due_in_the_past_and_bad_reminders_are_rejected() -> None:
    with pytest.raises(BadUserInput) as past:
        tasks.new_task(
            NewTask("c", "回访", NOW - timedelta(hours=1)), id="k", created_by="a", now=NOW
        )
    assert field_codes(past.value) == {"dueAt": "IN_PAST"}
    with pytest.raises(BadUserInput) as offsets:
        tasks.new_task(
            NewTask("c", "回访", NOW + timedelta(days=1), reminder_offsets=(-5,)),
            id="k",
            created_by="a",
            now=NOW,
        )
    assert field_codes(offsets.value) == {"reminderOffsets": "OUT_OF_RANGE"}
    task = tasks.new_task(
        NewTask("c", "回访", NOW + timedelta(minutes=30), reminder_offsets=(0, 60, 15)),
        id="k",
        created_by="a",
        now=NOW,
    )
    assert task.assignee_id == "a" and task.reminder_offsets == (60, 15, 0)
    # the 60-minute reminder would be in the past: skipped
    assert set(task.reminder_times(NOW)) == {15, 0}
    done = tasks.finish(task, tasks.TaskStatus.DONE, NOW)
    with pytest.raises(BadUserInput):
        tasks.finish(done, tasks.TaskStatus.DONE, NOW)


def purchase(**overrides: object) -> RecordPurchase:
    values: dict[str, object] = {
        "customer_id": "c",
        "order_number": "SO-1",
        "amount": "1299.00",
        "currency": "CNY",
        "purchased_at": NOW,
        "source": "erp",
        "external_id": "42",
    }
    values.update(overrides)
    return RecordPurchase(**values)  # type: ignore[arg-type]


def test_purchase_money_rules() -> None:
    ok = build(purchase(), recorded_by="a", now=NOW, version=1)
    assert ok.amount == Decimal("1299.00") and ok.amount_minor == 129900
    assert ok.id == build(purchase(amount="1"), recorded_by="b", now=NOW, version=1).id
    for overrides, field, code in (
        ({"amount": "-1"}, "amount", "NEGATIVE"),
        ({"amount": "abc"}, "amount", "INVALID"),
        ({"amount": "1.001"}, "amount", "PRECISION"),
        ({"currency": "RMB"}, "currency", "INVALID_CURRENCY"),
        ({"currency": "cny"}, "currency", "INVALID_CURRENCY"),
        ({"items": (("", "x", 1, "1"),)}, "items[0].sku", "INVALID"),
        ({"items": (("s", "x", 0, "1"),)}, "items[0].quantity", "OUT_OF_RANGE"),
    ):
        with pytest.raises(BadUserInput) as raised:
            build(purchase(**overrides), recorded_by="a", now=NOW, version=1)
        assert field_codes(raised.value).get(field) == code, (overrides, raised.value.field_errors)
    assert to_minor(Decimal("500"), "JPY") == 500
    assert from_minor(1234, "KWD") == Decimal("1.234")
    assert purchases.exponent("USD") == 2


def test_insight_scores_and_churn_factors() -> None:
    loyal = CustomerFacts(
        "c1",
        last_contact_at=NOW - timedelta(days=2),
        rating_sum=9,
        rating_count=2,
        spend=(
            SpendFacts(
                "CNY",
                total_minor=5_000_000,
                last_365_minor=12_000_000,
                last_90_minor=1_000_000,
                prior_90_minor=1_000_000,
                count_365=12,
                count_total=20,
                last_purchase_at=NOW - timedelta(days=10),
            ),
        ),
    )
    insight = compute(loyal, NOW)
    assert (insight.recency_score, insight.frequency_score, insight.monetary_score) == (5, 5, 5)
    assert insight.segment == "CHAMPION"
    assert insight.average_satisfaction == 4.5
    assert insight.total_spend == (("CNY", Decimal("50000.00")),)
    assert insight.churn_risk < 10

    drifting = CustomerFacts(
        "c2",
        last_contact_at=NOW - timedelta(days=120),
        complaints_90=3,
        low_ratings_180=2,
        spend=(
            SpendFacts(
                "CNY",
                total_minor=100_000,
                last_365_minor=100_000,
                last_90_minor=0,
                prior_90_minor=100_000,
                count_365=3,
                count_total=3,
                last_purchase_at=NOW - timedelta(days=200),
            ),
        ),
    )
    risky = compute(drifting, NOW)
    assert risky.churn_risk >= 90
    names = [f.name for f in risky.churn_factors]
    assert set(names) == {
        "DAYS_SINCE_CONTACT",
        "DAYS_SINCE_PURCHASE",
        "COMPLAINTS",
        "LOW_RATINGS",
        "DECLINING_SPEND",
    }
    assert risky.churn_factors[0].contribution >= risky.churn_factors[-1].contribution
    assert risky.segment == "AT_RISK"
    assert compute(CustomerFacts("c3"), NOW).segment == "PROSPECT"


def test_analytics_come_from_the_facet_result() -> None:
    """Percentiles are computed by the database ($percentile); this maps its result."""
    from datetime import UTC, datetime

    from crm_interaction.analytics.queries import from_facets, pipeline

    week = datetime(2026, 11, 23, tzinfo=UTC)
    facets = {
        "totals": [{"n": 4, "evaluated": 3, "met": 2}],
        "byType": [{"_id": "FAULT", "n": 3}, {"_id": "INQUIRY", "n": 1}],
        "byPriority": [{"_id": "HIGH", "n": 4}],
        "byTeam": [{"_id": "east", "n": 4}],
        "firstResponse": [{"n": 2, "p": [30.0, 50.004]}],
        "resolution": [],
        "resolvedBy": [{"_id": "wu", "n": 2}],
        "satisfaction": [{"_id": week, "sum": 8, "n": 2}],
    }
    result = from_facets(facets, {"zheng": 1})
    assert (result.total, result.sla_compliance) == (4, 0.6667)
    assert result.by_type == {"FAULT": 3, "INQUIRY": 1}
    assert (result.first_response.median_minutes, result.first_response.p90_minutes) == (30, 50)
    assert result.resolution.count == 0 and result.resolution.median_minutes is None
    assert [(w.week_start, w.average) for w in result.satisfaction] == [(week, 4.0)]
    assert [(a.agent_id, a.open, a.resolved) for a in result.agents] == [
        ("wu", 0, 2),
        ("zheng", 1, 0),
    ]
    empty = from_facets({k: [] for k in facets}, {})
    assert empty.total == 0 and empty.sla_compliance is None
    stages = pipeline(week, week, "east")
    assert stages[0] == {"$match": {"createdAt": {"$gte": week, "$lt": week}, "team": "east"}}
    assert set(stages[1]["$facet"]) == set(facets)


def test_only_the_author_edits_for_seven_days_managers_always() -> None:
    from crm_interaction.interactions import model as domain
    from crm_kit.auth import Principal, Role
    from crm_kit.errors import Forbidden

    logged = domain.new_interaction(
        domain.LogInteraction("c", domain.Channel.PHONE, domain.Direction.INBOUND, "hi"),
        id="i",
        logged_by="carol",
        now=NOW,
    )

    def who(sub: str, role: Role) -> Principal:
        return Principal(sub, sub, frozenset({role}), "east")

    domain.ensure_can_change(logged, who("carol", Role.SALES), NOW + timedelta(days=6))
    with pytest.raises(Forbidden):
        domain.ensure_can_change(logged, who("carol", Role.SALES), NOW + timedelta(days=8))
    with pytest.raises(Forbidden):
        domain.ensure_can_change(logged, who("dave", Role.SALES), NOW)
    with pytest.raises(Forbidden):
        domain.ensure_can_change(logged, who("carol", Role.ANALYST), NOW)
    domain.ensure_can_change(logged, who("mia", Role.MANAGER), NOW + timedelta(days=300))
    edited = domain.edit(logged, domain.InteractionChanges(content="hello"), NOW)
    assert (edited.content, edited.version, edited.channel) == ("hello", 2, domain.Channel.PHONE)
    with pytest.raises(BadUserInput):
        domain.edit(logged, domain.InteractionChanges(content=" "), NOW)


def test_recurring_tasks_roll_forward_past_now() -> None:
    jan31 = datetime(2027, 1, 31, 2, 0, tzinfo=UTC)
    monthly = tasks.new_task(
        NewTask("c", "月度回访", jan31, recurrence=tasks.Recurrence.MONTHLY),
        id="m",
        created_by="a",
        now=NOW,
    )
    following = tasks.next_occurrence(monthly, id="m2", now=NOW)
    assert following is not None
    assert (following.id, following.due_at, following.status) == (
        "m2",
        datetime(2027, 2, 28, 2, 0, tzinfo=UTC),
        tasks.TaskStatus.OPEN,
    )
    daily = replace(monthly, recurrence=tasks.Recurrence.DAILY, due_at=NOW - timedelta(days=3))
    rolled = tasks.next_occurrence(daily, id="d2", now=NOW)
    assert rolled is not None and rolled.due_at == NOW + timedelta(days=1)
    assert (
        tasks.next_occurrence(replace(monthly, recurrence=tasks.Recurrence.NONE), id="x", now=NOW)
        is None
    )


def test_reminder_events_name_the_task_by_its_title_without_identifiers() -> None:
    task = tasks.new_task(
        NewTask("c", "回访张三 13800138000 确认报价", NOW + timedelta(hours=2)),
        id="k",
        created_by="a",
        now=NOW,
    )
    due = task_due.payload(task, 60, "2026-03-02T09:00:00Z")
    overdue = task_overdue.payload(task, "2026-03-02T10:00:00Z")
    assert due["title"] == overdue["title"] == "回访张三 138****8000 确认报价"
    assert "13800138000" not in str(due) + str(overdue)
