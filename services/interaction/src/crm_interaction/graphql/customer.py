"""The `Customer` entity (owned by the customer subgraph) with the fields this subgraph
contributes to it, each resolved by its feature.

Every contributed field is nullable (an outage here must not null the whole customer through
the gateway), and list/statistics fields load through per-request DataLoaders, so one
`_entities` call costs one query per field whatever the number of customers. Access to each
field is checked before it resolves (`access.CustomerFieldAccess`).
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from crm_interaction.graphql.context import Info
from crm_interaction.insight import graphql as insight
from crm_interaction.insight.graphql import CustomerInsightType
from crm_interaction.interactions import graphql as interactions
from crm_interaction.interactions.types import InteractionConnection
from crm_interaction.purchases import graphql as purchases
from crm_interaction.purchases.graphql import PurchaseType
from crm_interaction.tasks import graphql as tasks
from crm_interaction.tasks.graphql import TaskType
from crm_interaction.tickets import graphql as tickets
from crm_interaction.tickets.model import TicketStatus
from crm_interaction.tickets.types import TicketConnection, TicketType
from crm_interaction.timeline import graphql as timeline
from crm_interaction.timeline.graphql import TimelineConnection
from crm_interaction.timeline.model import TimelineKind
from crm_kit.paging import DEFAULT_PAGE_SIZE


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
        return await interactions.customer_interactions(
            info, str(self.id), DEFAULT_PAGE_SIZE if first is None else first, after
        )

    @strawberry.field(description="When the latest interaction took place")
    async def last_interaction_at(self, info: Info) -> datetime | None:
        return await interactions.last_interaction_at(info, str(self.id))

    @strawberry.field(
        description="Interactions, purchases, tickets and tasks in one feed, newest first"
    )
    async def timeline(
        self,
        info: Info,
        first: int | None = DEFAULT_PAGE_SIZE,
        after: str | None = None,
        kinds: list[TimelineKind] | None = None,
    ) -> TimelineConnection | None:
        return await timeline.customer_timeline(info, str(self.id), first, after, kinds)

    @strawberry.field(description="Service tickets of this customer, newest first")
    async def tickets(
        self,
        info: Info,
        statuses: list[TicketStatus] | None = None,
        first: int | None = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> TicketConnection | None:
        return await tickets.customer_tickets(
            info, str(self.id), tuple(statuses or ()), first, after
        )

    @strawberry.field(description="Open tickets (NEW … WAITING_CUSTOMER), newest first")
    async def open_tickets(self, info: Info) -> list[TicketType] | None:
        return await tickets.customer_open_tickets(info, str(self.id))

    @strawberry.field(description="Open follow-up tasks, soonest due first")
    async def open_tasks(self, info: Info) -> list[TaskType] | None:
        return await tasks.customer_open_tasks(info, str(self.id))

    @strawberry.field(description="Purchases, newest first")
    async def purchases(
        self, info: Info, first: int | None = DEFAULT_PAGE_SIZE
    ) -> list[PurchaseType] | None:
        return await purchases.customer_purchases(info, str(self.id), first)

    @strawberry.field(description="Contact statistics, RFM and churn risk")
    async def insight(self, info: Info) -> CustomerInsightType | None:
        return await insight.customer_insight(info, str(self.id))
