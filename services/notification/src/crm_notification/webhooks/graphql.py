"""Webhook subscriptions in GraphQL (ADMIN): list, register, enable or disable."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

import strawberry

from crm_kit.idempotency_keys import KEY_MAX_CHARS
from crm_notification.graphql.context import Info, require_admin
from crm_notification.graphql.staff_ref import StaffMember, staff_ref
from crm_notification.webhooks.model import (
    WEBHOOK_EVENT_TYPES,
    Registration,
    checked_event_types,
)
from crm_notification.webhooks.model import WebhookSubscription as WebhookModel

_SIGNED = (
    "An ADMIN-registered receiver of events: each is POSTed as a CloudEvent "
    "(`application/cloudevents+json`, redirects not followed, any 2xx is success) with the "
    "headers X-CRM-Delivery-Id, X-CRM-Event-Type, X-CRM-Timestamp (Unix seconds) and "
    "X-CRM-Signature: `sha256=` + the hex HMAC-SHA256 of `<timestamp>.<body>` keyed with its "
    "secret. Failed POSTs are retried (see notificationDeliveries)."
)


@strawberry.type(description=_SIGNED)
class WebhookSubscription:
    id: strawberry.ID = strawberry.field(
        description="The subscription's id (`wh_…`): the `target` of its deliveries."
    )
    url: str = strawberry.field(description="Where events are POSTed (http or https).")
    event_types: list[str] = strawberry.field(description="The event types it receives.")
    description: str = strawberry.field(description="ADMIN's note about it; empty when none.")
    enabled: bool = strawberry.field(
        description="Whether it receives events. It is disabled by ADMIN, or after "
        "WEBHOOK_DISABLE_AFTER_FAILURES (20 by default) consecutive failed attempts; its "
        "pending deliveries are then given up (DEAD)."
    )
    consecutive_failures: int = strawberry.field(
        description="Failed attempts since the last success (or since it was last enabled)."
    )
    disabled_reason: str | None = strawberry.field(
        description="Why it is disabled (`disabled by an administrator`, or `disabled after N "
        "consecutive failed attempts`); null while enabled."
    )
    created_at: datetime = strawberry.field(description="When it was registered (RFC 3339, UTC).")
    created_by: strawberry.ID = strawberry.field(
        description="The staff id of the ADMIN who registered it (see `creator`)."
    )

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
            created_by=strawberry.ID(w.created_by),
        )

    @strawberry.field(
        description="The ADMIN who registered it (`createdBy` resolved by the customer subgraph); "
        "null when the id "
        "is not in the staff directory."
    )
    def creator(self) -> StaffMember | None:
        return staff_ref(self.created_by)


@strawberry.type(description="A newly registered webhook subscription and its signing secret.")
class CreatedWebhookSubscription:
    subscription: WebhookSubscription = strawberry.field(description="The subscription.")
    secret: str = strawberry.field(
        description="The HMAC-SHA256 signing secret; shown only in this response."
    )


@strawberry.input(description="A webhook subscription to register.")
class WebhookSubscriptionInput:
    url: str = strawberry.field(
        description="http:// or https:// with a host and no credentials; every address the "
        "host resolves to must be public (not loopback, private, link-local, …) unless the "
        "service allows private targets (WEBHOOK_ALLOW_PRIVATE). Checked again before every "
        "POST. Else BAD_USER_INPUT (`url` UNSAFE_URL)."
    )
    event_types: list[str] = strawberry.field(
        description="The event types to receive, at least one, of: "
        + ", ".join(WEBHOOK_EVENT_TYPES)
        + ". Else BAD_USER_INPUT (`eventTypes` UNKNOWN_EVENT_TYPE)."
    )
    description: str = strawberry.field(default="", description="A note for administrators.")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Retrying with the same key returns the first subscription (and its "
        f"secret), creates nothing. Not blank, at most {KEY_MAX_CHARS} characters.",
    )


@strawberry.type
class WebhookQuery:
    @strawberry.field(
        description="ADMIN only (others: FORBIDDEN): every webhook subscription, oldest first."
    )
    async def webhook_subscriptions(self, info: Info) -> list[WebhookSubscription]:
        require_admin(info)
        hooks = await info.context.deps.webhook_queries.all()
        return [WebhookSubscription.from_model(w) for w in hooks]


async def _update_webhook_subscription(
    info: Info,
    id: Annotated[strawberry.ID, strawberry.argument(description="The subscription's id.")],
    enabled: Annotated[
        bool,
        strawberry.argument(
            description="true: it receives events again; false: it receives none, and its "
            "pending deliveries are given up (DEAD) when they fall due."
        ),
    ],
) -> WebhookSubscription:
    """updateWebhookSubscription and its deprecated alias setWebhookSubscriptionEnabled."""
    require_admin(info)
    hook = await info.context.deps.webhooks.set_enabled(str(id), enabled)
    return WebhookSubscription.from_model(hook)


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(
        description="ADMIN only: register a webhook, enabled; the response carries its signing "
        "secret once. Errors: FORBIDDEN, BAD_USER_INPUT (`eventTypes` UNKNOWN_EVENT_TYPE; "
        "`url` UNSAFE_URL; `idempotencyKey` REQUIRED, TOO_LONG), CONFLICT (idempotencyKey "
        "reused for a different request)."
    )
    async def create_webhook_subscription(
        self,
        info: Info,
        input: Annotated[
            WebhookSubscriptionInput, strawberry.argument(description="The subscription.")
        ],
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

    update_webhook_subscription = strawberry.mutation(
        resolver=_update_webhook_subscription,
        description="ADMIN only: change a webhook subscription: enable it (resetting its "
        "failure count) or disable it. Errors: NOT_FOUND, FORBIDDEN.",
    )
    set_webhook_subscription_enabled = strawberry.mutation(
        resolver=_update_webhook_subscription,
        description="ADMIN only: enable or disable a webhook subscription; the former name of "
        "updateWebhookSubscription (same arguments, same result, same errors).",
        deprecation_reason="Use updateWebhookSubscription; removed in the next major release.",
    )
