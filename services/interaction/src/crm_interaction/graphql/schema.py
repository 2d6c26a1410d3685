"""The subgraph schema: root fields plus the entity types it contributes to."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.tools import merge_types

from crm_interaction import access, interaction_edits
from crm_interaction.access import CustomerFieldAccess
from crm_interaction.graphql import resolvers, work_resolvers
from crm_interaction.graphql.analytics_types import ServiceAnalyticsType
from crm_interaction.graphql.context import Info
from crm_interaction.graphql.entities import Customer
from crm_interaction.graphql.task_types import (
    CreateTaskInput,
    RecordPurchaseInput,
    RecordPurchasePayload,
    TaskConnection,
    TaskType,
    UpdateTaskInput,
)
from crm_interaction.graphql.ticket_types import (
    CreateTicketInput,
    TicketCommentType,
    TicketConnection,
    TicketFilterInput,
    TicketType,
)
from crm_interaction.graphql.types import (
    InteractionType,
    LogInteractionInput,
    UpdateInteractionInput,
)
from crm_interaction.tasks.model import TaskStatus
from crm_interaction.tickets.model import AssignStrategy, TicketStatus
from crm_kit.audit.schema import audit_query
from crm_kit.graphql import Schema
from crm_kit.policy import Action


@strawberry.type
class Query:
    @strawberry.field(description="One interaction by id")
    async def interaction(self, info: Info, id: strawberry.ID) -> InteractionType | None:
        return await resolvers.interaction(info, str(id))

    @strawberry.field(description="One ticket by id")
    async def ticket(self, info: Info, id: strawberry.ID) -> TicketType | None:
        return await work_resolvers.ticket(info, str(id))

    @strawberry.field(description="Tickets matching a filter, newest first")
    async def tickets(
        self,
        info: Info,
        filter: TicketFilterInput | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> TicketConnection:
        return await work_resolvers.tickets(info, filter, first, after)

    @strawberry.field(description="Tickets assigned to the caller (open ones by default)")
    async def my_tickets(
        self,
        info: Info,
        statuses: list[TicketStatus] | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> TicketConnection:
        return await work_resolvers.my_tickets(info, statuses, first, after)

    @strawberry.field(description="Tasks assigned to the caller, soonest due first")
    async def my_tasks(
        self, info: Info, status: TaskStatus = TaskStatus.OPEN, first: int | None = 20
    ) -> TaskConnection:
        return await work_resolvers.my_tasks(info, status, first)

    @strawberry.field(description="Ticket volume, response times, SLA compliance, load")
    async def service_analytics(
        self,
        info: Info,
        start: Annotated[datetime, strawberry.argument(name="from")],
        end: Annotated[datetime, strawberry.argument(name="to")],
        team: str | None = None,
    ) -> ServiceAnalyticsType:
        return await work_resolvers.service_analytics(info, start, end, team)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Record a contact with a customer")
    async def log_interaction(self, info: Info, input: LogInteractionInput) -> InteractionType:
        return await resolvers.log_interaction(info, input)

    @strawberry.mutation(description="Edit an interaction (author for 7 days, managers always)")
    async def update_interaction(
        self,
        info: Info,
        id: strawberry.ID,
        input: UpdateInteractionInput,
        expected_version: int | None = None,
    ) -> InteractionType:
        await access.require_interaction(info.context, str(id), Action.UPDATE)
        changed = await interaction_edits.edit_interaction(
            info.context.deps, info.context.principal, str(id), input.to_changes(), expected_version
        )
        return InteractionType.from_domain(changed)

    @strawberry.mutation(description="Delete an interaction (its last state stays in history)")
    async def delete_interaction(
        self, info: Info, id: strawberry.ID, expected_version: int | None = None
    ) -> strawberry.ID:
        await access.require_interaction(info.context, str(id), Action.UPDATE)
        deleted = await interaction_edits.delete_interaction(
            info.context.deps, info.context.principal, str(id), expected_version
        )
        return strawberry.ID(deleted)

    @strawberry.mutation(description="Open a service ticket (SLA clock starts now)")
    async def create_ticket(self, info: Info, input: CreateTicketInput) -> TicketType:
        return await work_resolvers.create_ticket(info, input)

    @strawberry.mutation(
        description="Assign to an agent, or to a team's agent chosen by the strategy"
    )
    async def assign_ticket(  # noqa: PLR0917 - GraphQL arguments
        self,
        info: Info,
        id: strawberry.ID,
        agent_id: str | None = None,
        team: str | None = None,
        strategy: AssignStrategy = AssignStrategy.LEAST_LOADED,
        expected_version: int | None = None,
    ) -> TicketType:
        return await work_resolvers.assign_ticket(
            info,
            str(id),
            agent_id=agent_id,
            team=team,
            strategy=strategy,
            expected_version=expected_version,
        )

    @strawberry.mutation(description="Move a ticket along the workflow (or reopen it)")
    async def change_ticket_status(
        self,
        info: Info,
        id: strawberry.ID,
        status: TicketStatus,
        resolution: str | None = None,
        expected_version: int | None = None,
    ) -> TicketType:
        return await work_resolvers.change_ticket_status(
            info, str(id), status, resolution, expected_version
        )

    @strawberry.mutation(description="Comment on a ticket (internal unless customerVisible)")
    async def add_ticket_comment(
        self,
        info: Info,
        id: strawberry.ID,
        body: str,
        customer_visible: bool = False,
        idempotency_key: Annotated[
            str | None,
            strawberry.argument(
                description="Retrying with the same key returns the first comment, adds nothing"
            ),
        ] = None,
    ) -> TicketCommentType:
        return await work_resolvers.add_ticket_comment(
            info, str(id), body, customer_visible, idempotency_key
        )

    @strawberry.mutation(description="Record the customer's satisfaction (1–5) after resolution")
    async def rate_ticket(
        self, info: Info, id: strawberry.ID, rating: int, comment: str | None = None
    ) -> TicketType:
        return await work_resolvers.rate_ticket(info, str(id), rating, comment)

    @strawberry.mutation(description="Add, move or deactivate a service agent (ADMIN, MANAGER)")
    async def set_service_agent(
        self, info: Info, agent_id: str, team: str, active: bool = True
    ) -> bool:
        return await work_resolvers.set_service_agent(info, agent_id, team, active)

    @strawberry.mutation(description="Create a follow-up task with reminders")
    async def create_task(self, info: Info, input: CreateTaskInput) -> TaskType:
        return await work_resolvers.create_task(info, input)

    @strawberry.mutation(
        description="Change an OPEN task (title, due time, urgency, reminders, assignee); "
        "reminders and the overdue check move with it"
    )
    async def update_task(
        self,
        info: Info,
        id: strawberry.ID,
        input: UpdateTaskInput,
        expected_version: int | None = None,
    ) -> TaskType:
        return await work_resolvers.update_task(info, str(id), input, expected_version)

    @strawberry.mutation(description="Mark a task done (its pending reminders are cancelled)")
    async def complete_task(
        self, info: Info, id: strawberry.ID, expected_version: int | None = None
    ) -> TaskType:
        return await work_resolvers.finish_task(info, str(id), TaskStatus.DONE, expected_version)

    @strawberry.mutation(description="Cancel a task (its pending reminders are cancelled)")
    async def cancel_task(
        self, info: Info, id: strawberry.ID, expected_version: int | None = None
    ) -> TaskType:
        return await work_resolvers.finish_task(
            info, str(id), TaskStatus.CANCELLED, expected_version
        )

    @strawberry.mutation(description="Record or update a purchase; idempotent per source order")
    async def record_purchase(
        self, info: Info, input: RecordPurchaseInput
    ) -> RecordPurchasePayload:
        return await work_resolvers.record_purchase(info, input)


schema = Schema(
    query=merge_types("Query", (Query, audit_query("interaction"))),
    mutation=Mutation,
    types=[Customer],
    extensions=[CustomerFieldAccess],  # access control on the fields added to Customer
)
