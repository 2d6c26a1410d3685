"""GraphQL types of rules and templates (ADMIN)."""

from __future__ import annotations

from typing import Self

import strawberry

from crm_notification.channels.model import Channel
from crm_notification.inbox.model import NotificationType
from crm_notification.inbox.types import NotificationChannelEnum, NotificationTypeEnum
from crm_notification.rules.model import RecipientKind, RecipientSpec
from crm_notification.rules.model import Rule as RuleModel
from crm_notification.rules.templates import Rendered, TemplateEntry

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

    def to_model(self) -> RuleModel:
        return RuleModel(
            id=str(self.id),
            event_type=self.event_type,
            notification_type=NotificationType(self.notification_type),
            recipients=tuple(
                RecipientSpec(RecipientKind(r.kind), r.value) for r in self.recipients
            ),
            channels=tuple(Channel(c) for c in self.channels),
            variables={v.name: v.path for v in self.variables},
            customer_path=self.customer_path,
            skip_actor=self.skip_actor,
            require_recipient=self.require_recipient,
            enabled=self.enabled,
            email_customer=self.email_customer,
        )


@strawberry.type
class NotificationTemplate:
    type: NotificationTypeEnum  # type: ignore[valid-type]
    language: str
    title: str
    body: str
    customized: bool

    @classmethod
    def from_model(cls, entry: TemplateEntry) -> Self:
        return cls(
            type=entry.type,
            language=str(entry.language),
            title=entry.template.title,
            body=entry.template.body,
            customized=entry.customized,
        )


@strawberry.type
class TemplatePreview:
    title: str
    body: str
    language: str

    @classmethod
    def from_model(cls, rendered: Rendered) -> Self:
        return cls(title=rendered.title, body=rendered.body, language=str(rendered.language))
