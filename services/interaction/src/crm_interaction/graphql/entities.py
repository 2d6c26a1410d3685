"""Federated entities this subgraph contributes fields to."""

from __future__ import annotations

from datetime import datetime

import strawberry

from crm_interaction.graphql import resolvers
from crm_interaction.graphql.context import Info
from crm_interaction.graphql.resolvers import DEFAULT_PAGE_SIZE
from crm_interaction.graphql.types import InteractionConnection


@strawberry.federation.type(keys=["id"], description="A customer (owned by the customer subgraph)")
class Customer:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Customer:
        # No database access: every field below loads lazily (and in batches).
        return cls(id=id)

    @strawberry.field(description="Contacts with this customer, newest first")
    async def interactions(
        self, info: Info, first: int | None = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> InteractionConnection | None:  # nullable: an outage here must not null the customer
        return await resolvers.customer_interactions(
            info, str(self.id), DEFAULT_PAGE_SIZE if first is None else first, after
        )

    @strawberry.field(description="When the latest interaction took place")
    async def last_interaction_at(self, info: Info) -> datetime | None:
        return await resolvers.last_interaction_at(info, str(self.id))
