"""Access control in the interaction subgraph: `crm_kit.policy` applied through this
service's customer projection (owner and team of every customer, fed by customer events).

- Fields this subgraph adds to `Customer` are checked by `CustomerFieldAccess`, a schema
  extension, before their resolver runs: a caller who may not see the customer gets null and
  a FORBIDDEN error at the field's path, never items, counts or aggregates.
- Tickets are visible by the ticket scope, matched against the ticket (assignee, team) or
  its customer (owner, team); `TicketAccess` is the same rule as a MongoDB condition.
- Writes about a customer (log, ticket, task, purchase) need the action's scope on it.

A customer the projection has not seen yet is visible only to roles whose scope is ALL.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import cache
from typing import Any

from graphql import GraphQLResolveInfo
from strawberry.dataloader import DataLoader
from strawberry.extensions import SchemaExtension
from strawberry.utils.await_maybe import AwaitableOrValue

from crm_interaction.customers.model import CustomerView
from crm_interaction.graphql.context import Context
from crm_interaction.interactions.model import Interaction
from crm_interaction.tasks.model import Task
from crm_interaction.tickets.model import Ticket
from crm_interaction.tickets.queries import TicketAccess
from crm_kit import policy
from crm_kit.auth import Principal
from crm_kit.errors import Forbidden
from crm_kit.policy import Action, PolicyOptions, Resource, Scope

# What each field this subgraph contributes to `Customer` needs (first match grants).
CUSTOMER_FIELDS: dict[str, tuple[tuple[Resource, Action], ...]] = {
    "interactions": ((Resource.INTERACTION, Action.READ),),
    "timeline": ((Resource.INTERACTION, Action.READ),),
    "purchases": ((Resource.INTERACTION, Action.READ),),
    "openTasks": ((Resource.TASK, Action.READ), (Resource.INTERACTION, Action.READ)),
    "tasks": ((Resource.TASK, Action.READ), (Resource.INTERACTION, Action.READ)),
    "tickets": ((Resource.TICKET, Action.READ),),
    "openTickets": ((Resource.TICKET, Action.READ),),
    "lastInteractionAt": ((Resource.INTERACTION, Action.READ), (Resource.STATISTICS, Action.READ)),
    "insight": ((Resource.INTERACTION, Action.READ), (Resource.STATISTICS, Action.READ)),
}
SCOPED_CUSTOMERS_LIMIT = 5000  # customers matched into a ticket list condition


@cache
def options() -> PolicyOptions:
    return PolicyOptions.from_env()


def scope(principal: Principal, action: Action, resource: Resource) -> Scope:
    return policy.scope_of(principal, action, resource, options())


def allows(
    principal: Principal, action: Action, resource: Resource, view: CustomerView | None
) -> bool:
    granted = scope(principal, action, resource)
    if granted is Scope.ALL:
        return True
    if view is None:
        return False
    return policy.in_scope(principal, granted, view.owner_id, view.team)


def forbidden(customer_id: str, action: Action, resource: Resource) -> Forbidden:
    return Forbidden(
        f"Not allowed: {action.lower()} {resource.lower()} of customer {customer_id}",
        action=str(action),
        resource=str(resource),
        id=customer_id,
    )


def projection_loader(context: Context) -> DataLoader[str, CustomerView | None]:
    """The projected customers of one request, one `_id $in` query per batch."""
    customers = context.deps.customers

    async def load(ids: list[str]) -> list[CustomerView | None]:
        found: dict[str, CustomerView] = await customers.get_many(ids)
        return [found.get(i) for i in ids]

    return context.loader("access.customers", load)


async def customer_view(context: Context, customer_id: str) -> CustomerView | None:
    return await projection_loader(context).load(customer_id)


async def require_customer(
    context: Context, customer_id: str, action: Action, resource: Resource
) -> None:
    """FORBIDDEN unless the caller's scope for `action` reaches this customer."""
    principal = context.principal
    if scope(principal, action, resource) is Scope.ALL:
        return
    if not allows(principal, action, resource, await customer_view(context, customer_id)):
        raise forbidden(customer_id, action, resource)


# --- tickets ---------------------------------------------------------------------------------


def ticket_visible(principal: Principal, ticket: Ticket, view: CustomerView | None) -> bool:
    granted = scope(principal, Action.READ, Resource.TICKET)
    if policy.in_scope(principal, granted, ticket.assignee_id, ticket.team):
        return True
    return view is not None and policy.in_scope(principal, granted, view.owner_id, view.team)


