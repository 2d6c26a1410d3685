"""Event handlers. Each consumed event runs in the consumer's transaction, together with its
idempotency record, so a redelivered event is applied once. One handler serves every trigger:
what to do is data (rules, preferences, templates, webhook subscriptions), planned purely."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from crm_kit import audit
from crm_kit.consumer import EventHandler
from crm_kit.events import CloudEvent
from crm_kit.uow import Transaction
from crm_notification.commit_hooks import after_commit
from crm_notification.delivery import DeliveryStatus
from crm_notification.deps import Deps
from crm_notification.events import notification_delivered, notification_failed
from crm_notification.planning import IncomingEvent, plan_event
from crm_notification.rules import (
    DEFAULT_RULES,
    TRIGGER_EVENT_TYPES,
    WEBHOOK_EVENT_TYPES,
    merge_rules,
    targets_of,
)

CUSTOMER_ASSIGNED = "customer.assigned.v1"
CUSTOMER_ERASED = "customer.erased.v1"


async def on_event(deps: Deps, event: CloudEvent, tx: Transaction) -> None:
    session = tx.session
    if event.type == CUSTOMER_ASSIGNED and deps.customer_access is not None:
        await deps.customer_access.remember(event.data, session)  # for access control
    if event.type == CUSTOMER_ERASED and event.subject:
        await erase_customer(deps, event, tx)
    rules = [
        r
        for r in merge_rules(DEFAULT_RULES, await deps.rules.stored(event.type, session=session))
        if r.enabled and r.event_type == event.type
    ]
    targets = {rule.id: targets_of(rule, event.data) for rule in rules}
    managers = {}
    for rule_id, found in targets.items():
        if found.teams:
            managers[rule_id] = await deps.staff.managers_of(found.teams, session=session)
    people = {u for found in targets.values() for u in found.users}
    people.update(m for ms in managers.values() for m in ms)
    preferences = await deps.preferences.many(sorted(people), session=session) if people else {}
    templates = await deps.templates.all(session=session) if rules else {}
    webhooks = (
        await deps.webhooks.listening_to(event.type, session=session)
        if event.type in WEBHOOK_EVENT_TYPES
        else []
    )
    plan = plan_event(
        IncomingEvent(event.id, event.type, event.subject, event.data, event.to_dict()),
        rules=rules,
        managers=managers,
        preferences=preferences,
        templates=templates,
        webhooks=webhooks,
        now=deps.clock(),
        limits=deps.limits,
    )
    # In-app delivery is the insert itself; the id derives from the event id, so even a
    # replay that bypassed the inbox record could not create a second one.
    inserted = await deps.notifications.add_many(plan.notifications, session=session)
    for notification in plan.notifications:
        if _first_time(inserted, notification.id):
            tx.emit(
                notification_delivered.TYPE,
                notification.customer_id or event.subject,
                notification_delivered.payload(notification),
            )
            # This replica's subscribers hear of it once committed (see live.py).
            after_commit(partial(deps.live.committed, notification))
    pending = False
    inserted = await deps.deliveries.add_many(plan.deliveries, session=session)
    for delivery in plan.deliveries:
        if not _first_time(inserted, delivery.id):
            continue
        if delivery.status is DeliveryStatus.DEAD:
            tx.emit(
                notification_failed.TYPE,
                delivery.customer_id or event.subject,
                notification_failed.payload(delivery),
            )
        pending = pending or delivery.status is DeliveryStatus.PENDING
    if deps.digests is not None and plan.digest_items:
        # the day's notices of digest users (see digest.py)
        await deps.digests.add_many(plan.digest_items, session=session)
    if pending:
        deps.wake_scheduler()


def _first_time(inserted: set[str], id: str) -> bool:
    """Whether `id` was inserted now; a repeated id in one plan counts once (its first)."""
    if id not in inserted:
        return False
    inserted.discard(id)
    return True


async def erase_customer(deps: Deps, event: CloudEvent, tx: Transaction) -> None:
    """The customer's personal content leaves this service too (see docs/events.md)."""
    customer_id = str(event.subject)
    notes = await deps.notifications.erase_customer(customer_id, tx.session)
    sent = await deps.deliveries.erase_customer(customer_id, event.id, tx.session)
    if deps.digests is not None:
        sent += await deps.digests.erase_customer(customer_id, tx.session)
    audit.record(
        tx,
        "notification.customer_erased",
        "Customer",
        customer_id,
        details={"event": event.id, "notifications": notes, "deliveries": sent},
    )


def handlers(deps: Deps) -> Mapping[str, EventHandler]:
    handler = partial(on_event, deps)
    return {event_type: handler for event_type in (*TRIGGER_EVENT_TYPES, *WEBHOOK_EVENT_TYPES)}
