"""Federated entities this subgraph contributes fields to.

Every contributed field is nullable (an outage here must not null the whole customer through
the gateway), and list/statistics fields load through per-request DataLoaders, so one
`_entities` call costs one query per field whatever the number of customers.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from crm_interaction.graphql import cursors, loaders, resolvers, work_resolvers
from crm_interaction.graphql.context import Info
from crm_interaction.graphql.resolvers import DEFAULT_PAGE_SIZE
from crm_interaction.graphql.task_types import PurchaseType, TaskType
from crm_interaction.graphql.ticket_types import TicketConnection, TicketType
from crm_interaction.graphql.timeline_types import (
    CustomerInsightType,
    TimelineConnection,
    TimelineEdge,
    TimelineItemType,
)
from crm_interaction.graphql.types import InteractionConnection
from crm_interaction.shared.paging import Keyset
from crm_interaction.tickets.model import TicketStatus
from crm_interaction.timeline.model import TimelineKind


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
        _ = info.context.principal
        size = work_resolvers.page_size(first)
        position = cursors.decode(after) if after else None
        arguments = (size, position, tuple(kinds or ()))
        items, has_next = await loaders.timeline_pages(info).load((str(self.id), arguments))
        edges = [
            TimelineEdge(
                cursor=cursors.encode(Keyset(e.at, e.id)), node=TimelineItemType.from_domain(e)
            )
            for e in items
        ]
        return TimelineConnection(
            edges=edges,
            page_info=cursors.page_info([e.cursor for e in edges], has_next, position is not None),
            customer_id=str(self.id),
            kinds=kinds,
        )

    @strawberry.field(description="Service tickets of this customer, newest first")
    async def tickets(
        self,
        info: Info,
        statuses: list[TicketStatus] | None = None,
        first: int | None = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> TicketConnection | None:
        _ = info.context.principal
        return await work_resolvers.customer_ticket_page(
            info, str(self.id), tuple(statuses or ()), first, after
        )

    @strawberry.field(description="Open tickets (NEW … WAITING_CUSTOMER), newest first")
    async def open_tickets(self, info: Info) -> list[TicketType] | None:
        _ = info.context.principal
        found = await loaders.open_tickets(info).load(str(self.id))
        return [TicketType.from_domain(t) for t in found]

    @strawberry.field(description="Open follow-up tasks, soonest due first")
    async def open_tasks(self, info: Info) -> list[TaskType] | None:
        _ = info.context.principal
        found = await loaders.open_tasks(info).load(str(self.id))
        return [TaskType.from_domain(t) for t in found]

    @strawberry.field(description="Purchases, newest first")
    async def purchases(
        self, info: Info, first: int | None = DEFAULT_PAGE_SIZE
    ) -> list[PurchaseType] | None:
        _ = info.context.principal
        found = await loaders.purchases(info).load((str(self.id), work_resolvers.page_size(first)))
        return [PurchaseType.from_domain(p) for p in found]

    @strawberry.field(description="Contact statistics, RFM and churn risk")
    async def insight(self, info: Info) -> CustomerInsightType | None:
        _ = info.context.principal
        return CustomerInsightType.from_domain(await loaders.insights(info).load(str(self.id)))
