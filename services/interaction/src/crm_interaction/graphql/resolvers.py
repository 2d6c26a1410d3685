"""Resolvers: authenticate, translate GraphQL input to commands/queries, shape the result."""

from __future__ import annotations

from datetime import datetime

from crm_interaction import access, services
from crm_interaction.graphql import cursors, loaders
from crm_interaction.graphql.context import Info
from crm_interaction.graphql.types import (
    InteractionConnection,
    InteractionEdge,
    InteractionType,
    LogInteractionInput,
)
from crm_interaction.shared.paging import Keyset
from crm_kit.errors import NotFound
from crm_kit.policy import Action, Resource

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


async def interaction(info: Info, id: str) -> InteractionType:
    _ = info.context.principal
    found = await info.context.deps.interactions.get(id)
    if found is None:
        raise NotFound("Interaction", id)
    await access.require_customer(
        info.context, found.customer_id, Action.READ, Resource.INTERACTION
    )
    return InteractionType.from_domain(found)


async def log_interaction(info: Info, input: LogInteractionInput) -> InteractionType:
    principal = info.context.principal
    await access.require_for_write(
        info.context, str(input.customer_id), Action.CREATE, Resource.INTERACTION
    )
    logged = await services.log_interaction(info.context.deps, principal, input.to_command())
    return InteractionType.from_domain(logged)


async def customer_interactions(
    info: Info, customer_id: str, first: int, after: str | None
) -> InteractionConnection:
    _ = info.context.principal
    first = access.page_size(first, DEFAULT_PAGE_SIZE)
    position = cursors.decode(after) if after else None
    page = await loaders.interaction_pages(info).load(
        (customer_id, (min(first, MAX_PAGE_SIZE), position))
    )
    edges = [
        InteractionEdge(
            cursor=cursors.encode(Keyset(item.occurred_at, item.id)),
            node=InteractionType.from_domain(item),
        )
        for item in page.items
    ]
    return InteractionConnection(
        edges=edges,
        page_info=cursors.page_info([e.cursor for e in edges], page.has_next, position is not None),
        customer_id=customer_id,
    )


async def last_interaction_at(info: Info, customer_id: str) -> datetime | None:
    _ = info.context.principal
    return await loaders.last_interaction_at(info).load(customer_id)
