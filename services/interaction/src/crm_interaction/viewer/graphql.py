"""The caller's work on the `Viewer` entity: open tasks and tickets assigned to them.

The entity is the customer subgraph's; a reference resolves here only for the caller's own id,
so nobody reads a colleague's workload through it. The counts are nullable, as every field
this subgraph adds to another's entity: an outage here must not null the whole viewer.
"""

from __future__ import annotations

import strawberry

from crm_interaction.graphql.context import Info
from crm_interaction.tasks.model import TaskStatus
from crm_interaction.tasks.queries import TaskFilter
from crm_interaction.tickets.model import OPEN_STATUSES
from crm_interaction.tickets.queries import TicketFilter
from crm_kit.errors import Forbidden


@strawberry.federation.type(keys=["id"], description="The caller (owned by the customer subgraph)")
class Viewer:
    id: strawberry.ID = strawberry.field(description="The caller's id (the token's subject).")

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> Viewer:
        if str(id) != info.context.principal.sub:
            raise Forbidden("Not allowed: the viewer is the caller only", id=str(id))
        return cls(id=id)

    @strawberry.field(description="Open follow-up tasks assigned to the caller (see myTasks).")
    async def open_task_count(self, info: Info) -> int | None:
        mine = TaskFilter(statuses=(TaskStatus.OPEN,), assignee_id=str(self.id))
        return await info.context.deps.task_queries.count(mine)

    @strawberry.field(
        description="Open tickets (NEW … WAITING_CUSTOMER) assigned to the caller (see myTickets)."
    )
    async def open_ticket_count(self, info: Info) -> int | None:
        mine = TicketFilter(assignee_id=str(self.id), statuses=tuple(sorted(OPEN_STATUSES)))
        return await info.context.deps.ticket_queries.count(mine)
