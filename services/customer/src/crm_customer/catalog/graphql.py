"""GraphQL of the ADMIN catalogs: custom field definitions and the tag catalog."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

import strawberry
from strawberry.scalars import JSON

from crm_customer.catalog.model import FieldDefinition, FieldType
from crm_customer.catalog.model import Tag as TagModel
from crm_customer.graphql.context import Info
from crm_customer.i18n import EN, language_var
from crm_customer.staff.graphql import StaffMember, staff_member
from crm_kit.graphql import described_enum

CustomFieldTypeEnum = described_enum(
    FieldType,
    name="CustomFieldType",
    description="What values a custom field takes (as JSON in `customFields`).",
    values={
        "TEXT": "A string, at most 500 characters (whitespace collapsed).",
        "NUMBER": "A finite JSON number.",
        "DATE": "An ISO 8601 date string, 'YYYY-MM-DD'.",
        "SELECT": "One of the definition's options (a string).",
        "MULTISELECT": "A list of the definition's options.",
        "BOOLEAN": "true or false.",
    },
)
_LABEL = "1–100 characters, whitespace collapsed (REQUIRED, TOO_LONG)."
_WHEN = "(ISO 8601 date-time, UTC); null when not recorded."


@strawberry.type(
    description="An ADMIN-defined customer field. Values travel in `Customer.customFields` "
    "as a JSON object {key: value}: TEXT string, NUMBER number, DATE 'YYYY-MM-DD', SELECT one "
    "option, MULTISELECT a list of options, BOOLEAN true/false."
)
class CustomFieldDefinition:
    key: str = strawberry.field(
        description="The field's key in `customFields` (a–z, 0–9, _, a letter first, at most 40 "
        "characters); fixed."
    )
    label_zh: str = strawberry.field(description="The label in Chinese (1–100 characters).")
    label_en: str = strawberry.field(description="The label in English (1–100 characters).")
    type: CustomFieldTypeEnum = strawberry.field(  # type: ignore[valid-type]
        description="What values it takes; it cannot change once defined."
    )
    required: bool = strawberry.field(
        description="A value is required on create and cannot be removed later."
    )
    options: list[str] = strawberry.field(
        description="SELECT and MULTISELECT: the allowed options (at most 100, each 1–100 "
        "characters); empty for the other types."
    )
    active: bool = strawberry.field(
        description="Inactive (retired): left out of forms, the import template and new values; "
        "stored values stay readable."
    )
    position: int = strawberry.field(
        description="Order in forms, lists and the import template, ascending."
    )
    updated_at: datetime | None = strawberry.field(description=f"When last saved {_WHEN}")
    updated_by: strawberry.ID | None = strawberry.field(
        description="Who saved it last (staff id; see `lastEditor`); null when not recorded."
    )

    @strawberry.field(description="The label in the caller's language (Accept-Language).")
    def label(self) -> str:
        return self.label_en if language_var.get() == EN else self.label_zh

    @strawberry.field(
        description="The staff member who saved it last (`updatedBy` resolved; loaded in "
        "batches); null when not recorded or the id is not in the staff directory."
    )
    async def last_editor(self, info: Info) -> StaffMember | None:
        return await staff_member(info, self.updated_by)

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
            updated_by=strawberry.ID(d.updated_by) if d.updated_by else None,
        )


@strawberry.input(
    description="A custom field definition as ADMIN saves it: new, or replacing the one with "
    "this key."
)
class CustomFieldDefinitionInput:
    key: str = strawberry.field(
        description="a-z, 0-9, _; starts with a letter; ≤ 40 (INVALID_KEY). Fixed."
    )
    label_zh: str = strawberry.field(description="The label in Chinese: " + _LABEL)
    label_en: str = strawberry.field(description="The label in English: " + _LABEL)
    type: CustomFieldTypeEnum = strawberry.field(  # type: ignore[valid-type]
        description="What values it takes; another type for an existing key is TYPE_LOCKED."
    )
    required: bool = strawberry.field(
        default=False, description="A value is required (CUSTOM_FIELD_REQUIRED when missing)."
    )
    options: list[str] = strawberry.field(
        default_factory=list,
        description="SELECT and MULTISELECT: at least one option (OPTIONS_REQUIRED), at most "
        "100 (TOO_MANY), each 1–100 characters (`options[i]` TOO_LONG), repeats dropped; the "
        "other types take none (OPTIONS_NOT_ALLOWED).",
    )
    active: bool = strawberry.field(default=True, description="false retires the field.")
    position: int = strawberry.field(default=0, description="Order in forms, ascending.")

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
    key: str = strawberry.field(description="The custom field's key.")
    value: JSON = strawberry.field(
        description="One value: a string, number or boolean (a DATE as 'YYYY-MM-DD'), compared "
        "as trimmed, case-insensitive text. An empty value, a list or an object is "
        "`customFields[i]` CUSTOM_FIELD_TYPE."
    )


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
    name: str = strawberry.field(
        description="The tag (1–40 characters), as customers hold it in `tags`."
    )
    color: str | None = strawberry.field(description="Display colour, #rrggbb; null: none.")
    group: str | None = strawberry.field(
        description="The group it is shown under (at most 40 characters); null: none."
    )
    description: str | None = strawberry.field(
        description="What the tag means (at most 200 characters); null: none."
    )
    updated_at: datetime | None = strawberry.field(description=f"When last saved {_WHEN}")

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


@strawberry.input(
    description="A catalog tag as ADMIN saves it: new, or replacing the one with this name."
)
class TagInput:
    name: str = strawberry.field(description="1–40 characters, trimmed (INVALID_TAG).")
    color: str | None = strawberry.field(
        default=None, description="#RRGGBB (INVALID_COLOR); stored lower-cased."
    )
    group: str | None = strawberry.field(
        default=None, description="At most 40 characters (TOO_LONG)."
    )
    description: str | None = strawberry.field(
        default=None, description="At most 200 characters (TOO_LONG)."
    )

    def to_model(self) -> TagModel:
        return TagModel(self.name, self.color, self.group, self.description)


@strawberry.type(description="What a tag rename did.")
class RenameTagResult:
    tag: Tag = strawberry.field(description="The catalog tag under its new name.")
    updated: int = strawberry.field(description="Customers whose tag was renamed.")
    failed: list[strawberry.ID] = strawberry.field(
        description="Customers that could not be changed (still hold the old name; renaming "
        "again retries them)."
    )


@strawberry.type(description="What `deleteTag` did.")
class DeleteTagPayload:
    name: str = strawberry.field(description="The tag's name, as given.")
    deleted: bool = strawberry.field(
        description="True: it was in the catalog and is removed; false: it was not in the "
        "catalog (nothing changed)."
    )


@strawberry.type
class CatalogQuery:
    @strawberry.field(description="Custom field definitions, by position (for forms and filters).")
    async def custom_field_definitions(
        self,
        info: Info,
        include_inactive: Annotated[
            bool, strawberry.argument(description="Retired fields too (default false).")
        ] = False,
    ) -> list[CustomFieldDefinition]:
        info.context.principal  # noqa: B018 - authenticate before any data is read
        found = await info.context.deps.catalog_queries.definitions()
        return [
            CustomFieldDefinition.from_model(d)
            for d in found.values()
            if d.active or include_inactive
        ]

    @strawberry.field(description="The tag catalog by group and name, with usage counts.")
    async def tags(
        self,
        info: Info,
        group: Annotated[
            str | None, strawberry.argument(description="Only this group's tags; null: all.")
        ] = None,
    ) -> list[Tag]:
        info.context.principal  # noqa: B018
        found = await info.context.deps.catalog_queries.tags()
        return [Tag.from_model(t) for t in found if group is None or t.group == group]


@strawberry.type
class CatalogMutation:
    @strawberry.mutation(
        description="ADMIN: create or edit a custom field (the type is fixed). Errors: "
        "BAD_USER_INPUT (`key` INVALID_KEY, TOO_MANY_DEFINITIONS (over 200 fields); `labelZh`, "
        "`labelEn` REQUIRED, TOO_LONG; `type` TYPE_LOCKED; `options` OPTIONS_REQUIRED, "
        "OPTIONS_NOT_ALLOWED, TOO_MANY; `options[i]` TOO_LONG), FORBIDDEN."
    )
    async def save_custom_field_definition(
        self,
        info: Info,
        input: Annotated[
            CustomFieldDefinitionInput, strawberry.argument(description="The definition.")
        ],
    ) -> CustomFieldDefinition:
        saved = await info.context.deps.catalog.save_definition(
            info.context.principal, input.to_model()
        )
        return CustomFieldDefinition.from_model(saved)

    @strawberry.mutation(
        description="ADMIN: retire a custom field: no new values; stored values stay readable. "
        "Errors: NOT_FOUND, FORBIDDEN."
    )
    async def deactivate_custom_field_definition(
        self,
        info: Info,
        key: Annotated[str, strawberry.argument(description="The field's key.")],
    ) -> CustomFieldDefinition:
        done = await info.context.deps.catalog.deactivate_definition(info.context.principal, key)
        return CustomFieldDefinition.from_model(done)

    @strawberry.mutation(
        description="ADMIN: add or edit a catalog tag (by name). Errors: BAD_USER_INPUT (`name` "
        "INVALID_TAG; `color` INVALID_COLOR; `group`, `description` TOO_LONG), FORBIDDEN."
    )
    async def save_tag(
        self, info: Info, input: Annotated[TagInput, strawberry.argument(description="The tag.")]
    ) -> Tag:
        saved = await info.context.deps.catalog.save_tag(info.context.principal, input.to_model())
        return Tag.from_model(saved)

    @strawberry.mutation(
        description="ADMIN: rename a catalog tag and, in batches, on every customer holding "
        "it (each a new version with customer.updated.v1). Safe to repeat after a failure. "
        "Errors: BAD_USER_INPUT (`name`, `newName` INVALID_TAG; `newName` SAME_NAME, "
        "TAG_EXISTS), NOT_FOUND (no such catalog tag), FORBIDDEN."
    )
    async def rename_tag(
        self,
        info: Info,
        name: Annotated[str, strawberry.argument(description="The catalog tag's name.")],
        new_name: Annotated[str, strawberry.argument(description="Its new name, 1–40 characters.")],
    ) -> RenameTagResult:
        result = await info.context.deps.catalog.rename_tag(info.context.principal, name, new_name)
        return RenameTagResult(
            tag=Tag.from_model(result.tag),
            updated=result.updated,
            failed=[strawberry.ID(i) for i in result.failed],
        )

    @strawberry.mutation(
        description="ADMIN: remove from the catalog (customers keep it, free). Errors: FORBIDDEN."
    )
    async def delete_tag(
        self,
        info: Info,
        name: Annotated[str, strawberry.argument(description="The catalog tag's name.")],
    ) -> DeleteTagPayload:
        deleted = await info.context.deps.catalog.delete_tag(info.context.principal, name)
        return DeleteTagPayload(name=name, deleted=deleted)
