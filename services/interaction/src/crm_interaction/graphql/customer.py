"""The `Customer` entity (owned by the customer subgraph) with the fields this subgraph
contributes to it, each resolved by its feature.

Every contributed field is nullable (an outage here must not null the whole customer through
the gateway), and list/statistics fields load through per-request DataLoaders, so one
`_entities` call costs one query per field whatever the number of customers. Access to each
field is checked before it resolves (`access.CustomerFieldAccess`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from crm_interaction.graphql.context import Info
from crm_interaction.insight import graphql as insight
from crm_interaction.insight.graphql import CustomerInsightType
from crm_interaction.interactions import graphql as interactions
from crm_interaction.interactions.types import InteractionConnection
from crm_interaction.purchases import graphql as purchases
from crm_interaction.purchases.graphql import PurchaseConnection
from crm_interaction.shared.listing import OrderedAfter
from crm_interaction.tasks import graphql as tasks
from crm_interaction.tasks.graphql import OrderBy as TaskOrderBy
from crm_interaction.tasks.graphql import TaskConnection, TaskType
from crm_interaction.tasks.inputs import SOONEST_DUE_FIRST, TaskFilterInput
from crm_interaction.tasks.queries import BATCH_LIMIT as OPEN_TASKS_LIMIT
from crm_interaction.tickets import lists as tickets
from crm_interaction.tickets.inputs import NEWEST_FIRST, TicketFilterInput
from crm_interaction.tickets.lists import OrderBy as TicketOrderBy
from crm_interaction.tickets.queries import BATCH_LIMIT as OPEN_TICKETS_LIMIT
from crm_interaction.tickets.types import TicketConnection, TicketType
from crm_interaction.timeline import graphql as timeline
from crm_interaction.timeline.graphql import TimelineConnection, TimelineFilterInput
from crm_kit.graphql import PageAfter, PageFirst
from crm_kit.paging import DEFAULT_PAGE_SIZE

# Who may see each field: `access.CUSTOMER_FIELDS` (null and FORBIDDEN for others).
_INTERACTIONS = (
    " Null, with FORBIDDEN, unless the caller's interaction read scope reaches the customer."
)
_TICKETS = " Null, with FORBIDDEN, unless the caller's ticket read scope reaches the customer."
_TASKS = (
    " Null, with FORBIDDEN, unless the caller's task or interaction read scope reaches the "
    "customer."
)
_FIGURES = (
    " Null, with FORBIDDEN, unless the caller's interaction or statistics read scope reaches "
    "the customer."
)


@strawberry.federation.type(keys=["id"], description="A customer (owned by the customer subgraph)")
class Customer:
    id: strawberry.ID = strawberry.field(description="The customer's id.")

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Customer:
        # No database access: every field below loads lazily (and in batches).
        return cls(id=id)

    @strawberry.field(description="Contacts with this customer, newest first." + _INTERACTIONS)
    async def interactions(
        self, info: Info, first: PageFirst = DEFAULT_PAGE_SIZE, after: PageAfter = None
    ) -> InteractionConnection | None:  # nullable: an outage here must not null the customer
        return await interactions.customer_interactions(
            info, str(self.id), DEFAULT_PAGE_SIZE if first is None else first, after
        )

    @strawberry.field(
        description="When the latest interaction took place (its occurredAt); null when there "
        "is none." + _FIGURES
    )
    async def last_interaction_at(self, info: Info) -> datetime | None:
        return await interactions.last_interaction_at(info, str(self.id))

    @strawberry.field(
        description="Interactions, purchases, tickets, tasks and changes of the customer record "
        "in one feed, newest first (by `at`, then id). Errors: BAD_USER_INPUT "
        "(`filter.at.to` OUT_OF_RANGE; `first` OUT_OF_RANGE; `after` INVALID_CURSOR)."
        + _INTERACTIONS
    )
    async def timeline(
        self,
        info: Info,
        filter: Annotated[
            TimelineFilterInput | None,
            strawberry.argument(description="Which items; every item when omitted."),
        ] = None,
        first: PageFirst = DEFAULT_PAGE_SIZE,
        after: PageAfter = None,
    ) -> TimelineConnection | None:
        return await timeline.customer_timeline(info, str(self.id), filter, first, after)

    @strawberry.field(
        description="Service tickets of this customer, in the order asked for (newest first by "
        "default); the filter can only narrow them (a `customerId` of another customer: none). "
        "Errors: BAD_USER_INPUT (`filter.created.to` OUT_OF_RANGE; `first` OUT_OF_RANGE; "
        "`after` INVALID_CURSOR, also for a cursor of another `orderBy`)." + _TICKETS
    )
    async def tickets(
        self,
        info: Info,
        filter: Annotated[
            TicketFilterInput | None,
            strawberry.argument(description="Which of its tickets; every one when omitted."),
        ] = None,
        order_by: TicketOrderBy = NEWEST_FIRST,
        first: PageFirst = DEFAULT_PAGE_SIZE,
        after: OrderedAfter = None,
    ) -> TicketConnection | None:
        return await tickets.customer_tickets(info, str(self.id), filter, order_by, first, after)

    @strawberry.field(
        description="Open tickets (NEW … WAITING_CUSTOMER), newest first; at most "
        f"{OPEN_TICKETS_LIMIT}." + _TICKETS
    )
    async def open_tickets(self, info: Info) -> list[TicketType] | None:
        return await tickets.customer_open_tickets(info, str(self.id))

    @strawberry.field(
        description=f"Open follow-up tasks, soonest due first; at most {OPEN_TASKS_LIMIT}." + _TASKS
    )
    async def open_tasks(self, info: Info) -> list[TaskType] | None:
        return await tasks.customer_open_tasks(info, str(self.id))

    @strawberry.field(
        description="Follow-up tasks of this customer, in every state unless the filter names "
        "some, in the order asked for (soonest due first by default). Errors: BAD_USER_INPUT "
        "(`filter.due.to` OUT_OF_RANGE; `first` OUT_OF_RANGE; `after` INVALID_CURSOR, also for "
        "a cursor of another `orderBy`)." + _TASKS
    )
    async def tasks(
        self,
        info: Info,
        filter: Annotated[
            TaskFilterInput | None,
            strawberry.argument(description="Which of its tasks; every one when omitted."),
        ] = None,
        order_by: TaskOrderBy = SOONEST_DUE_FIRST,
        first: PageFirst = DEFAULT_PAGE_SIZE,
        after: OrderedAfter = None,
    ) -> TaskConnection | None:
        return await tasks.customer_tasks(info, str(self.id), filter, order_by, first, after)

    @strawberry.field(
        description="Purchases in every status, newest purchasedAt first." + _INTERACTIONS
    )
    async def purchases(
        self,
        info: Info,
        first: PageFirst = DEFAULT_PAGE_SIZE,
        after: PageAfter = None,
    ) -> PurchaseConnection | None:
        return await purchases.customer_purchases(info, str(self.id), first, after)

    @strawberry.field(description="Contact statistics, RFM and churn risk." + _FIGURES)
    async def insight(self, info: Info) -> CustomerInsightType | None:
        return await insight.customer_insight(info, str(self.id))
