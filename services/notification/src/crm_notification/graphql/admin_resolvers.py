"""ADMIN operations: rules, templates (with preview), webhook subscriptions, delivery log."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import strawberry
from pymongo.errors import DuplicateKeyError
from strawberry.scalars import JSON

from crm_kit import idempotency
from crm_kit.auth import Principal, Role
from crm_kit.errors import BadUserInput, FieldError, NotFound
from crm_kit.graphql import PageInfo
from crm_notification.delivery import DeliveryStatus
from crm_notification.domain import (
    TEMPLATES,
    Channel,
    Language,
    NotificationType,
    Template,
    TemplateError,
    fill,
    render,
    to_millis,
)
from crm_notification.graphql.admin_types import (
    CreatedWebhookSubscription,
    DeliveryStatusEnum,
    NotificationDelivery,
    NotificationDeliveryConnection,
    NotificationDeliveryEdge,
    NotificationRule,
    NotificationRuleInput,
    NotificationTemplate,
    TemplatePreview,
    WebhookSubscription,
    WebhookSubscriptionInput,
)
from crm_notification.graphql.context import Info
from crm_notification.graphql.types import NotificationChannelEnum, NotificationTypeEnum
from crm_notification.pagination import (
    DEFAULT_PAGE_SIZE,
    Position,
    decode_cursor,
    encode_cursor,
    page_size,
)
from crm_notification.rules import (
    DEFAULT_RULES,
    WEBHOOK_EVENT_TYPES,
    RecipientKind,
    RecipientSpec,
    Rule,
    merge_rules,
)
from crm_notification.webhook_repository import WebhookSubscription as WebhookModel
from crm_notification.webhook_security import UnsafeTarget, check_url, new_secret


def _admin(info: Info) -> Principal:
    principal = info.context.principal
    principal.require_role(Role.ADMIN)
    return principal


def _language(value: str) -> Language:
    try:
        return Language(value)
    except ValueError as exc:
        raise BadUserInput.single("language", "UNSUPPORTED", "Use zh-CN or en") from exc


class _AnyName(Mapping[str, Any]):
    """Every name is present (value empty): checks a template's syntax without variables."""

    def __getitem__(self, key: str) -> Any:
        return ""

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self) -> Any:
        return iter(())

    def __len__(self) -> int:
        return 0


def _check_template(template: Template) -> None:
    errors: list[FieldError] = []
    for field, text in (("title", template.title), ("body", template.body)):
        try:
            fill(text, _AnyName())
        except TemplateError as exc:
            errors.append(FieldError(field, "INVALID_TEMPLATE", str(exc)))
    if errors:
        raise BadUserInput(errors)


