"""The read side of rules and templates (ADMIN): what is in effect, and template previews."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crm_kit.errors import BadUserInput
from crm_notification.inbox.model import Language, NotificationType
from crm_notification.rules.defaults import DEFAULT_RULES
from crm_notification.rules.model import Rule, merge_rules
from crm_notification.rules.store import RuleRepository, TemplateRepository
from crm_notification.rules.templates import (
    TEMPLATES,
    Draft,
    Rendered,
    TemplateEntry,
    TemplateError,
    render,
)


class RuleQueries:
    def __init__(self, rules: RuleRepository, templates: TemplateRepository) -> None:
        self._rules = rules
        self._templates = templates

    async def rules_in_effect(self) -> list[Rule]:
        """Every rule in effect: stored ones replace defaults with the same id."""
        return merge_rules(DEFAULT_RULES, await self._rules.stored())

    async def templates(self) -> list[TemplateEntry]:
        """The template of every type and language, built-in or stored."""
        custom = await self._templates.all()
        merged = {**TEMPLATES, **custom}
        return [
            TemplateEntry(type, language, template, customized=(type, language) in custom)
            for (type, language), template in sorted(merged.items())
        ]

    async def preview(
        self,
        type: NotificationType,
        language: Language,
        variables: Mapping[str, Any],
        draft: Draft | None,
    ) -> Rendered:
        """Render with sample variables: the template in effect, or `draft` over it."""
        templates = {**TEMPLATES, **await self._templates.all()}
        if draft is not None:
            templates[(type, language)] = draft.over(templates.get((type, language)))
        try:
            return render(type, variables, language, templates)
        except TemplateError as exc:
            raise BadUserInput.single("variables", "TEMPLATE_ERROR", str(exc)) from exc
