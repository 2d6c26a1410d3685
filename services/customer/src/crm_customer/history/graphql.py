"""GraphQL of the version history: a customer's versions, its state at a point in time, and
restoring a past version."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import strawberry

from crm_customer import access
from crm_customer.customers.arguments import CustomerId
from crm_customer.customers.graphql import checked
from crm_customer.customers.types import Customer, customer_loader
from crm_customer.graphql.context import Info
from crm_customer.history.model import NotYetCreated
from crm_customer.history.types import CustomerVersionConnection, version_page
from crm_kit.errors import NotFound
from crm_kit.graphql import PageAfter, PageFirst
from crm_kit.policy import Action


@strawberry.type
class HistoryQuery:
    @strawberry.field(
        description="The customer as it was at a point in time. For a time before the "
        "customer was created: BAD_USER_INPUT with the field error NOT_YET_CREATED on `at` "
        "and `createdAt` (when it was created) in the error's extensions. Also NOT_FOUND "
        "(no such customer, or its past was erased) and FORBIDDEN (one the caller may not read)."
    )
    async def customer_as_of(
        self,
        info: Info,
        id: CustomerId,
        at: Annotated[
            datetime,
            strawberry.argument(
                description="The point in time (ISO 8601 date-time; without an offset, UTC)."
            ),
        ],
    ) -> Customer | None:
        await customer_loader(info).load(str(id))  # FORBIDDEN unless the caller may read it
        at = at if at.tzinfo else at.replace(tzinfo=UTC)  # the API's times are UTC
        queries = info.context.deps.history_queries
        state = await queries.state_at(str(id), at)
        if state is not None:
            return Customer.from_model(state)
        created_at = await queries.created_at(str(id))
        if created_at is not None and at < created_at:
            raise NotYetCreated(str(id), created_at)
        raise NotFound("Customer", str(id))

    @strawberry.field(
        description="The version history kept under this id, also for a merged-away record "
        "(whose `customer(id)` resolves to the survivor). Errors: NOT_FOUND, FORBIDDEN (a "
        "customer the caller may not read)."
    )
    async def customer_history(
        self,
        info: Info,
        id: CustomerId,
        first: PageFirst = 20,
        after: PageAfter = None,
    ) -> CustomerVersionConnection:
        current = await info.context.deps.customer_queries.get(str(id))  # a merged-away one too
        access.check(info.context.principal, current)
        return await version_page(info, str(id), first, after)


@strawberry.type
class HistoryMutation:
    @strawberry.mutation(
        description="Restore the fields and stage of a past version, as a new version (owner, "
        "team and archive state stay; nothing of the history is lost); no difference: the "
        "record as it is. ADMIN, MANAGER, SALES on customers they may update. Emits "
        "customer.updated.v1. Errors: BAD_USER_INPUT (`version` VERSION_NOT_FOUND), NOT_FOUND, "
        "CONFLICT (a stale `expectedVersion`, with `currentVersion`; a merged-away record, "
        "naming its survivor), FORBIDDEN."
    )
    async def restore_customer_version(
        self,
        info: Info,
        id: CustomerId,
        version: Annotated[
            int, strawberry.argument(description="The past version whose values come back.")
        ],
        expected_version: Annotated[
            int,
            strawberry.argument(
                description="The customer's current version; another one is a CONFLICT."
            ),
        ],
    ) -> Customer:
        await checked(info, str(id), Action.UPDATE)
        restored = await info.context.deps.history.restore_version(
            info.context.principal, str(id), version, expected_version
        )
        return Customer.from_model(restored)
