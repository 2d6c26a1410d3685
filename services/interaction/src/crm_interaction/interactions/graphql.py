"""GraphQL of communication records: `interaction(id)`, `logInteraction`,
`updateInteraction`, `deleteInteraction`, and `Customer.interactions` /
`Customer.lastInteractionAt` (batched per `_entities` call)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.dataloader import DataLoader

from crm_interaction import access
from crm_interaction.graphql.context import Info
from crm_interaction.graphql.loaders import per_customer, per_customer_and_arguments
from crm_interaction.interactions.inputs import LogInteractionInput, UpdateInteractionInput
from crm_interaction.interactions.queries import Page
from crm_interaction.interactions.types import (
    InteractionConnection,
    InteractionEdge,
    InteractionType,
)
from crm_kit.errors import NotFound
from crm_kit.graphql import ExpectedVersion, page_info
from crm_kit.paging import Keyset, decode_cursor, encode_cursor, page_size
from crm_kit.policy import Action, Resource

MAX_PAGE_SIZE = 100

type Position = Keyset | None
InteractionId = Annotated[strawberry.ID, strawberry.argument(description="The interaction's id.")]
_FIELD_ERRORS = (
    "`customerId` REQUIRED, INVALID; `content` REQUIRED, TOO_LONG; `subject` TOO_LONG; "
    "`occurredAt` IN_FUTURE; `durationSeconds` OUT_OF_RANGE; `nextStep` TOO_LONG; "
    "`participants`, `tags`, `attachments` TOO_MANY; `participants[i]…`, `tags[i]`, "
    "`attachments[i]…` REQUIRED, TOO_LONG, INVALID, OUT_OF_RANGE"
)
_CHANGE_RULE = (
    "Its author may change it for 7 days after logging it, ADMIN and MANAGER at any time, "
    "within their interaction scope of the customer; the state before is kept in `history`."
)


def _pages(info: Info) -> DataLoader[tuple[str, tuple[int, Position]], Page]:
    queries = info.context.deps.interaction_queries

    async def fetch(arguments: tuple[int, Position], customer_ids: list[str]) -> dict[str, Page]:
        first, after = arguments
        return await queries.pages(customer_ids, first, after)

    return per_customer_and_arguments(info, "interactionPages", fetch, lambda: Page([], False))


def _counts(info: Info) -> DataLoader[tuple[str, None], int]:
    queries = info.context.deps.interaction_queries

    async def fetch(_: None, customer_ids: list[str]) -> dict[str, int]:
        return await queries.counts(customer_ids)

    return per_customer_and_arguments(info, "interactionCounts", fetch, int)


def _last_occurred_at(info: Info) -> DataLoader[str, datetime | None]:
    queries = info.context.deps.interaction_queries

    async def fetch(customer_ids: list[str]) -> dict[str, datetime | None]:
        return dict(await queries.last_occurred_at(customer_ids))

    return per_customer(info, "lastInteractionAt", fetch, lambda: None)


async def customer_interactions(
    info: Info, customer_id: str, first: int, after: str | None
) -> InteractionConnection:
    """`Customer.interactions`: the page comes from one aggregate for the whole batch."""
    _ = info.context.principal
    first = page_size(first)
    position = decode_cursor(after) if after else None
    page = await _pages(info).load((customer_id, (min(first, MAX_PAGE_SIZE), position)))
    edges = [
        InteractionEdge(
            cursor=encode_cursor(Keyset(item.occurred_at, item.id)),
            node=InteractionType.from_domain(item),
        )
        for item in page.items
    ]
    return InteractionConnection(
        edges=edges,
        page_info=page_info([e.cursor for e in edges], page.has_next, position is not None),
        count=lambda: _counts(info).load((customer_id, None)),
    )


async def last_interaction_at(info: Info, customer_id: str) -> datetime | None:
    """`Customer.lastInteractionAt`."""
    _ = info.context.principal
    return await _last_occurred_at(info).load(customer_id)


@strawberry.type
class InteractionQuery:
    @strawberry.field(
        description="One interaction by id. Errors: NOT_FOUND; FORBIDDEN when the caller's "
        "interaction read scope does not reach its customer."
    )
    async def interaction(self, info: Info, id: InteractionId) -> InteractionType | None:
        _ = info.context.principal
        found = await info.context.deps.interaction_queries.get(str(id))
        if found is None:
            raise NotFound("Interaction", str(id))
        await access.require_customer(
            info.context, found.customer_id, Action.READ, Resource.INTERACTION
        )
        return InteractionType.from_domain(found)


@strawberry.type(description="What deleteInteraction did.")
class DeleteInteractionPayload:
    id: strawberry.ID = strawberry.field(description="The deleted interaction's id.")


@strawberry.type
class InteractionMutation:
    @strawberry.mutation(
        description="Record a contact with a customer (roles ADMIN, MANAGER, SALES, SERVICE, "
        "within their interaction scope of the customer). Errors: BAD_USER_INPUT "
        f"({_FIELD_ERRORS}; `idempotencyKey` REQUIRED, TOO_LONG), NOT_FOUND (the customer is "
        "unknown or erased), "
        "CONFLICT (idempotencyKey reused for a different request), FORBIDDEN."
    )
    async def log_interaction(
        self,
        info: Info,
        input: Annotated[
            LogInteractionInput, strawberry.argument(description="The contact to record.")
        ],
    ) -> InteractionType:
        principal = info.context.principal
        await access.require_for_write(
            info.context, str(input.customer_id), Action.CREATE, Resource.INTERACTION
        )
        logged = await info.context.deps.interactions.log(principal, input.to_command())
        return InteractionType.from_domain(logged)

    @strawberry.mutation(
        description=f"Edit an interaction. {_CHANGE_RULE} Errors: BAD_USER_INPUT "
        f"({_FIELD_ERRORS}), NOT_FOUND, CONFLICT (expectedVersion), FORBIDDEN."
    )
    async def update_interaction(
        self,
        info: Info,
        id: InteractionId,
        input: Annotated[
            UpdateInteractionInput, strawberry.argument(description="What to change.")
        ],
        expected_version: ExpectedVersion = None,
    ) -> InteractionType:
        await access.require_interaction(info.context, str(id), Action.UPDATE)
        changed = await info.context.deps.interactions.edit(
            info.context.principal, str(id), input.to_changes(), expected_version
        )
        return InteractionType.from_domain(changed)

    @strawberry.mutation(
        description="Delete an interaction (its last state stays in history) and its timeline "
        f"item; answers its id. {_CHANGE_RULE} Errors: NOT_FOUND, CONFLICT (expectedVersion), "
        "FORBIDDEN."
    )
    async def delete_interaction(
        self, info: Info, id: InteractionId, expected_version: ExpectedVersion = None
    ) -> DeleteInteractionPayload:
        await access.require_interaction(info.context, str(id), Action.UPDATE)
        deleted = await info.context.deps.interactions.delete(
            info.context.principal, str(id), expected_version
        )
        return DeleteInteractionPayload(id=strawberry.ID(deleted))
