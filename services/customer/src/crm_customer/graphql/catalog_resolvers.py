"""Queries and mutations of the ADMIN catalogs (custom fields, tags, assignment rules)."""

from __future__ import annotations

import strawberry

from crm_customer.graphql.catalog_types import (
    AssignmentPreview,
    AssignmentRule,
    AssignmentRuleInput,
    CustomFieldDefinition,
    CustomFieldDefinitionInput,
    RenameTagResult,
    Tag,
    TagInput,
)
from crm_customer.graphql.context import Info
from crm_kit.auth import Role


@strawberry.type
class CatalogQuery:
    @strawberry.field(description="Custom field definitions, by position (for forms and filters).")
    async def custom_field_definitions(
        self, info: Info, include_inactive: bool = False
    ) -> list[CustomFieldDefinition]:
        info.context.principal  # noqa: B018 - authenticate before any data is read
        found = await info.context.deps.catalog.definitions.all()
        return [
            CustomFieldDefinition.from_model(d)
            for d in found.values()
            if d.active or include_inactive
        ]

    @strawberry.field(description="The tag catalog by group and name, with usage counts.")
    async def tags(self, info: Info, group: str | None = None) -> list[Tag]:
        info.context.principal  # noqa: B018
        found = await info.context.deps.catalog.tag_store.all()
        return [Tag.from_model(t) for t in found if group is None or t.group == group]

    @strawberry.field(description="ADMIN/MANAGER: the assignment rules in the order tried.")
    async def assignment_rules(self, info: Info) -> list[AssignmentRule]:
        info.context.principal.require_role(Role.ADMIN, Role.MANAGER)
        rules = await info.context.deps.catalog.rules.all()
        return [AssignmentRule.from_model(r) for r in rules]

    @strawberry.field(
        description="ADMIN/MANAGER: who the rules would pick now for a customer in this "
        "place and industry (does not take a round-robin turn)."
    )
    async def assignment_preview(
        self,
        info: Info,
        province: str | None = None,
        city: str | None = None,
        industry: str | None = None,
    ) -> AssignmentPreview | None:
        info.context.principal.require_role(Role.ADMIN, Role.MANAGER)
        assigner = info.context.deps.commands.assigner
        if assigner is None:
            return None
        chosen = await assigner.choose(province, city, industry, preview=True)
        return AssignmentPreview.from_model(chosen) if chosen else None


@strawberry.type
class CatalogMutation:
    @strawberry.mutation(description="ADMIN: create or edit a custom field (the type is fixed).")
    async def save_custom_field_definition(
        self, info: Info, input: CustomFieldDefinitionInput
    ) -> CustomFieldDefinition:
        saved = await info.context.deps.catalog.save_definition(
            info.context.principal, input.to_model()
        )
        return CustomFieldDefinition.from_model(saved)

    @strawberry.mutation(
        description="ADMIN: retire a custom field: no new values; stored values stay readable."
    )
    async def deactivate_custom_field_definition(
        self, info: Info, key: str
    ) -> CustomFieldDefinition:
        done = await info.context.deps.catalog.deactivate_definition(info.context.principal, key)
        return CustomFieldDefinition.from_model(done)

    @strawberry.mutation(description="ADMIN: add or edit a catalog tag (by name).")
    async def save_tag(self, info: Info, input: TagInput) -> Tag:
        saved = await info.context.deps.catalog.save_tag(info.context.principal, input.to_model())
        return Tag.from_model(saved)

    @strawberry.mutation(
        description="ADMIN: rename a catalog tag and, in batches, on every customer holding "
        "it (each a new version with customer.updated.v1). Safe to repeat after a failure."
    )
    async def rename_tag(self, info: Info, name: str, new_name: str) -> RenameTagResult:
        result = await info.context.deps.catalog.rename_tag(info.context.principal, name, new_name)
        return RenameTagResult(
            tag=Tag.from_model(result.tag),
            updated=result.updated,
            failed=[strawberry.ID(i) for i in result.failed],
        )

    @strawberry.mutation(description="ADMIN: remove from the catalog (customers keep it, free).")
    async def delete_tag(self, info: Info, name: str) -> bool:
        return await info.context.deps.catalog.delete_tag(info.context.principal, name)

    @strawberry.mutation(description="ADMIN: create (no id) or replace an assignment rule.")
    async def save_assignment_rule(self, info: Info, input: AssignmentRuleInput) -> AssignmentRule:
        saved = await info.context.deps.catalog.save_rule(
            info.context.principal, input.to_model(), input.idempotency_key
        )
        return AssignmentRule.from_model(saved)

    @strawberry.mutation(description="ADMIN: delete an assignment rule.")
    async def delete_assignment_rule(self, info: Info, id: strawberry.ID) -> bool:
        return await info.context.deps.catalog.delete_rule(info.context.principal, str(id))
