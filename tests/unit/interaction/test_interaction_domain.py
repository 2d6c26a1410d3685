"""Interaction domain rules, event payloads and cursors: pure, no I/O."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from crm_interaction.events import (
    customer_event,
    interaction_logged,
    on_customer_assigned,
    on_customer_created,
)
from crm_interaction.interactions import model as domain
from crm_interaction.interactions.model import Channel, Direction, LogInteraction
from crm_interaction.interactions.service import fingerprint, guard_id
from crm_kit.auth import Principal, Role
from crm_kit.errors import BadUserInput, Forbidden
from crm_kit.events import CloudEvent
from tests.support import field_codes

NOW = datetime(2026, 3, 1, 8, 30, 0, 123456, tzinfo=UTC)
VALID = LogInteraction(
    customer_id="c1", channel=Channel.PHONE, direction=Direction.OUTBOUND, content="Called."
)


def codes(command: LogInteraction) -> dict[str, str]:
    return field_codes(domain.validate(command, NOW))


def test_valid_command_has_no_errors() -> None:
    assert domain.validate(VALID, NOW) == []


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"content": ""}, "content", "REQUIRED"),
        ({"content": "   \n"}, "content", "REQUIRED"),
        ({"content": "x" * 10_001}, "content", "TOO_LONG"),
        ({"subject": "s" * 201}, "subject", "TOO_LONG"),
        ({"customer_id": " "}, "customerId", "REQUIRED"),
        ({"occurred_at": NOW + timedelta(minutes=5, seconds=1)}, "occurredAt", "IN_FUTURE"),
        ({"duration_seconds": -1}, "durationSeconds", "OUT_OF_RANGE"),
        ({"idempotency_key": ""}, "idempotencyKey", "REQUIRED"),
        ({"idempotency_key": "k" * 201}, "idempotencyKey", "TOO_LONG"),
    ],
)
def test_invalid_field_is_named(changes: dict[str, object], field: str, code: str) -> None:
    assert codes(replace(VALID, **changes)) == {field: code}  # type: ignore[arg-type]


def test_limits_are_inclusive() -> None:
    edge = replace(
        VALID,
        content="x" * 10_000,
        subject="s" * 200,
        occurred_at=NOW + timedelta(minutes=5),
        duration_seconds=0,
    )
    assert domain.validate(edge, NOW) == []


def test_all_errors_are_reported_together() -> None:
    bad = replace(VALID, content="", subject="s" * 300, duration_seconds=-5)
    assert set(codes(bad)) == {"content", "subject", "durationSeconds"}


def test_new_interaction_raises_bad_user_input_with_field_errors() -> None:
    with pytest.raises(BadUserInput) as raised:
        domain.new_interaction(replace(VALID, content=""), id="i1", logged_by="u", now=NOW)
    assert raised.value.extensions["fieldErrors"][0]["field"] == "content"


def test_new_interaction_defaults_and_normalises() -> None:
    local = datetime(2026, 3, 1, 10, 0, 0, 999999, tzinfo=timezone(timedelta(hours=8)))
    made = domain.new_interaction(
        replace(VALID, subject="  ", occurred_at=local, customer_id=" c1 "),
        id="i1",
        logged_by="alice",
        now=NOW,
    )
    assert made.subject is None
    assert made.customer_id == "c1"
    assert made.occurred_at == datetime(2026, 3, 1, 2, 0, 0, 999000, tzinfo=UTC)
    assert made.created_at == NOW.replace(microsecond=123000)
    defaulted = domain.new_interaction(VALID, id="i2", logged_by="alice", now=NOW)
    assert defaulted.occurred_at == defaulted.created_at


def test_naive_occurred_at_is_taken_as_utc() -> None:
    made = domain.new_interaction(
        replace(VALID, occurred_at=datetime(2026, 2, 1, 9, 0)), id="i", logged_by="u", now=NOW
    )
    assert made.occurred_at == datetime(2026, 2, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER, Role.SALES, Role.SERVICE])
def test_writer_roles_may_log(role: Role) -> None:
    domain.ensure_can_log(Principal("u", "U", frozenset({role}), "east"))


@pytest.mark.parametrize("roles", [frozenset({Role.ANALYST}), frozenset()])
def test_analysts_and_roleless_callers_may_not_log(roles: frozenset[Role]) -> None:
    with pytest.raises(Forbidden):
        domain.ensure_can_log(Principal("u", "U", roles, "east"))


def test_logged_event_has_no_content() -> None:
    made = domain.new_interaction(
        replace(VALID, subject="Renewal"), id="i1", logged_by="alice", now=NOW
    )
    data = interaction_logged.payload(made)
    assert data == {
        "interaction": {
            "id": "i1",
            "customerId": "c1",
            "channel": "PHONE",
            "direction": "OUTBOUND",
            "subject": "Renewal",
            "occurredAt": "2026-03-01T08:30:00.123Z",
            "loggedBy": "alice",
            "outcome": None,
            "tags": [],
            "participantStaffIds": [],
            "attachmentCount": 0,
        },
        "mentionedStaffIds": [],
        "actorId": "alice",
    }
    assert "Called." not in str(data)


def snapshot_event(type_: str, **data: object) -> CloudEvent:
    return CloudEvent(type=type_, source="crm/customer", subject="c1", data=dict(data))


def test_customer_snapshot_becomes_a_view() -> None:
    event = snapshot_event(
        on_customer_assigned.TYPE,
        customer={
            "id": "c1",
            "displayName": "上海示例有限公司",
            "stage": "LEAD",
            "ownerId": "bob",
            "team": "east",
            "version": 3,
            "updatedAt": "2026-03-01T08:00:00Z",
        },
        ownerId="bob",
    )
    view = customer_event.customer_view(event)
    assert (view.id, view.display_name, view.owner_id, view.version) == (
        "c1",
        "上海示例有限公司",
        "bob",
        3,
    )
    assert view.updated_at == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert view.is_newer_than(2) and not view.is_newer_than(3)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"customer": "c1"},
        {"customer": {"id": "c1"}},
        {"customer": {"id": "c1", "version": "2"}},
    ],
)
def test_malformed_customer_events_are_rejected(data: dict[str, object]) -> None:
    with pytest.raises(customer_event.MalformedEvent):
        customer_event.customer_view(snapshot_event(on_customer_created.TYPE, **data))


def test_idempotency_guard_is_per_caller_and_fingerprint_sees_changes() -> None:
    assert guard_id("op", "alice", "k") == guard_id("op", "alice", "k")
    assert guard_id("op", "alice", "k") != guard_id("op", "bob", "k")
    assert fingerprint(VALID) == fingerprint(replace(VALID))
    assert fingerprint(VALID) != fingerprint(replace(VALID, content="Called again."))
