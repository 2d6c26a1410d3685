"""GraphQL types of the ADMIN catalogs: custom field definitions, tags, assignment rules."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry
from strawberry.scalars import JSON

from crm_customer.assignment.model import Assignment, Rule, Strategy
from crm_customer.catalog.model import FieldDefinition, FieldType
from crm_customer.catalog.model import Tag as TagModel
from crm_customer.graphql.context import Info
from crm_customer.i18n import EN, language_var

CustomFieldTypeEnum = strawberry.enum(FieldType, name="CustomFieldType")
AssignmentStrategyEnum = strawberry.enum(Strategy, name="AssignmentStrategy")


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
    store = info.context.deps.catalog.tag_store

    async def load(keys: list[str]) -> list[TagModel | None]:
        found = await store.get_many(keys)
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
        return await info.context.deps.catalog.lookups.tag_usage(self.name)

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


@strawberry.type(
    description="Owner by rule: the first active rule (by position) whose set criteria all "
    "match the new customer's province, city and industry picks one of its team's active SALES "
    "staff, ROUND_ROBIN or LEAST_LOADED (fewest live customers)."
)
class AssignmentRule:
    id: strawberry.ID
    name: str
    position: int
    team: str
    strategy: AssignmentStrategyEnum  # type: ignore[valid-type]
    provinces: list[str]
    cities: list[str]
    industries: list[str]
    active: bool
    updated_at: datetime | None
    updated_by: str | None

    @classmethod
    def from_model(cls, r: Rule) -> Self:
        return cls(
            id=strawberry.ID(r.id),
            name=r.name,
            position=r.position,
            team=r.team,
            strategy=r.strategy,
            provinces=list(r.provinces),
            cities=list(r.cities),
            industries=list(r.industries),
            active=r.active,
            updated_at=r.updated_at,
            updated_by=r.updated_by,
        )


@strawberry.input
class AssignmentRuleInput:
    id: strawberry.ID | None = strawberry.field(default=None, description="None: a new rule.")
    name: str
    team: str
    strategy: AssignmentStrategyEnum = Strategy.ROUND_ROBIN  # type: ignore[valid-type]
    position: int = 0
    provinces: list[str] = strawberry.field(default_factory=list)
    cities: list[str] = strawberry.field(default_factory=list)
    industries: list[str] = strawberry.field(default_factory=list, description="GB/T 4754 A–T")
    active: bool = True
    idempotency_key: str | None = None

    def to_model(self) -> Rule:
        return Rule(
            id=str(self.id) if self.id else "",
            name=self.name,
            team=self.team,
            strategy=Strategy(self.strategy),
            position=self.position,
            provinces=list(self.provinces),
            cities=list(self.cities),
            industries=list(self.industries),
            active=self.active,
        )


@strawberry.type
class AssignmentPreview:
    owner_id: strawberry.ID
    team: str
    rule_id: strawberry.ID
    strategy: AssignmentStrategyEnum  # type: ignore[valid-type]

    @classmethod
    def from_model(cls, a: Assignment) -> Self:
        return cls(
            owner_id=strawberry.ID(a.owner_id),
            team=a.team,
            rule_id=strawberry.ID(a.rule_id),
            strategy=Strategy(a.strategy),
        )
