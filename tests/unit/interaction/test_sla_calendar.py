"""Business calendar arithmetic and the ticket SLA clock (pure, controllable time)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from crm_interaction.tickets.calendar import BusinessCalendar
from crm_interaction.tickets.model import (
    OpenTicket,
    Ticket,
    TicketStatus,
    TicketType,
    breach,
    change_status,
    new_comment,
    open_ticket,
)
from crm_interaction.tickets.sla import Priority, SlaRules, SlaState, SlaTarget
from crm_kit.errors import BadUserInput

CAL = BusinessCalendar()  # Asia/Shanghai, Mon–Fri 09:00–18:00 (= 01:00–10:00 UTC)
RULES = SlaRules.default()
MONDAY_0900_CST = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_add_counts_only_working_hours_in_shanghai() -> None:
    # Monday 17:30 CST + 60 working minutes = Tuesday 09:30 CST (01:30 UTC)
    assert CAL.add(utc(23, 9, 30), 60) == utc(24, 1, 30)
    # Friday 17:00 CST + 2 h = Monday 10:00 CST
    assert CAL.add(utc(27, 9, 0), 120) == utc(30, 2, 0)
    # before opening: the clock starts at 09:00
    assert CAL.add(utc(23, 0, 0), 30) == utc(23, 1, 30)


def test_elapsed_skips_nights_weekends_and_holidays() -> None:
    assert CAL.elapsed(utc(27, 9, 0), utc(30, 2, 0)) == timedelta(hours=2)
    assert CAL.elapsed(utc(23, 1, 0), utc(23, 0, 0)) == timedelta(0)
    holiday = BusinessCalendar(holidays=frozenset({date(2026, 11, 24)}))
    assert holiday.add(utc(23, 9, 30), 60) == utc(25, 1, 30)
    make_up = BusinessCalendar(extra_workdays=frozenset({date(2026, 11, 28)}))
    assert make_up.add(utc(27, 9, 0), 120) == utc(28, 2, 0)


def test_calendar_rejects_unknown_zone_and_empty_day() -> None:
    with pytest.raises(Exception):  # noqa: B017 - ZoneInfoNotFoundError
        BusinessCalendar(time_zone="Mars/Olympus")
    with pytest.raises(ValueError):
        BusinessCalendar(opens=CAL.closes, closes=CAL.opens)


def new_ticket(priority: Priority = Priority.HIGH, at: datetime = MONDAY_0900_CST) -> Ticket:
    command = OpenTicket("c1", TicketType.FAULT, priority, "打印机故障", "无法打印")
    return open_ticket(command, id="t1", created_by="alice", now=at, rules=RULES)


def test_due_times_follow_the_priority_policy() -> None:
    ticket = new_ticket(Priority.HIGH)
    assert ticket.status is TicketStatus.NEW
    assert ticket.first_response_due_at == MONDAY_0900_CST + timedelta(hours=1)
    assert ticket.resolution_due_at == MONDAY_0900_CST + timedelta(hours=8)
    urgent = new_ticket(Priority.URGENT)
    assert urgent.first_response_due_at == MONDAY_0900_CST + timedelta(minutes=30)


def test_disallowed_transition_names_the_allowed_next_states() -> None:
    ticket = new_ticket()
    with pytest.raises(BadUserInput) as raised:
        change_status(ticket, TicketStatus.RESOLVED, now=MONDAY_0900_CST, calendar=CAL)
    assert "ASSIGNED, CLOSED" in raised.value.message
    assert raised.value.field_errors[0].code == "TRANSITION_NOT_ALLOWED"
    with pytest.raises(BadUserInput) as unassigned:
        change_status(ticket, TicketStatus.ASSIGNED, now=MONDAY_0900_CST, calendar=CAL)
    assert unassigned.value.field_errors[0].code == "UNASSIGNED"


def test_waiting_customer_pauses_the_resolution_clock() -> None:
    ticket = replace(new_ticket(), status=TicketStatus.ASSIGNED, assignee_id="bob")
    # 2 working hours in, the agent asks the customer and waits a whole day
    waiting = change_status(ticket, TicketStatus.WAITING_CUSTOMER, now=utc(23, 3), calendar=CAL)
    assert waiting.sla_state() is SlaState.PAUSED
    assert waiting.resolution_due_at is None
    assert waiting.resolution_used_seconds == 2 * 3600
    assert waiting.first_responded_at == utc(23, 3)
    resumed = change_status(waiting, TicketStatus.IN_PROGRESS, now=utc(24, 3), calendar=CAL)
    # 6 working hours remain from Tuesday 11:00 CST → Tuesday 17:00 CST (09:00 UTC)
    assert resumed.resolution_due_at == utc(24, 9)
    resolved = change_status(
        resumed, TicketStatus.RESOLVED, now=utc(24, 5), calendar=CAL, resolution="换了硒鼓"
    )
    assert resolved.sla_state() is SlaState.MET and resolved.resolution == "换了硒鼓"
    assert resolved.due_jobs() == {SlaTarget.FIRST_RESPONSE: None, SlaTarget.RESOLUTION: None}
    reopened = change_status(resolved, TicketStatus.IN_PROGRESS, now=utc(25, 1), calendar=CAL)
    assert reopened.reopen_count == 1 and reopened.resolved_at is None
    # 2 h + 2 h used; 4 h left from Wednesday 09:00 CST
    assert reopened.resolution_due_at == utc(25, 5)


def test_breach_only_when_due_passed_and_not_met_or_moved() -> None:
    ticket = new_ticket()
    due = ticket.first_response_due_at
    assert breach(ticket, SlaTarget.FIRST_RESPONSE, due, due - timedelta(seconds=1)) is None
    breached = breach(ticket, SlaTarget.FIRST_RESPONSE, due, due)
    assert breached is not None and breached.sla_state() is SlaState.BREACHED
    assert breach(breached, SlaTarget.FIRST_RESPONSE, due, due) is None  # once
    _, answered = new_comment(
        ticket, id="m1", author_id="bob", body="已收到", customer_visible=True, now=utc(23, 1, 10)
    )
    assert breach(answered, SlaTarget.FIRST_RESPONSE, due, due) is None
    moved = ticket.resolution_due_at
    assert moved is not None
    assert breach(ticket, SlaTarget.RESOLUTION, moved - timedelta(hours=1), moved) is None


def test_a_ticket_closed_unanswered_missed_its_sla_and_is_not_breached_again() -> None:
    ticket = new_ticket()
    closed = change_status(ticket, TicketStatus.CLOSED, now=utc(23, 1, 5), calendar=CAL)
    # closed within its first-response time, but nobody ever answered nor resolved it
    assert closed.sla_state() is SlaState.BREACHED
    assert closed.first_response_breached and closed.resolution_breached
    assert closed.due_jobs() == {SlaTarget.FIRST_RESPONSE: None, SlaTarget.RESOLUTION: None}
    assert (
        breach(closed, SlaTarget.FIRST_RESPONSE, ticket.first_response_due_at, utc(24, 1)) is None
    )


def test_resolving_is_not_a_first_response() -> None:
    ticket = replace(new_ticket(), status=TicketStatus.ASSIGNED, assignee_id="bob")
    resolved = change_status(ticket, TicketStatus.RESOLVED, now=utc(23, 1, 5), calendar=CAL)
    assert resolved.first_responded_at is None and resolved.first_response_breached
    assert not resolved.resolution_breached  # resolved in time: that target was met
    assert resolved.sla_state() is SlaState.BREACHED
    closed = change_status(resolved, TicketStatus.CLOSED, now=utc(23, 2), calendar=CAL)
    assert not closed.resolution_breached and closed.sla_state() is SlaState.BREACHED
    _, answered = new_comment(
        ticket, id="m1", author_id="bob", body="已收到", customer_visible=True, now=utc(23, 1, 1)
    )
    met = change_status(answered, TicketStatus.RESOLVED, now=utc(23, 1, 5), calendar=CAL)
    assert met.sla_state() is SlaState.MET
