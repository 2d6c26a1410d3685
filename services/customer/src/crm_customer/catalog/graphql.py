"""GraphQL of the ADMIN catalogs: custom field definitions and the tag catalog."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry
from strawberry.scalars import JSON

from crm_customer.catalog.model import FieldDefinition, FieldType
from crm_customer.catalog.model import Tag as TagModel
from crm_customer.graphql.context import Info
from crm_customer.i18n import EN, language_var

CustomFieldTypeEnum = strawberry.enum(FieldType, name="CustomFieldType")


@strawberry.type(
    description="An ADMIN-defined customer field. Values travel in `Customer.customFields` "
    "as a JSON object {key: value}: TEXT string, NUMBER number, DATE 'YYYY-MM-DD', SELECT one "
    "option, MULTISELECT a list of options, BOOLEAN true/false."
)
class CustomFieldDefinition:
    key: str
    label_zh: str
    label_en: str
    type: CustomFieldTypeEnum  # type: ignore[valid-type]
    required: bool
    options: list[str]
    active: bool
    position: int
    updated_at: datetime | None
    updated_by: str | None

    @strawberry.field(description="The label in the caller's language (Accept-Language).")
    def label(self) -> str:
        return self.label_en if language_var.get() == EN else self.label_zh

    @classmethod
    def from_model(cls, d: FieldDefinition) -> Self:
        return cls(
            key=d.key,
            label_zh=d.label_zh,
            label_en=d.label_en,
            type=d.type,
            required=d.required,
            options=list(d.options),
            active=d.active,
            position=d.position,
            updated_at=d.updated_at,
            updated_by=d.updated_by,
        )


@strawberry.input
class CustomFieldDefinitionInput:
    key: str = strawberry.field(description="a-z, 0-9, _; starts with a letter; ≤ 40. Fixed.")
    label_zh: str
    label_en: str
    type: CustomFieldTypeEnum  # type: ignore[valid-type]
    required: bool = False
    options: list[str] = strawberry.field(default_factory=list)
    active: bool = True
    position: int = 0

    def to_model(self) -> FieldDefinition:
        return FieldDefinition(
            key=self.key,
            label_zh=self.label_zh,
            label_en=self.label_en,
            type=FieldType(self.type),
            required=self.required,
            options=list(self.options),
            active=self.active,
            position=self.position,
        )


@strawberry.input(
    description="Customers whose custom field `key` equals `value` (MULTISELECT: "
    "holds that option). Several are ANDed."
)
class CustomFieldFilterInput:
    key: str
    value: JSON


async def catalog_tags(info: Info, names: list[str]) -> dict[str, TagModel]:
    """The catalog entries among `names`: one query per request for all customers' tags."""
    queries = info.context.deps.catalog_queries

    async def load(keys: list[str]) -> list[TagModel | None]:
        found = await queries.tags_named(keys)
        return [found.get(k) for k in keys]

    loader = info.context.loader("tag_catalog", load)
    entries = await loader.load_many(names)
    return {t.name: t for t in entries if isinstance(t, TagModel)}


@strawberry.type(description="A tag of the ADMIN catalog.")
class Tag:
    name: str
    color: str | None
    group: str | None
    description: str | None
    updated_at: datetime | None

    @strawberry.field(description="Live customers holding this tag (index-served count).")
    async def usage_count(self, info: Info) -> int:
        return await info.context.deps.customer_queries.tag_usage(self.name)

    @classmethod
    def from_model(cls, t: TagModel) -> Self:
        return cls(
            name=t.name,
            color=t.color,
            group=t.group,
            description=t.description,
            updated_at=t.updated_at,
        )


@strawberry.input
class TagInput:
    name: str
    color: str | None = strawberry.field(default=None, description="#RRGGBB")
    group: str | None = None
    description: str | None = None

    def to_model(self) -> TagModel:
        return TagModel(self.name, self.color, self.group, self.description)


@strawberry.type
class RenameTagResult:
    tag: Tag
    updated: int = strawberry.field(description="Customers whose tag was renamed.")
    failed: list[strawberry.ID] = strawberry.field(
        description="Customers that could not be changed (still hold the old name; renaming "
        "again retries them)."
    )


@strawberry.type
class CatalogQuery:
    @strawberry.field(description="Custom field definitions, by position (for forms and filters).")
    async def custom_field_definitions(
        self, info: Info, include_inactive: bool = False
    ) -> list[CustomFieldDefinition]:
        info.context.principal  # noqa: B018 - authenticate before any data is read
        found = await info.context.deps.catalog_queries.definitions()
        return [
            CustomFieldDefinition.from_model(d)
            for d in found.values()
            if d.active or include_inactive
        ]

    @strawberry.field(description="The tag catalog by group and name, with usage counts.")
    async def tags(self, info: Info, group: str | None = None) -> list[Tag]:
        info.context.principal  # noqa: B018
        found = await info.context.deps.catalog_queries.tags()
        return [Tag.from_model(t) for t in found if group is None or t.group == group]


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