async def require_ticket(context: Context, ticket: Ticket, action: Action = Action.READ) -> None:
    principal = context.principal
    granted = scope(principal, action, Resource.TICKET)
    if granted is Scope.ALL:
        return
    view = await customer_view(context, ticket.customer_id)
    if granted is Scope.NONE or not ticket_visible(principal, ticket, view):
        raise Forbidden(
            f"Not allowed: {action.lower()} ticket {ticket.id}",
            action=str(action),
            resource=str(Resource.TICKET),
            id=ticket.id,
        )


async def ticket_access(context: Context) -> TicketAccess | None:
    """``None``: every ticket; else the caller's condition (FORBIDDEN without any scope)."""
    principal = context.principal
    granted = scope(principal, Action.LIST, Resource.TICKET)
    if granted is Scope.ALL:
        return None
    if granted is Scope.NONE:
        raise policy.forbidden(Action.LIST, Resource.TICKET)
    team = principal.team if granted is Scope.TEAM else None
    ids = await context.deps.customers.ids_in_scope(
        principal.sub, team, limit=SCOPED_CUSTOMERS_LIMIT
    )
    return TicketAccess(principal.sub, team, tuple(sorted(ids)))


# --- the Customer field guard ----------------------------------------------------------------


class CustomerFieldAccess(SchemaExtension):
    """Checks every field this subgraph adds to `Customer` before it resolves."""

    def resolve(
        self,
        _next: Callable[..., Any],
        root: Any,
        info: GraphQLResolveInfo[Any],
        *args: Any,
        **kwargs: Any,
    ) -> AwaitableOrValue[object]:
        needs = CUSTOMER_FIELDS.get(info.field_name)
        if needs is None or info.parent_type.name != "Customer":
            result: AwaitableOrValue[object] = _next(root, info, *args, **kwargs)
            return result
        return self._guarded(needs, _next, root, info, *args, **kwargs)

    @staticmethod
    async def _guarded(
        needs: Sequence[tuple[Resource, Action]],
        _next: Callable[..., Any],
        root: Any,
        info: GraphQLResolveInfo[Any],
        *args: Any,
        **kwargs: Any,
    ) -> object:
        context: Context = info.context
        principal = context.principal
        customer_id = str(root.id)
        if not any(scope(principal, a, r) is Scope.ALL for r, a in needs):
            view = await customer_view(context, customer_id)
            if not any(allows(principal, a, r, view) for r, a in needs):
                resource, action = needs[0]
                raise forbidden(customer_id, action, resource)
        result = _next(root, info, *args, **kwargs)
        if isinstance(result, Awaitable):
            return await result
        return result


# --- writes ------------------------------------------------------------------------------------


async def require_for_write(
    context: Context, customer_id: str, action: Action, resource: Resource
) -> None:
    """Like `require_customer`, after giving the projection its usual moment to see a
    customer created just now (the write itself waits the same way)."""
    if scope(context.principal, action, resource) is not Scope.ALL:
        customer_id = await context.deps.customers.filed_under(customer_id)
    await require_customer(context, customer_id, action, resource)


async def require_interaction(context: Context, interaction_id: str, action: Action) -> None:
    found = await context.deps.interaction_queries.get(interaction_id)
    if found is not None:  # unknown: the use case answers NOT_FOUND
        await require_interaction_record(context, found, action)


async def require_interaction_record(
    context: Context, interaction: Interaction, action: Action
) -> None:
    await require_customer(context, interaction.customer_id, action, Resource.INTERACTION)


async def require_task(context: Context, task_id: str, action: Action) -> None:
    found = await context.deps.task_queries.get(task_id)
    if found is not None:  # unknown: the use case answers NOT_FOUND
        await require_task_record(context, found, action)


async def require_task_record(context: Context, task: Task, action: Action) -> None:
    """A task's assignee may work on it; others need the task scope on its customer."""
    if task.assignee_id != context.principal.sub:
        await require_customer(context, task.customer_id, action, Resource.TASK)


async def require_ticket_id(context: Context, ticket_id: str, action: Action) -> None:
    found = await context.deps.ticket_queries.get(ticket_id)
    if found is not None:
        await require_ticket(context, found, action)


def analytics_team(principal: Principal, team: str | None) -> str | None:
    """Aggregates: a TEAM-scoped caller (MANAGER) only ever sees their own team's."""
    granted = scope(principal, Action.READ, Resource.STATISTICS)
    if granted is Scope.ALL:
        return team
    if granted is Scope.NONE or not principal.team:
        raise policy.forbidden(Action.READ, Resource.STATISTICS)
    if team is not None and team != principal.team:
        raise policy.forbidden(Action.READ, Resource.STATISTICS)
    return principal.team
