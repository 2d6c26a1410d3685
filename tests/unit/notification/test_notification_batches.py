"""Pure logic of collapsed notices: the changes of one import or bulk update fold into one
in-app notice per recipient (rules/batches.py), planned by the planner instead of a notice,
mail or SMS per change."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from crm_kit.events import CloudEvent
from crm_notification.channels.model import Channel
from crm_notification.events.handlers import one_of_a_batch
from crm_notification.inbox.model import Language, NotificationType
from crm_notification.preferences.model import Preferences
from crm_notification.rules.batches import BatchCause, Fold, customer_list_link, folded
from crm_notification.rules.defaults import DEFAULT_RULES
from crm_notification.rules.planner import IncomingEvent, Plan, plan_event

NOW = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
STARTED = "2026-03-02T14:29:00+00:00"


def assigned(
    event_id: str, owner: str = "bob", batch: dict[str, Any] | None = None
) -> IncomingEvent:
    data: dict[str, Any] = {
        "customer": {"id": f"c-{event_id}", "displayName": "云帆科技"},
        "ownerId": owner,
        "previousOwnerId": None,
        "team": "east",
        "actorId": "alice",
    }
    if batch is not None:
        data["batch"] = batch
    return IncomingEvent(event_id, "customer.assigned.v1", f"c-{event_id}", data, {})


IMPORT = {"kind": "IMPORT", "id": "job-7", "startedAt": STARTED}


def plan(event: IncomingEvent, prefs: Preferences | None = None) -> Plan:
    people = {prefs.user_id: prefs} if prefs else {}
    return plan_event(
        event,
        rules=DEFAULT_RULES,
        managers={},
        preferences=people,
        templates={},
        webhooks=[],
        now=NOW,
    )


def test_a_batched_assignment_is_a_fold_not_a_notice_mail_or_sms() -> None:
    # bob asked for CUSTOMER_ASSIGNED on every channel and has the addresses for them
    prefs = Preferences(
        user_id="bob",
        channels={NotificationType.CUSTOMER_ASSIGNED: (Channel.IN_APP, Channel.EMAIL, Channel.SMS)},
        email="bob@example.com",
        phone="13800138000",
    )
    single = plan(assigned("e1"), prefs)
    assert [n.channel for n in single.notifications] == [Channel.IN_APP]
    assert {d.channel for d in single.deliveries} == {Channel.EMAIL, Channel.SMS}

    batched = plan(assigned("e2", batch=IMPORT), prefs)
    assert batched.notifications == [] and batched.deliveries == [] and batched.digest_items == []
    [fold] = batched.folds
    assert (fold.recipient_id, fold.type) == ("bob", NotificationType.CUSTOMERS_ASSIGNED)
    assert fold.batch == BatchCause("IMPORT", "job-7", STARTED)
    # every change of the batch folds into the same notice
    [again] = plan(assigned("e3", batch=IMPORT), prefs).folds
    assert again.id == fold.id
    [other_batch] = plan(assigned("e4", batch={**IMPORT, "id": "job-8"}), prefs).folds
    assert other_batch.id != fold.id


def test_the_fold_respects_a_muted_type_and_the_actor() -> None:
    muted = Preferences(user_id="bob", channels={NotificationType.CUSTOMER_ASSIGNED: ()})
    assert plan(assigned("e1", batch=IMPORT), muted).folds == []
    own = plan(assigned("e1", owner="alice", batch=IMPORT))  # alice imported it herself
    assert own.folds == [] and own.notifications == []


def fold_of(language: Language, batch: dict[str, Any] = IMPORT) -> Fold:
    prefs = Preferences(user_id="bob", language=language)
    [fold] = plan(assigned("e1", batch=batch), prefs).folds
    return fold


def test_the_count_grows_with_each_change_and_the_texts_follow() -> None:
    fold = fold_of(Language.ZH_CN)
    first = folded(fold, None)
    assert first.batch is not None and first.batch.count == 1
    assert first.type is NotificationType.CUSTOMERS_ASSIGNED and first.customer_id is None
    assert first.title == "1 位客户已通过导入分配给您"
    third = folded(fold, folded(fold, first))
    assert third.batch is not None and third.batch.count == 3
    assert third.title == "3 位客户已通过导入分配给您"
    assert third.body.startswith("alice 通过导入（job-7）将 3 位客户分配给了您")
    assert (third.id, third.created_at) == (first.id, first.created_at)  # the same notice

    english = fold_of(Language.EN, {**IMPORT, "kind": "BULK_UPDATE"})
    one = folded(english, None)
    assert one.title == "1 customer assigned to you by bulk update"
    assert folded(english, one).title == "2 customers assigned to you by bulk update"


def test_the_link_lists_the_owners_customers_of_the_batch() -> None:
    imported = urlsplit(customer_list_link(BatchCause("IMPORT", "j", STARTED), "bob"))
    assert imported.path == "/customers"
    assert parse_qs(imported.query) == {
        "ownerId": ["bob"],
        "created.from": [STARTED],
        "orderBy.field": ["CREATED_AT"],
        "orderBy.direction": ["ASC"],
    }
    bulk = parse_qs(
        urlsplit(customer_list_link(BatchCause("BULK_UPDATE", "b", STARTED), "bob")).query
    )
    assert bulk == {
        "ownerId": ["bob"],
        "updated.from": [STARTED],
        "orderBy.field": ["UPDATED_AT"],
        "orderBy.direction": ["DESC"],
    }
    assert fold_of(Language.ZH_CN).link == customer_list_link(
        BatchCause.of({"batch": IMPORT}), "bob"
    )  # type: ignore[arg-type]


def test_only_events_naming_a_batch_take_the_bulk_lane() -> None:
    def event(data: dict[str, Any]) -> CloudEvent:
        return CloudEvent(
            type="customer.assigned.v1", source="crm/customer", subject="c", data=data
        )

    assert one_of_a_batch(event({"ownerId": "bob", "batch": IMPORT}))
    assert not one_of_a_batch(event({"ownerId": "bob"}))
    assert not one_of_a_batch(event({"ownerId": "bob", "batch": {"kind": "IMPORT"}}))
