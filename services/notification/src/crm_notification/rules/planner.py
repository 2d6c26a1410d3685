"""From one event to what must be sent (pure): in-app notifications, and deliveries for the
other channels and for webhook subscriptions. A channel the recipient cannot receive (e-mail
without their address, SMS without their phone) is not planned at all. Everything else that
cannot be sent (missing field, malformed template) becomes a DEAD delivery with the reason —
never an exception that would stall the consumer. What the planner needs is looked up by the caller
(rules/service.py) and handed in as `Lookups`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, NotRequired, TypedDict, Unpack

from crm_notification.channels.model import Channel, customer_target
from crm_notification.deliveries.model import Delivery, DeliveryStatus, delivery_id
from crm_notification.deliveries.privacy import masked
from crm_notification.digest.model import DigestItem, digest_delivery, item_of
from crm_notification.inbox.model import (
    DEFAULT_LANGUAGE,
    Language,
    Notification,
    NotificationType,
    notification_id,
)
from crm_notification.preferences.model import (
    DEFERRABLE,
    Preferences,
    localized,
    next_digest_at,
    quiet_until,
)
from crm_notification.rules.batches import FOLDED, BatchCause, Fold, list_link
from crm_notification.rules.labels import labelled
from crm_notification.rules.links import link_for
from crm_notification.rules.model import (
    MissingField,
    Rule,
    customer_of,
    recipients,
    targets_of,
    variables_of,
)
from crm_notification.rules.templates import (
    TEMPLATES,
    Template,
    TemplateError,
    render,
    template_for,
)
from crm_notification.shared.clock import to_millis
from crm_notification.webhooks.model import WebhookSubscription

NO_RECIPIENT = "-"

type Templates = Mapping[tuple[NotificationType, Language], Template]


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
    folds: list[Fold] = field(default_factory=list)  # into collapsed notices (batches.py)


class Lookups(TypedDict):
    """What the caller looked up for one event."""

    rules: Sequence[Rule]
    managers: Mapping[str, Sequence[str]]  # rule id → the managers of the teams it names
    preferences: Mapping[str, Preferences]  # user id → preferences (defaults when missing)
    templates: Templates  # stored templates; they replace the built-in ones
    webhooks: Sequence[WebhookSubscription]  # enabled subscriptions to the event's type
    now: datetime
    limits: NotRequired[Limits]


def plan_event(event: IncomingEvent, **lookups: Unpack[Lookups]) -> Plan:
    planner = _Planner(
        event,
        templates={**TEMPLATES, **lookups["templates"]},
        now=to_millis(lookups["now"]),
        limits=lookups.get("limits", Limits()),
    )
    for rule in lookups["rules"]:
        if rule.enabled and rule.event_type == event.type:
            planner.apply_rule(rule, lookups["managers"].get(rule.id, ()), lookups["preferences"])
            if rule.email_customer:
                planner.customer_email(rule)
    for hook in lookups["webhooks"]:
        planner.webhook(hook)
    return planner.plan


@dataclass(slots=True)
class _Planner:
    event: IncomingEvent
    templates: Templates
    now: datetime
    limits: Limits
    plan: Plan = field(default_factory=Plan)

    def webhook(self, hook: WebhookSubscription) -> None:
        """The event itself, POSTed to a subscription."""
        event = self.event
        self.plan.deliveries.append(
            Delivery(
                id=delivery_id(event.id, hook.id, Channel.WEBHOOK),
                channel=Channel.WEBHOOK,
                target=hook.id,
                event_id=event.id,
                event_type=event.type,
                notification_type=event.type,
                customer_id=event.subject or None,
                created_at=self.now,
                next_attempt_at=self.now,
                address=hook.url,
                payload=event.envelope,
                max_attempts=self.limits.webhook_max_attempts,
            )
        )

    def customer_email(self, rule: Rule) -> None:
        """A customer-facing mail: rendered now, addressed at send time (the address is
        fetched from the customer service then, so it is never stored or carried by events)."""
        event = self.event
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
            created_at=self.now,
            next_attempt_at=self.now,
            max_attempts=self.limits.email_max_attempts,
        )
        try:
            variables = variables_of(rule, event.data, event.subject)
            rendered = render(
                NotificationType.CUSTOMER_TICKET_UPDATE,
                labelled(variables, DEFAULT_LANGUAGE),
                templates=self.templates,
            )
        except (MissingField, TemplateError) as exc:
            dead = replace(
                delivery, status=DeliveryStatus.DEAD, max_attempts=0, last_error=str(exc)
            )
            self.plan.deliveries.append(dead)
            return
        self.plan.deliveries.append(replace(delivery, title=rendered.title, body=rendered.body))

    def apply_rule(
        self, rule: Rule, managers: Sequence[str], preferences: Mapping[str, Preferences]
    ) -> None:
        """Staff the rule names are told on the channels they (or the rule) chose."""
        people = self._people(rule, managers)
        try:
            variables = variables_of(rule, self.event.data, self.event.subject)
        except MissingField as exc:
            for person in people:
                self._dead(rule, person, Channel.IN_APP, str(exc))
            return
        for person in people:
            prefs = preferences.get(person) or Preferences(user_id=person)
            self._tell(rule, prefs, variables)

    def _people(self, rule: Rule, managers: Sequence[str]) -> list[str]:
        """Who the rule tells; nobody to tell is recorded as a failure where it is one."""
        data = self.event.data
        targets = targets_of(rule, data)
        if not targets.users and not targets.teams:
            if rule.require_recipient:
                self._dead(rule, NO_RECIPIENT, Channel.IN_APP, "no recipient in the event data")
            return []
        people = recipients(rule, data, managers)
        if not managers and targets.teams and not targets.users and rule.require_recipient:
            teams = ", ".join(targets.teams)
            self._dead(rule, NO_RECIPIENT, Channel.IN_APP, f"team {teams} has no manager")
        return people

    def _tell(self, rule: Rule, prefs: Preferences, variables: Mapping[str, Any]) -> None:
        """One person: rendered in their language and time zone, on each of their channels."""
        person = prefs.user_id
        batch = BatchCause.of(self.event.data)
        if batch is not None and rule.notification_type in FOLDED:
            self._fold(rule, prefs, batch)
            return
        customer_id = customer_of(rule, self.event.data, self.event.subject)
        try:
            local = labelled(localized(variables, prefs.zone()), prefs.language)
            rendered = render(rule.notification_type, local, prefs.language, self.templates)
        except TemplateError as exc:
            self._dead(rule, person, Channel.IN_APP, f"template: {exc}")
            return
        for channel in prefs.reachable(prefs.channels_for(rule.notification_type, rule.channels)):
            notice = Notification(
                id=notification_id(self.event.id, person, channel),
                type=rule.notification_type,
                channel=channel,
                recipient_id=person,
                customer_id=customer_id,
                title=rendered.title,
                body=rendered.body,
                language=rendered.language,
                source_event_id=self.event.id,
                created_at=self.now,
                link=link_for(rule.notification_type, variables),
            )
            if channel is Channel.IN_APP:
                self.plan.notifications.append(notice)
            elif channel is Channel.EMAIL and prefs.digest:
                self._into_digest(notice, prefs)
            else:
                self.plan.deliveries.append(self._personal(notice, prefs))

    def _fold(self, rule: Rule, prefs: Preferences, batch: BatchCause) -> None:
        """One change of a batch, counted in the person's collapsed in-app notice. The notice
        stands for the whole batch on every channel: a batch sends no mail or SMS per change."""
        if Channel.IN_APP not in prefs.channels_for(rule.notification_type, rule.channels):
            return
        type = FOLDED[rule.notification_type]
        actor = self.event.data.get("actorId") or ""
        try:
            template, language = template_for(type, prefs.language, self.templates)
            fold = Fold(
                type=type,
                recipient_id=prefs.user_id,
                language=language,
                template=template,
                variables={"via": batch.via(language), "batchId": batch.id, "actorId": actor},
                batch=batch,
                link=list_link(type, batch, prefs.user_id),
                event_id=self.event.id,
                at=self.now,
            )
            fold.texts(1)  # a template that cannot be filled fails here, not in the store
        except TemplateError as exc:
            self._dead(rule, prefs.user_id, Channel.IN_APP, f"template: {exc}")
            return
        self.plan.folds.append(fold)

    def _into_digest(self, notice: Notification, prefs: Preferences) -> None:
        """The user's digest delivery of the day (one per user and day: inserted once) and
        the notice as one of its items."""
        digest = digest_delivery(
            notice.recipient_id,
            next_digest_at(prefs, self.now),
            language=prefs.language,
            address=masked(Channel.EMAIL, prefs.email),
            now=self.now,
            max_attempts=self.limits.email_max_attempts,
        )
        self.plan.deliveries.append(digest)
        self.plan.digest_items.append(item_of(digest, notice))

    def _personal(self, notice: Notification, prefs: Preferences) -> Delivery:
        """An EMAIL or SMS delivery of `notice` (to a user with the address for it), held back
        during quiet hours."""
        channel, person = notice.channel, notice.recipient_id
        address = prefs.email if channel is Channel.EMAIL else prefs.phone
        due, reason = self.now, None
        quiet = quiet_until(prefs, self.now) if channel in DEFERRABLE else None
        if quiet is not None:
            due, reason = quiet, "quiet hours"
        email = channel is Channel.EMAIL
        return Delivery(
            id=delivery_id(self.event.id, person, channel),
            channel=channel,
            target=person,
            event_id=self.event.id,
            event_type=self.event.type,
            notification_type=str(notice.type),
            customer_id=notice.customer_id,
            created_at=self.now,
            next_attempt_at=to_millis(due),
            notification_id=notice.id,
            address=masked(channel, address),  # the real one is looked up at send time
            title=notice.title,
            body=notice.body,
            max_attempts=self.limits.email_max_attempts if email else self.limits.sms_max_attempts,
            deferred_reason=reason,
        )

    def _dead(self, rule: Rule, target: str, channel: Channel, reason: str) -> None:
        """What a rule could not send, recorded DEAD with the reason."""
        event = self.event
        self.plan.deliveries.append(
            Delivery(
                id=delivery_id(f"{event.id}:{rule.id}", target, channel),
                channel=channel,
                target=target,
                event_id=event.id,
                event_type=event.type,
                notification_type=str(rule.notification_type),
                customer_id=customer_of(rule, event.data, event.subject),
                created_at=self.now,
                next_attempt_at=self.now,
                status=DeliveryStatus.DEAD,
                max_attempts=0,
                last_error=f"rule {rule.id}: {reason}",
            )
        )
