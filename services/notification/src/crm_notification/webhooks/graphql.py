"""Webhook subscriptions in GraphQL (ADMIN): list, register, enable or disable."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from crm_notification.graphql.context import Info, require_admin
from crm_notification.webhooks.model import Registration, checked_event_types
from crm_notification.webhooks.model import WebhookSubscription as WebhookModel


@strawberry.type(description="An ADMIN-registered receiver of signed event POSTs.")
class WebhookSubscription:
    id: strawberry.ID
    url: str
    event_types: list[str]
    description: str
    enabled: bool
    consecutive_failures: int
    disabled_reason: str | None
    created_at: datetime
    created_by: str

    @classmethod
    def from_model(cls, w: WebhookModel) -> Self:
        return cls(
            id=strawberry.ID(w.id),
            url=w.url,
            event_types=list(w.event_types),
            description=w.description,
            enabled=w.enabled,
            consecutive_failures=w.consecutive_failures,
            disabled_reason=w.disabled_reason,
            created_at=w.created_at,
            created_by=w.created_by,
        )


@strawberry.type
class CreatedWebhookSubscription:
    subscription: WebhookSubscription
    secret: str = strawberry.field(
        description="The HMAC-SHA256 signing secret; shown only in this response."
    )


@strawberry.input
class WebhookSubscriptionInput:
    url: str
    event_types: list[str]
    description: str = ""
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Retrying with the same key returns the first subscription (and its "
        "secret), creates nothing",
    )


@strawberry.type
class WebhookQuery:
    @strawberry.field(description="ADMIN: registered webhook subscriptions.")
    async def webhook_subscriptions(self, info: Info) -> list[WebhookSubscription]:
        require_admin(info)
        hooks = await info.context.deps.webhook_queries.all()
        return [WebhookSubscription.from_model(w) for w in hooks]


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(
        description="ADMIN: register a webhook; the response carries its signing secret once."
    )
    async def create_webhook_subscription(
        self, info: Info, input: WebhookSubscriptionInput
    ) -> CreatedWebhookSubscription:
        admin = require_admin(info)
        request = Registration(
            url=input.url,
            event_types=checked_event_types(input.event_types),
            description=input.description,
        )
        hook = await info.context.deps.webhooks.register(admin, request, input.idempotency_key)
        return CreatedWebhookSubscription(
            subscription=WebhookSubscription.from_model(hook), secret=hook.secret
        )

    @strawberry.mutation(description="ADMIN: enable (resetting its failure count) or disable.")
    async def set_webhook_subscription_enabled(
        self, info: Info, id: strawberry.ID, enabled: bool
    ) -> WebhookSubscription:
        require_admin(info)
        hook = await info.context.deps.webhooks.set_enabled(str(id), enabled)
        return WebhookSubscription.from_model(hook)
