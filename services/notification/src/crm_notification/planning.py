"""From one event to what must be sent (pure): in-app notifications, and deliveries for the
other channels and for webhook subscriptions. Everything that cannot be sent (missing field,
malformed template, no address) becomes a DEAD delivery with the reason — never an exception
that would stall the consumer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from crm_notification.addresses import customer_target
from crm_notification.delivery import Delivery, DeliveryStatus, delivery_id
from crm_notification.digest import DigestItem, digest_delivery, item_of
from crm_notification.domain import (
    TEMPLATES,
    Channel,
    Language,
    Notification,
    NotificationType,
    Template,
    TemplateError,
    notification_id,
    render,
    to_millis,
)
from crm_notification.preferences import (
    DEFERRABLE,
    Preferences,
    localized,
    next_digest_at,
    quiet_until,
)
from crm_notification.privacy import masked
from crm_notification.rules import (
    MissingField,
    Rule,
    customer_of,
    recipients,
    targets_of,
    variables_of,
)
from crm_notification.webhook_repository import WebhookSubscription

NO_RECIPIENT = "-"


@dataclass(frozen=True, slots=True)
class Limits:
    email_max_attempts: int = 8
    sms_max_attempts: int = 8
    webhook_max_attempts: int = 12


@dataclass(frozen=True, slots=True)
class IncomingEvent:
    id: str
    type: str
    subject: str
    data: Mapping[str, Any]
    envelope: dict[str, Any]


@dataclass(slots=True)
class Plan:
    notifications: list[Notification] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    digest_items: list[DigestItem] = field(default_factory=list)


def plan_event(
    event: IncomingEvent,
    *,
    rules: Sequence[Rule],
    managers: Mapping[str, Sequence[str]],
    preferences: Mapping[str, Preferences],
    templates: Mapping[tuple[NotificationType, Language], Template],
    webhooks: Sequence[WebhookSubscription],
    now: datetime,
    limits: Limits = Limits(),
) -> Plan:
    plan = Plan()
    now = to_millis(now)
    merged = {**TEMPLATES, **templates}
    for rule in rules:
        if rule.enabled and rule.event_type == event.type:
            _apply_rule(
                plan,
                event,
                rule,
                managers=managers.get(rule.id, ()),
                preferences=preferences,
                templates=merged,
                now=now,
                limits=limits,
            )
            if rule.email_customer:
                _customer_email(plan, event, rule, templates=merged, now=now, limits=limits)
    for hook in webhooks:
        plan.deliveries.append(
            Delivery(
                id=delivery_id(event.id, hook.id, Channel.WEBHOOK),
                channel=Channel.WEBHOOK,
                target=hook.id,
                event_id=event.id,
                event_type=event.type,
                notification_type=event.type,
                customer_id=event.subject or None,
                created_at=now,
                next_attempt_at=now,
                address=hook.url,
                payload=event.envelope,
                max_attempts=limits.webhook_max_attempts,
            )
        )
    return plan


def _customer_email(
    plan: Plan,
    event: IncomingEvent,
    rule: Rule,
    *,
    templates: Mapping[tuple[NotificationType, Language], Template],
    now: datetime,
    limits: Limits,
) -> None:
    """A customer-facing mail: rendered now, addressed at send time (the address is fetched
    from the customer service then, so it is never stored or carried by events)."""
    customer_id = customer_of(rule, event.data, event.subject)
    if not customer_id:
        return
    target = customer_target(customer_id)
    delivery = Delivery(
        id=delivery_id(f"{event.id}:{rule.id}", target, Channel.EMAIL),
        channel=Channel.EMAIL,
        target=target,
        event_id=event.id,
        event_type=event.type,
        notification_type=str(NotificationType.CUSTOMER_TICKET_UPDATE),
        customer_id=customer_id,
        created_at=now,
        next_attempt_at=now,
        max_attempts=limits.email_max_attempts,
    )
    try:
        variables = variables_of(rule, event.data, event.subject)
        rendered = render(NotificationType.CUSTOMER_TICKET_UPDATE, variables, templates=templates)
    except (MissingField, TemplateError) as exc:
        plan.deliveries.append(
            replace(delivery, status=DeliveryStatus.DEAD, max_attempts=0, last_error=str(exc))
        )
        return
    plan.deliveries.append(replace(delivery, title=rendered.title, body=rendered.body))


def _apply_rule(
    plan: Plan,
    event: IncomingEvent,
    rule: Rule,
    *,
    managers: Sequence[str],
    preferences: Mapping[str, Preferences],
    templates: Mapping[tuple[NotificationType, Language], Template],
    now: datetime,
    limits: Limits,
) -> None:
    customer_id = customer_of(rule, event.data, event.subject)

    def dead(target: str, channel: Channel, reason: str) -> None:
        plan.deliveries.append(
            Delivery(
                id=delivery_id(f"{event.id}:{rule.id}", target, channel),
                channel=channel,
                target=target,
                event_id=event.id,
                event_type=event.type,
                notification_type=str(rule.notification_type),
                customer_id=customer_id,
                created_at=now,
                next_attempt_at=now,
                status=DeliveryStatus.DEAD,
                max_attempts=0,
                last_error=f"rule {rule.id}: {reason}",
            )
        )

    targets = targets_of(rule, event.data)
    people = recipients(rule, event.data, managers)
    if not targets.users and not targets.teams:
        if rule.require_recipient:
            dead(NO_RECIPIENT, Channel.IN_APP, "no recipient in the event data")
        return
    if not people and targets.teams and not targets.users:
        dead(NO_RECIPIENT, Channel.IN_APP, f"team {', '.join(targets.teams)} has no manager")
        return
    try:
        variables = variables_of(rule, event.data, event.subject)
    except MissingField as exc:
        for person in people:
            dead(person, Channel.IN_APP, str(exc))
        return
    for person in people:
        prefs = preferences.get(person) or Preferences(user_id=person)
        try:
            local = localized(variables, prefs.zone())
            rendered = render(rule.notification_type, local, prefs.language, templates)
        except TemplateError as exc:
            dead(person, Channel.IN_APP, f"template: {exc}")
            continue
        for channel in prefs.channels_for(rule.notification_type, rule.channels):
            nid = notification_id(event.id, person, channel)
            if channel is Channel.IN_APP:
                plan.notifications.append(
                    Notification(
                        id=nid,
                        type=rule.notification_type,
                        channel=channel,
                        recipient_id=person,
                        customer_id=customer_id,
                        title=rendered.title,
                        body=rendered.body,
                        language=rendered.language,
                        source_event_id=event.id,
                        created_at=now,
                    )
                )
                continue
            address = prefs.email if channel is Channel.EMAIL else prefs.phone
            if address and prefs.digest and channel is Channel.EMAIL:
                digest = digest_delivery(
                    person,
                    next_digest_at(prefs, now),
                    language=prefs.language,
                    address=masked(channel, address),
                    now=now,
                    max_attempts=limits.email_max_attempts,
                )
                plan.deliveries.append(digest)  # one per user and day: inserted once
                plan.digest_items.append(
                    item_of(
                        digest,
                        notification_id=nid,
                        notification_type=str(rule.notification_type),
                        customer_id=customer_id,
                        event_id=event.id,
                        title=rendered.title,
                        body=rendered.body,
                        at=now,
                    )
                )
                continue
            due, reason = now, None
            if channel in DEFERRABLE:
                quiet = quiet_until(prefs, now)
                if quiet is not None:
                    due, reason = quiet, "quiet hours"
            delivery = Delivery(
                id=delivery_id(event.id, person, channel),
                channel=channel,
                target=person,
                event_id=event.id,
                event_type=event.type,
                notification_type=str(rule.notification_type),
                customer_id=customer_id,
                created_at=now,
                next_attempt_at=to_millis(due),
                notification_id=nid,
                address=masked(channel, address),  # the real one is looked up at send time
                title=rendered.title,
                body=rendered.body,
                max_attempts=(
                    limits.email_max_attempts
                    if channel is Channel.EMAIL
                    else limits.sms_max_attempts
                ),
                deferred_reason=reason,
            )
            if not address:
                kind = "email address" if channel is Channel.EMAIL else "phone number"
                delivery = replace(
                    delivery, status=DeliveryStatus.DEAD, last_error=f"no {kind} for user {person}"
                )
            plan.deliveries.append(delivery)
