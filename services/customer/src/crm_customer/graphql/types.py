"""GraphQL types of the customer subgraph."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from crm_customer.domain import Customer as CustomerModel
from crm_customer.domain import CustomerKind, LifecycleStage, Source
from crm_customer.graphql.context import Info
from crm_customer.graphql.loaders import customer_loader
from crm_kit.graphql import PageInfo

CustomerKindEnum = strawberry.enum(CustomerKind, name="CustomerKind")
LifecycleStageEnum = strawberry.enum(LifecycleStage, name="LifecycleStage")
SourceEnum = strawberry.enum(Source, name="CustomerSource")


@strawberry.federation.type(keys=["id"], description="A customer: the single trustworthy record.")
class Customer:
    id: strawberry.ID
    kind: CustomerKindEnum  # type: ignore[valid-type]
    display_name: str
    stage: LifecycleStageEnum  # type: ignore[valid-type]
    tier: str | None
    tags: list[str]
    phones: list[str]
    emails: list[str]
    source: SourceEnum | None  # type: ignore[valid-type]
    owner_id: strawberry.ID | None
    team: str | None
    version: int
    archived: bool
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str

    @classmethod
    def from_model(cls, c: CustomerModel) -> Self:
        return cls(
            id=strawberry.ID(c.id),
            kind=c.kind,
            display_name=c.name,
            stage=c.stage,
            tier=c.tier,
            tags=c.tags,
            phones=c.phones,
            emails=c.emails,
            source=c.source,
            owner_id=strawberry.ID(c.owner_id) if c.owner_id else None,
            team=c.team,
            version=c.version,
            archived=c.archived,
            created_at=c.created_at,
            updated_at=c.updated_at,
            created_by=c.created_by,
            updated_by=c.updated_by,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self:
        info.context.principal  # noqa: B018 - authenticate before any data is read
        model: CustomerModel = await customer_loader(info).load(str(id))
        return cls.from_model(model)


@strawberry.type
class CustomerEdge:
    cursor: str
    node: Customer


@strawberry.type
class CustomerConnection:
    edges: list[CustomerEdge]
    page_info: PageInfo
    total_count: int


@strawberry.input
class CreateCustomerInput:
    kind: CustomerKindEnum  # type: ignore[valid-type]
    name: str
    stage: LifecycleStageEnum = LifecycleStage.LEAD  # type: ignore[valid-type]
    tier: str | None = None
    tags: list[str] = strawberry.field(default_factory=list)
    phones: list[str] = strawberry.field(default_factory=list)
    emails: list[str] = strawberry.field(default_factory=list)
    source: SourceEnum | None = None  # type: ignore[valid-type]
    owner_id: strawberry.ID | None = None
    team: str | None = None
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the first result."
    )


@strawberry.input
class UpdateCustomerInput:
    name: str | None = None
    stage: LifecycleStageEnum | None = None  # type: ignore[valid-type]
    tier: str | None = None
    tags: list[str] | None = None
    phones: list[str] | None = None
    emails: list[str] | None = None
    source: SourceEnum | None = None  # type: ignore[valid-type]


@strawberry.input
class CustomerFilterInput:
    stage: LifecycleStageEnum | None = None  # type: ignore[valid-type]
    owner_id: strawberry.ID | None = None
    team: str | None = None
    tag: str | None = None
    include_archived: bool = False
