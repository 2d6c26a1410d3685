"""Root queries and mutations of the customer subgraph."""

from __future__ import annotations

import strawberry

from crm_customer.domain import CustomerChanges, NewCustomer
from crm_customer.graphql.context import Info
from crm_customer.graphql.loaders import customer_loader
from crm_customer.graphql.types import (
    CreateCustomerInput,
    Customer,
    CustomerConnection,
    CustomerEdge,
    CustomerFilterInput,
    UpdateCustomerInput,
)
from crm_customer.repository import CustomerFilter, encode_cursor
from crm_kit.graphql import PageInfo

MAX_PAGE = 100


@strawberry.type
class Query:
    @strawberry.field(description="One customer: the root of the customer 360 view.")
    async def customer(self, info: Info, id: strawberry.ID) -> Customer | None:
        info.context.principal  # noqa: B018 - authenticate before any data is read
        return Customer.from_model(await customer_loader(info).load(str(id)))

    @strawberry.field(description="Customers, newest first.")
    async def customers(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        filter: CustomerFilterInput | None = None,
    ) -> CustomerConnection:
        info.context.principal  # noqa: B018
        f = filter or CustomerFilterInput()
        page = await info.context.deps.customers.page(
            CustomerFilter(
                stage=f.stage,
                owner_id=str(f.owner_id) if f.owner_id else None,
                team=f.team,
                tag=f.tag,
                include_archived=f.include_archived,
            ),
            first=max(1, min(first, MAX_PAGE)),
            after=after,
        )
        edges = [
            CustomerEdge(cursor=encode_cursor(c.created_at, c.id), node=Customer.from_model(c))
            for c in page.items
        ]
        return CustomerConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=page.total,
        )


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_customer(self, info: Info, input: CreateCustomerInput) -> Customer:
        created = await info.context.deps.commands.create(
            info.context.principal,
            NewCustomer(
                kind=input.kind,
                name=input.name,
                stage=input.stage,
                tier=input.tier,
                tags=input.tags,
                phones=input.phones,
                emails=input.emails,
                source=input.source,
                owner_id=str(input.owner_id) if input.owner_id else None,
                team=input.team,
            ),
            idempotency_key=input.idempotency_key,
        )
        return Customer.from_model(created)

    @strawberry.mutation(description="Partial update; fails with CONFLICT on a stale version.")
    async def update_customer(
        self, info: Info, id: strawberry.ID, expected_version: int, input: UpdateCustomerInput
    ) -> Customer:
        updated = await info.context.deps.commands.update(
            info.context.principal,
            str(id),
            expected_version,
            CustomerChanges(
                name=input.name,
                stage=input.stage,
                tier=input.tier,
                tags=input.tags,
                phones=input.phones,
                emails=input.emails,
                source=input.source,
            ),
        )
        return Customer.from_model(updated)

    @strawberry.mutation(description="Give the customer a new owner (and optionally team).")
    async def assign_customer(
        self,
        info: Info,
        id: strawberry.ID,
        owner_id: strawberry.ID,
        team: str | None = None,
        expected_version: int | None = None,
    ) -> Customer:
        assigned = await info.context.deps.commands.assign(
            info.context.principal, str(id), str(owner_id), team, expected_version
        )
        return Customer.from_model(assigned)
