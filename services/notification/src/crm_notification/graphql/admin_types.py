"""GraphQL types for what ADMIN manages: rules, templates, webhooks, the delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from crm_kit.graphql import PageInfo
from crm_notification.delivery import Delivery as DeliveryModel
from crm_notification.delivery import DeliveryStatus
from crm_notification.graphql.types import NotificationChannelEnum, NotificationTypeEnum
from crm_notification.rules import RecipientKind
from crm_notification.rules import Rule as RuleModel
from crm_notification.webhook_repository import WebhookSubscription as WebhookModel

DeliveryStatusEnum = strawberry.enum(DeliveryStatus, name="DeliveryStatus")
RecipientKindEnum = strawberry.enum(RecipientKind, name="NotificationRecipientKind")


@strawberry.type
class RecipientSelector:
    kind: RecipientKindEnum  # type: ignore[valid-type]
    value: str


@strawberry.type
class TemplateVariable:
    name: str
    path: str


@strawberry.type(description="Event type → recipients → template (variables) → channels.")
class NotificationRule:
    id: strawberry.ID
    event_type: str
    notification_type: NotificationTypeEnum  # type: ignore[valid-type]
    recipients: list[RecipientSelector]
    channels: list[NotificationChannelEnum]  # type: ignore[valid-type]
    variables: list[TemplateVariable]
    customer_path: str
    skip_actor: bool
    require_recipient: bool
    enabled: bool
    email_customer: bool = strawberry.field(
        description="Also email the customer (their address is looked up when sending)"
    )

    @classmethod
    def from_model(cls, r: RuleModel) -> Self:
        return cls(
            id=strawberry.ID(r.id),
            event_type=r.event_type,
            notification_type=r.notification_type,
            recipients=[RecipientSelector(kind=s.kind, value=s.value) for s in r.recipients],
            channels=list(r.channels),
            variables=[TemplateVariable(name=k, path=v) for k, v in r.variables.items()],
            customer_path=r.customer_path,
            skip_actor=r.skip_actor,
            require_recipient=r.require_recipient,
            enabled=r.enabled,
            email_customer=r.email_customer,
        )


@strawberry.input
class RecipientSelectorInput:
    kind: RecipientKindEnum  # type: ignore[valid-type]
    value: str


@strawberry.input
class TemplateVariableInput:
    name: str
    path: str


@strawberry.input
class NotificationRuleInput:
    id: strawberry.ID
    event_type: str
    notification_type: NotificationTypeEnum  # type: ignore[valid-type]
    recipients: list[RecipientSelectorInput]
    channels: list[NotificationChannelEnum]  # type: ignore[valid-type]
    variables: list[TemplateVariableInput]
    customer_path: str = "customer.id|customerId"
    skip_actor: bool = True
    require_recipient: bool = True
    enabled: bool = True
    email_customer: bool = False


@strawberry.type
class NotificationTemplate:
    type: NotificationTypeEnum  # type: ignore[valid-type]
    language: str
    title: str
    body: str
    customized: bool


@strawberry.type
class TemplatePreview:
    title: str
    body: str
    language: str


@strawberry.type
class DeliveryAttempt:
    at: datetime
    duration_ms: int
    ok: bool
    error: str | None


@strawberry.type(description="One message to one destination on one channel, with its attempts.")
class NotificationDelivery:
    id: strawberry.ID
    channel: NotificationChannelEnum  # type: ignore[valid-type]
    target: str
    event_id: str
    event_type: str
    notification_type: str
    customer_id: strawberry.ID | None
    address: str | None
    status: DeliveryStatusEnum  # type: ignore[valid-type]
    attempts: int
    max_attempts: int
    last_error: str | None
    history: list[DeliveryAttempt]
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
    deferred_reason: str | None
    replay_of: strawberry.ID | None

    @classmethod
    def from_model(cls, d: DeliveryModel) -> Self:
        return cls(
            id=strawberry.ID(d.id),
            channel=d.channel,
            target=d.target,
            event_id=d.event_id,
            event_type=d.event_type,
            notification_type=d.notification_type,
            customer_id=strawberry.ID(d.customer_id) if d.customer_id else None,
            address=d.address,
            status=d.status,
            attempts=d.attempts,
            max_attempts=d.max_attempts,
            last_error=d.last_error,
            history=[
                DeliveryAttempt(at=a.at, duration_ms=a.duration_ms, ok=a.ok, error=a.error)
                for a in d.history
            ],
            created_at=d.created_at,
            next_attempt_at=d.next_attempt_at,
            sent_at=d.sent_at,
            deferred_reason=d.deferred_reason,
            replay_of=strawberry.ID(d.replay_of) if d.replay_of else None,
        )


@strawberry.type
class NotificationDeliveryEdge:
    cursor: str
    node: NotificationDelivery


@strawberry.type
class NotificationDeliveryConnection:
    edges: list[NotificationDeliveryEdge]
    page_info: PageInfo
    total_count: int


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
