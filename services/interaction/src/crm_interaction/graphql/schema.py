"""The subgraph schema: root fields plus the entity types it contributes to."""

from __future__ import annotations

import strawberry

from crm_interaction.graphql import resolvers
from crm_interaction.graphql.context import Info
from crm_interaction.graphql.entities import Customer
from crm_interaction.graphql.types import InteractionType, LogInteractionInput
from crm_kit.graphql import Schema


@strawberry.type
class Query:
    @strawberry.field(description="One interaction by id")
    async def interaction(self, info: Info, id: strawberry.ID) -> InteractionType | None:
        return await resolvers.interaction(info, str(id))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Record a contact with a customer")
    async def log_interaction(self, info: Info, input: LogInteractionInput) -> InteractionType:
        return await resolvers.log_interaction(info, input)


schema = Schema(query=Query, mutation=Mutation, types=[Customer])
