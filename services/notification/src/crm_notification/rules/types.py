"""GraphQL types of rules and templates (ADMIN)."""

from __future__ import annotations

from typing import Self

import strawberry

from crm_kit.graphql import described_enum
from crm_notification.channels.model import Channel
from crm_notification.inbox.model import NotificationType
from crm_notification.inbox.types import NotificationChannelEnum, NotificationTypeEnum
from crm_notification.rules.model import RecipientKind, RecipientSpec
from crm_notification.rules.model import Rule as RuleModel
from crm_notification.rules.templates import Rendered, TemplateEntry

RecipientKindEnum = strawberry.enum(RecipientKind, name="NotificationRecipientKind")
described_enum(
    RecipientKind,
    "How a rule's recipient selector finds staff to tell.",
    {
        RecipientKind.FIELD: "`value` is a path into the event data; the staff id (or list of "
        "ids) found there.",
        RecipientKind.TEAM_MANAGERS: "`value` is a path into the event data to a team; every "
        "MANAGER of that team in the staff directory.",
        RecipientKind.USER: "`value` is a fixed staff id.",
    },
)

_PATH = "a dotted path into the event data (`ticket.assigneeId`), alternatives separated by `|`"
_ID = "The rule's id; the built-in rules' ids are e.g. `ticket-assigned`."
_EVENT_TYPE = "The event type that triggers it, e.g. `ticket.assigned.v1` (docs/events.md)."
_NOTIFICATION_TYPE = "The type of notice it sends; its template renders the text."
_RECIPIENTS = "Who is told (each person once)."
_CHANNELS = (
    "The channels it sends on (IN_APP, EMAIL, SMS) to users who have not chosen channels for "
    "its type in their preferences."
)
_VARIABLES = (
    "The template variables it takes from the event data (`customerId` is always there); an "
    "event without one makes the notice a DEAD delivery with the reason."
)
_CUSTOMER_PATH = (
    f"Where the customer the notice is about is: {_PATH}; the event's subject when none is "
    "found; empty: about no customer."
)
_SKIP_ACTOR = "Leave out the person who caused the event (its `actorId`)."
_REQUIRE_RECIPIENT = (
    "An event that names nobody to tell is recorded as a DEAD delivery; false: it tells nobody "
    "silently."
)
_ENABLED = "Whether it applies; a disabled rule also switches off the built-in rule of its id."
_EMAIL_CUSTOMER = "Also e-mail the customer (their address is looked up when sending)."
PLACEHOLDERS = (
    "`{name}` placeholders for template variables (plain names only: no attribute access, "
    "indexing, conversion or format spec; `{{` and `}}` for literal braces)"
)


@strawberry.type(description="One recipient selector of a rule.")
class RecipientSelector:
    kind: RecipientKindEnum = strawberry.field(  # type: ignore[valid-type]
        description="How `value` is read."
    )
    value: str = strawberry.field(description=f"A staff id (USER), else {_PATH}.")


@strawberry.type(description="A template variable of a rule and where its value comes from.")
class TemplateVariable:
    name: str = strawberry.field(description="Its name, the `{name}` placeholder in templates.")
    path: str = strawberry.field(
        description=f"Where its value is: {_PATH} (the first non-empty one)."
    )


@strawberry.type(description="Event type → recipients → template (variables) → channels.")
class NotificationRule:
    id: strawberry.ID = strawberry.field(description=_ID)
    event_type: str = strawberry.field(description=_EVENT_TYPE)
    notification_type: NotificationTypeEnum = strawberry.field(  # type: ignore[valid-type]
        description=_NOTIFICATION_TYPE
    )
    recipients: list[RecipientSelector] = strawberry.field(description=_RECIPIENTS)
    channels: list[NotificationChannelEnum] = strawberry.field(  # type: ignore[valid-type]
        description=_CHANNELS
    )
    variables: list[TemplateVariable] = strawberry.field(description=_VARIABLES)
    customer_path: str = strawberry.field(description=_CUSTOMER_PATH)
    skip_actor: bool = strawberry.field(description=_SKIP_ACTOR)
    require_recipient: bool = strawberry.field(description=_REQUIRE_RECIPIENT)
    enabled: bool = strawberry.field(description=_ENABLED)
    email_customer: bool = strawberry.field(description=_EMAIL_CUSTOMER)

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


