"""Rules and templates in GraphQL (ADMIN): what is in effect, previews, and changes."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from crm_kit.errors import BadUserInput
from crm_notification.graphql.context import Info, require_admin
from crm_notification.inbox.model import NotificationType, language_of
from crm_notification.inbox.types import NotificationTypeEnum
from crm_notification.rules.templates import Draft, Template, TemplateEntry
from crm_notification.rules.types import (
    PLACEHOLDERS,
    NotificationRule,
    NotificationRuleInput,
    NotificationTemplate,
    TemplatePreview,
)

_LANGUAGE = "zh-CN or en; else BAD_USER_INPUT (`language` UNSUPPORTED)."
TemplateType = Annotated[
    NotificationTypeEnum,  # type: ignore[valid-type]
    strawberry.argument(description="The notification type."),
]
TemplateLanguage = Annotated[str, strawberry.argument(description="The language: " + _LANGUAGE)]


@strawberry.type
class RuleQuery:
    @strawberry.field(
        description="ADMIN only (others: FORBIDDEN): every rule in effect (stored ones replace "
        "the built-in ones of the same id)."
    )
    async def notification_rules(self, info: Info) -> list[NotificationRule]:
        require_admin(info)
        rules = await info.context.deps.rule_queries.rules_in_effect()
        return [NotificationRule.from_model(r) for r in rules]

    @strawberry.field(
        description="ADMIN only (others: FORBIDDEN): the template in effect of every type and "
        "language."
    )
    async def notification_templates(self, info: Info) -> list[NotificationTemplate]:
        require_admin(info)
        entries = await info.context.deps.rule_queries.templates()
        return [NotificationTemplate.from_model(e) for e in entries]

    @strawberry.field(
        description="ADMIN only: render a template with sample variables: the one in effect, "
        "or the given title/body before saving them. Errors: FORBIDDEN, BAD_USER_INPUT "
        "(`language` UNSUPPORTED; `variables` INVALID, TEMPLATE_ERROR: a placeholder without a "
        "value, or not a plain `{name}`)."
    )
    async def preview_notification_template(
        self,
        info: Info,
        *,
        type: TemplateType,
        language: TemplateLanguage,
        variables: Annotated[
            JSON,
            strawberry.argument(
                description="A JSON object: placeholder name → value (shown as text; null as "
                "empty). Anything else is BAD_USER_INPUT (`variables` INVALID)."
            ),
        ],
        title: Annotated[
            str | None,
            strawberry.argument(description="A draft title; the one in effect when omitted."),
        ] = None,
        body: Annotated[
            str | None,
            strawberry.argument(description="A draft body; the one in effect when omitted."),
        ] = None,
    ) -> TemplatePreview:
        require_admin(info)
        lang = language_of(language)
        if not isinstance(variables, dict):
            raise BadUserInput.single("variables", "INVALID", "variables must be an object")
        draft = Draft(title, body) if title is not None or body is not None else None
        rendered = await info.context.deps.rule_queries.preview(
            NotificationType(type), lang, variables, draft
        )
        return TemplatePreview.from_model(rendered)


async def _save_notification_template(
    info: Info,
    type: TemplateType,
    language: TemplateLanguage,
    title: Annotated[str, strawberry.argument(description="The title, with " + PLACEHOLDERS + ".")],
    body: Annotated[
        str,
        strawberry.argument(description="The plain-text body, with placeholders as the title."),
    ],
) -> NotificationTemplate:
    """saveNotificationTemplate and its deprecated alias setNotificationTemplate."""
    admin = require_admin(info)
    lang = language_of(language)
    kind = NotificationType(type)
    template = await info.context.deps.rules.set_template(admin, kind, lang, Template(title, body))
    return NotificationTemplate.from_model(TemplateEntry(kind, lang, template, True))


@strawberry.type
class RuleMutation:
    @strawberry.mutation(
        description="ADMIN only: create or replace a rule (the same id as a built-in rule "
        "overrides it); events consumed from then on follow it. Errors: FORBIDDEN, "
        "BAD_USER_INPUT (`recipients` REQUIRED; `channels` NOT_PERSONAL)."
    )
    async def save_notification_rule(
        self,
        info: Info,
        input: Annotated[NotificationRuleInput, strawberry.argument(description="The rule.")],
    ) -> NotificationRule:
        admin = require_admin(info)
        rule = await info.context.deps.rules.save_rule(admin, input.to_model())
        return NotificationRule.from_model(rule)

    save_notification_template = strawberry.mutation(
        resolver=_save_notification_template,
        description="ADMIN only: store the template of a type in a language, replacing the "
        "built-in or stored one for notices planned from then on (an upsert by type and "
        "language). Errors: FORBIDDEN, BAD_USER_INPUT (`language` UNSUPPORTED; `title`, `body` "
        "INVALID_TEMPLATE).",
    )
    set_notification_template = strawberry.mutation(
        resolver=_save_notification_template,
        description="ADMIN only: store the template of a type in a language; the former name "
        "of saveNotificationTemplate (same arguments, same result, same errors).",
        deprecation_reason="Use saveNotificationTemplate; removed in the next major release.",
    )
