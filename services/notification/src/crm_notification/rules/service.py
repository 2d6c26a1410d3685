"""Rule use cases: ADMIN stores rules and templates; an event triggers notices — the lookups
the planner needs (rules, managers, preferences, templates, webhook subscriptions), the pure
plan (rules/planner.py), and its notifications, deliveries and digest items stored in the
consumer's transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crm_kit.auth import Principal
from crm_kit.events import CloudEvent
from crm_kit.mongo import Session
from crm_kit.uow import Transaction
from crm_notification.deliveries.service import DeliveryService
from crm_notification.digest.service import DigestService
from crm_notification.inbox.model import Language, NotificationType
from crm_notification.inbox.service import InboxService
from crm_notification.preferences.store import PreferenceRepository
from crm_notification.rules.defaults import DEFAULT_RULES
from crm_notification.rules.model import Rule, checked_rule, merge_rules, targets_of
from crm_notification.rules.planner import IncomingEvent, Limits, Lookups, plan_event
from crm_notification.rules.store import RuleRepository, TemplateRepository
from crm_notification.rules.templates import Template, check_template
from crm_notification.staff.store import StaffRepository
from crm_notification.webhooks.model import WEBHOOK_EVENT_TYPES
from crm_notification.webhooks.store import WebhookRepository


class RuleService:
    def __init__(
        self,
        rules: RuleRepository,
        templates: TemplateRepository,
        clock: Callable[[], datetime],
    ) -> None:
        self._rules = rules
        self._templates = templates
        self._clock = clock

    async def save_rule(self, admin: Principal, rule: Rule) -> Rule:
        """Create or replace a rule (the same id as a default overrides it)."""
        await self._rules.save(checked_rule(rule), admin.sub, self._clock())
        return rule

    async def set_template(
        self, admin: Principal, type: NotificationType, language: Language, template: Template
    ) -> Template:
        await self._templates.save(
            type, language, check_template(template), admin.sub, self._clock()
        )
        return template


@dataclass(frozen=True, kw_only=True)
class TriggerService:
    """What an event triggers: one handler serves every trigger, as what to do is data."""

    rules: RuleRepository
    templates: TemplateRepository
    staff: StaffRepository
    preferences: PreferenceRepository
    webhooks: WebhookRepository
    inbox: InboxService
    deliveries: DeliveryService
    digests: DigestService
    limits: Limits
    clock: Callable[[], datetime]

    async def notify(self, event: CloudEvent, tx: Transaction) -> None:
        """Plan what `event` triggers and store it; wake the scheduler for new work."""
        lookups = await self._lookups(event, tx.session)
        incoming = IncomingEvent(event.id, event.type, event.subject, event.data, event.to_dict())
        plan = plan_event(incoming, **lookups)
        await self.inbox.add(plan.notifications, tx, event.subject)
        await self.inbox.fold(plan.folds, tx)
        pending = await self.deliveries.add(plan.deliveries, tx, event.subject)
        await self.digests.add(plan.digest_items, tx.session)
        if pending:
            self.deliveries.wake_scheduler()

    async def _lookups(self, event: CloudEvent, session: Session) -> Lookups:
        stored = await self.rules.stored(event.type, session=session)
        rules = [
            r
            for r in merge_rules(DEFAULT_RULES, stored)
            if r.enabled and r.event_type == event.type
        ]
        managers = await self._managers(rules, event.data, session)
        people = {u for rule in rules for u in targets_of(rule, event.data).users}
        people.update(m for ms in managers.values() for m in ms)
        preferences = await self.preferences.many(sorted(people), session=session) if people else {}
        templates = await self.templates.all(session=session) if rules else {}
        webhooks = (
            await self.webhooks.listening_to(event.type, session=session)
            if event.type in WEBHOOK_EVENT_TYPES
            else []
        )
        return Lookups(
            rules=rules,
            managers=managers,
            preferences=preferences,
            templates=templates,
            webhooks=webhooks,
            now=self.clock(),
            limits=self.limits,
        )

    async def _managers(
        self, rules: Sequence[Rule], data: Mapping[str, Any], session: Session
    ) -> dict[str, list[str]]:
        """Rule id → the managers of the teams the rule names in `data`."""
        managers: dict[str, list[str]] = {}
        for rule in rules:
            teams = targets_of(rule, data).teams
            if teams:
                managers[rule.id] = await self.staff.managers_of(teams, session=session)
        return managers