@strawberry.input(description="One recipient selector of a rule.")
class RecipientSelectorInput:
    kind: RecipientKindEnum = strawberry.field(  # type: ignore[valid-type]
        description="How `value` is read."
    )
    value: str = strawberry.field(description=f"A staff id (USER), else {_PATH}.")


@strawberry.input(description="A template variable of a rule and where its value comes from.")
class TemplateVariableInput:
    name: str = strawberry.field(
        description="Its name, the `{name}` placeholder in templates (a later one of the same "
        "name wins)."
    )
    path: str = strawberry.field(
        description=f"Where its value is: {_PATH} (the first non-empty one)."
    )


@strawberry.input(description="A whole rule, as saveNotificationRule stores it.")
class NotificationRuleInput:
    id: strawberry.ID = strawberry.field(
        description="The rule's id: a new one adds a rule, a stored or built-in one's "
        "replaces that rule (e.g. `ticket-assigned`)."
    )
    event_type: str = strawberry.field(description=_EVENT_TYPE)
    notification_type: NotificationTypeEnum = strawberry.field(  # type: ignore[valid-type]
        description=_NOTIFICATION_TYPE
    )
    recipients: list[RecipientSelectorInput] = strawberry.field(
        description=_RECIPIENTS + " At least one: else BAD_USER_INPUT (`recipients` REQUIRED)."
    )
    channels: list[NotificationChannelEnum] = strawberry.field(  # type: ignore[valid-type]
        description=_CHANNELS + " WEBHOOK is BAD_USER_INPUT (`channels` NOT_PERSONAL)."
    )
    variables: list[TemplateVariableInput] = strawberry.field(description=_VARIABLES)
    customer_path: str = strawberry.field(
        default="customer.id|customerId", description=_CUSTOMER_PATH
    )
    skip_actor: bool = strawberry.field(default=True, description=_SKIP_ACTOR)
    require_recipient: bool = strawberry.field(default=True, description=_REQUIRE_RECIPIENT)
    enabled: bool = strawberry.field(default=True, description=_ENABLED)
    email_customer: bool = strawberry.field(default=False, description=_EMAIL_CUSTOMER)

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


@strawberry.type(description="The title and body template of a notification type in a language.")
class NotificationTemplate:
    type: NotificationTypeEnum = strawberry.field(  # type: ignore[valid-type]
        description="The notification type."
    )
    language: str = strawberry.field(description="zh-CN or en.")
    title: str = strawberry.field(description="The title, with " + PLACEHOLDERS + ".")
    body: str = strawberry.field(description="The plain-text body, with placeholders as the title.")
    customized: bool = strawberry.field(
        description="Whether ADMIN stored it (saveNotificationTemplate); false: the built-in one."
    )

    @classmethod
    def from_model(cls, entry: TemplateEntry) -> Self:
        return cls(
            type=entry.type,
            language=str(entry.language),
            title=entry.template.title,
            body=entry.template.body,
            customized=entry.customized,
        )


@strawberry.type(description="A template rendered with sample variables.")
class TemplatePreview:
    title: str = strawberry.field(description="The rendered title.")
    body: str = strawberry.field(description="The rendered body.")
    language: str = strawberry.field(
        description="The language of the template used: the one asked for, else zh-CN."
    )

    @classmethod
    def from_model(cls, rendered: Rendered) -> Self:
        return cls(title=rendered.title, body=rendered.body, language=str(rendered.language))