@strawberry.type
class AdminQuery:
    @strawberry.field(description="ADMIN: every rule in effect (stored ones replace defaults).")
    async def notification_rules(self, info: Info) -> list[NotificationRule]:
        _admin(info)
        stored = await info.context.deps.rules.stored()
        return [NotificationRule.from_model(r) for r in merge_rules(DEFAULT_RULES, stored)]

    @strawberry.field(description="ADMIN: the template of every type and language.")
    async def notification_templates(self, info: Info) -> list[NotificationTemplate]:
        _admin(info)
        custom = await info.context.deps.templates.all()
        merged = {**TEMPLATES, **custom}
        return [
            NotificationTemplate(
                type=t,
                language=str(lang),
                title=tpl.title,
                body=tpl.body,
                customized=(t, lang) in custom,
            )
            for (t, lang), tpl in sorted(merged.items())
        ]

    @strawberry.field(
        description="Render a template with sample variables: the stored one, or the given "
        "title/body before saving them. Template errors are BAD_USER_INPUT."
    )
    async def preview_notification_template(
        self,
        info: Info,
        *,
        type: NotificationTypeEnum,  # type: ignore[valid-type]
        language: str,
        variables: JSON,
        title: str | None = None,
        body: str | None = None,
    ) -> TemplatePreview:
        _admin(info)
        lang = _language(language)
        if not isinstance(variables, dict):
            raise BadUserInput.single("variables", "INVALID", "variables must be an object")
        templates = {**TEMPLATES, **await info.context.deps.templates.all()}
        current = templates.get((NotificationType(type), lang))
        if title is not None or body is not None:
            templates[(NotificationType(type), lang)] = Template(
                title if title is not None else (current.title if current else ""),
                body if body is not None else (current.body if current else ""),
            )
        try:
            rendered = render(NotificationType(type), variables, lang, templates)
        except TemplateError as exc:
            raise BadUserInput.single("variables", "TEMPLATE_ERROR", str(exc)) from exc
        return TemplatePreview(
            title=rendered.title, body=rendered.body, language=str(rendered.language)
        )

    @strawberry.field(description="ADMIN: the delivery log, newest first.")
    async def notification_deliveries(
        self,
        info: Info,
        *,
        status: DeliveryStatusEnum | None = None,  # type: ignore[valid-type]
        channel: NotificationChannelEnum | None = None,  # type: ignore[valid-type]
        target: str | None = None,
        first: int | None = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> NotificationDeliveryConnection:
        _admin(info)
        repo = info.context.deps.deliveries
        size = page_size(DEFAULT_PAGE_SIZE if first is None else first)
        position = decode_cursor(after) if after else None
        filters = {
            k: str(v)
            for k, v in (("status", status), ("channel", channel), ("target", target))
            if v is not None
        }
        (items, has_next), total = await asyncio.gather(
            repo.page(
                status=DeliveryStatus(status) if status else None,
                channel=Channel(channel) if channel else None,
                target=target,
                first=size,
                after=(position.created_at, position.id) if position else None,
            ),
            repo.count(**filters),
        )
        cursors = [encode_cursor(Position(d.created_at, d.id)) for d in items]
        return NotificationDeliveryConnection(
            edges=[
                NotificationDeliveryEdge(cursor=c, node=NotificationDelivery.from_model(d))
                for c, d in zip(cursors, items, strict=True)
            ],
            page_info=PageInfo(
                has_next_page=has_next,
                has_previous_page=position is not None,
                start_cursor=cursors[0] if cursors else None,
                end_cursor=cursors[-1] if cursors else None,
            ),
            total_count=total,
        )

    @strawberry.field(description="ADMIN: registered webhook subscriptions.")
    async def webhook_subscriptions(self, info: Info) -> list[WebhookSubscription]:
        _admin(info)
        return [WebhookSubscription.from_model(w) for w in await info.context.deps.webhooks.all()]


@strawberry.type
class AdminMutation:
    @strawberry.mutation(
        description="ADMIN: create or replace a rule (same id as a default overrides it)."
    )
    async def save_notification_rule(
        self, info: Info, input: NotificationRuleInput
    ) -> NotificationRule:
        admin = _admin(info)
        if not input.recipients:
            raise BadUserInput.single("recipients", "REQUIRED", "A rule needs recipients")
        rule = Rule(
            id=str(input.id),
            event_type=input.event_type,
            notification_type=NotificationType(input.notification_type),
            recipients=tuple(
                RecipientSpec(RecipientKind(r.kind), r.value) for r in input.recipients
            ),
            channels=tuple(Channel(c) for c in input.channels),
            variables={v.name: v.path for v in input.variables},
            customer_path=input.customer_path,
            skip_actor=input.skip_actor,
            require_recipient=input.require_recipient,
            enabled=input.enabled,
            email_customer=input.email_customer,
        )
        if Channel.WEBHOOK in rule.channels:
            raise BadUserInput.single(
                "channels", "NOT_PERSONAL", "WEBHOOK is configured with webhook subscriptions"
            )
        await info.context.deps.rules.save(rule, admin.sub, info.context.deps.clock())
        return NotificationRule.from_model(rule)

    @strawberry.mutation(description="ADMIN: set the template of a type in a language.")
    async def set_notification_template(
        self,
        info: Info,
        type: NotificationTypeEnum,  # type: ignore[valid-type]
        language: str,
        title: str,
        body: str,
    ) -> NotificationTemplate:
        admin = _admin(info)
        lang = _language(language)
        template = Template(title, body)
        _check_template(template)
        deps = info.context.deps
        await deps.templates.save(NotificationType(type), lang, template, admin.sub, deps.clock())
        return NotificationTemplate(
            type=type, language=str(lang), title=title, body=body, customized=True
        )

    @strawberry.mutation(
        description="ADMIN: register a webhook; the response carries its signing secret once."
    )
    async def create_webhook_subscription(
        self, info: Info, input: WebhookSubscriptionInput
    ) -> CreatedWebhookSubscription:
        admin = _admin(info)
        deps = info.context.deps
        unknown = [t for t in input.event_types if t not in WEBHOOK_EVENT_TYPES]
        if not input.event_types or unknown:
            raise BadUserInput.single(
                "eventTypes", "UNKNOWN_EVENT_TYPE", f"Unknown or no event types: {unknown}"
            )
        try:
            await asyncio.to_thread(
                check_url, input.url, allow_private=deps.settings.webhook_allow_private
            )
        except UnsafeTarget as exc:
            raise BadUserInput.single("url", "UNSAFE_URL", str(exc)) from exc
        hook = WebhookModel(
            id=idempotency.derived_id("wh_", admin, input.idempotency_key),
            url=input.url,
            event_types=tuple(dict.fromkeys(input.event_types)),
            secret=new_secret(),
            enabled=True,
            created_at=to_millis(deps.clock()),
            created_by=admin.sub,
            description=input.description,
        )
        if input.idempotency_key is not None:
            # a retry returns the first subscription, its secret included (same admin, same key)
            first = await deps.webhooks.get(hook.id)
            if first is None:
                try:
                    await deps.webhooks.add(hook)
                except DuplicateKeyError:  # a concurrent retry inserted it first
                    first = await deps.webhooks.get(hook.id)
            if first is not None:
                same = (first.url, first.event_types, first.description) == (
                    hook.url,
                    hook.event_types,
                    hook.description,
                )
                idempotency.ensure_same_request(same, "webhook subscription", first.id)
                hook = first
        else:
            await deps.webhooks.add(hook)
        return CreatedWebhookSubscription(
            subscription=WebhookSubscription.from_model(hook), secret=hook.secret
        )

    @strawberry.mutation(description="ADMIN: enable (resetting its failure count) or disable.")
    async def set_webhook_subscription_enabled(
        self, info: Info, id: strawberry.ID, enabled: bool
    ) -> WebhookSubscription:
        _admin(info)
        repo = info.context.deps.webhooks
        hook = await repo.get(str(id))
        if hook is None:
            raise NotFound("WebhookSubscription", str(id))
        hook = replace(
            hook,
            enabled=enabled,
            consecutive_failures=0 if enabled else hook.consecutive_failures,
            disabled_reason=None if enabled else "disabled by an administrator",
        )
        await repo.save(hook)
        return WebhookSubscription.from_model(hook)

    @strawberry.mutation(
        description="ADMIN: send a delivery again as a new delivery (its log keeps `replayOf`)."
    )
    async def replay_notification_delivery(
        self, info: Info, id: strawberry.ID
    ) -> NotificationDelivery:
        _admin(info)
        deps = info.context.deps
        original = await deps.deliveries.get(str(id))
        if original is None:
            raise NotFound("NotificationDelivery", str(id))
        if (
            original.status is not DeliveryStatus.SENT
            and original.status is not DeliveryStatus.DEAD
        ):
            raise BadUserInput.single(
                "id", "NOT_FINISHED", "Only SENT or DEAD deliveries can be replayed"
            )
        now = to_millis(deps.clock())
        replay = replace(
            original,
            id=f"dlv_{uuid.uuid4().hex}",
            status=DeliveryStatus.PENDING,
            attempts=0,
            max_attempts=max(original.max_attempts, 1),
            history=(),
            last_error=None,
            sent_at=None,
            created_at=now,
            next_attempt_at=now,
            deferred_reason=None,
            replay_of=original.id,
        )
        await deps.deliveries.add(replay)
        deps.wake_scheduler()
        return NotificationDelivery.from_model(replay)
