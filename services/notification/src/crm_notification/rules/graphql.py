"""Rules and templates in GraphQL (ADMIN): what is in effect, previews, and changes."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from crm_kit.errors import BadUserInput
from crm_notification.graphql.context import Info, require_admin
from crm_notification.inbox.model import NotificationType, language_of
from crm_notification.inbox.types import NotificationTypeEnum
from crm_notification.rules.templates import Draft, Template, TemplateEntry
from crm_notification.rules.types import (
    NotificationRule,
    NotificationRuleInput,
    NotificationTemplate,
    TemplatePreview,
)


@strawberry.type
class RuleQuery:
    @strawberry.field(description="ADMIN: every rule in effect (stored ones replace defaults).")
    async def notification_rules(self, info: Info) -> list[NotificationRule]:
        require_admin(info)
        rules = await info.context.deps.rule_queries.rules_in_effect()
        return [NotificationRule.from_model(r) for r in rules]

    @strawberry.field(description="ADMIN: the template of every type and language.")
    async def notification_templates(self, info: Info) -> list[NotificationTemplate]:
        require_admin(info)
        entries = await info.context.deps.rule_queries.templates()
        return [NotificationTemplate.from_model(e) for e in entries]

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
        require_admin(info)
        lang = language_of(language)
        if not isinstance(variables, dict):
            raise BadUserInput.single("variables", "INVALID", "variables must be an object")
        draft = Draft(title, body) if title is not None or body is not None else None
        rendered = await info.context.deps.rule_queries.preview(
            NotificationType(type), lang, variables, draft
        )
        return TemplatePreview.from_model(rendered)


@strawberry.type
class RuleMutation:
    @strawberry.mutation(
        description="ADMIN: create or replace a rule (same id as a default overrides it)."
    )
    async def save_notification_rule(
        self, info: Info, input: NotificationRuleInput
    ) -> NotificationRule:
        admin = require_admin(info)
        rule = await info.context.deps.rules.save_rule(admin, input.to_model())
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
        admin = require_admin(info)
        lang = language_of(language)
        kind = NotificationType(type)
        template = await info.context.deps.rules.set_template(
            admin, kind, lang, Template(title, body)
        )
        return NotificationTemplate.from_model(TemplateEntry(kind, lang, template, True))
