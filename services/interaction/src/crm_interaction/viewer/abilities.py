"""What the caller may do with a ticket, task or interaction already in the response
(`viewerCan…`).

Each field makes the checks its mutations make — `access` on the record (or its customer)
and the use case's role rules — so a button a client shows is one the mutation accepts. It
answers for the caller's access only: the record's state can still refuse a write (a closed
ticket: see `allowedNextStatuses`; a finished task; a stale version).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import strawberry

from crm_interaction import access
from crm_interaction.graphql.context import Info
from crm_interaction.interactions.model import Interaction
from crm_interaction.tasks.model import Task
from crm_interaction.tickets import model as tickets
from crm_interaction.tickets.model import Ticket
from crm_kit.auth import Principal
from crm_kit.errors import Forbidden
from crm_kit.policy import Action


class HasRecord[T](Protocol):
    """A GraphQL type that keeps the domain record it was made from."""

    @property
    def record(self) -> T | None: ...


async def _allowed(check: Awaitable[None]) -> bool:
    try:
        await check
    except Forbidden:
        return False
    return True


def _passes(rule: Callable[[Principal], None], principal: Principal) -> bool:
    try:
        rule(principal)
    except Forbidden:
        return False
    return True


# The use case's role rule behind each ticket action.
_TICKET_RULES: dict[Action, Callable[[Principal], None]] = {
    Action.UPDATE: tickets.ensure_agent,
    Action.ASSIGN: tickets.ensure_dispatcher,
}
_TICKET_DESCRIPTIONS = {
    Action.UPDATE: "Whether the caller may work on this ticket (changeTicketStatus, "
    "addTicketComment, rateTicket).",
    Action.ASSIGN: "Whether the caller may assign this ticket (assignTicket).",
}


def ticket_can(action: Action) -> Any:
    """A `Boolean!` field of `Ticket`: may the caller do `action` on this ticket?"""

    async def resolve(root: HasRecord[Ticket], info: Info) -> bool:
        ticket = root.record
        if ticket is None or not _passes(_TICKET_RULES[action], info.context.principal):
            return False
        return await _allowed(access.require_ticket(info.context, ticket, action))

    return strawberry.field(resolver=resolve, description=_TICKET_DESCRIPTIONS[action])


def task_can_update() -> Any:
    """`Task.viewerCanUpdate`: may the caller change, complete or cancel this task?"""

    async def resolve(root: HasRecord[Task], info: Info) -> bool:
        task = root.record
        if task is None or not info.context.deps.tasks.may_change(info.context.principal, task):
            return False
        return await _allowed(access.require_task_record(info.context, task, Action.UPDATE))

    return strawberry.field(
        resolver=resolve,
        description="Whether the caller may change this task (updateTask, completeTask, "
        "cancelTask).",
    )


def interaction_can_update() -> Any:
    """`Interaction.viewerCanUpdate`: may the caller edit or delete this record?"""

    async def resolve(root: HasRecord[Interaction], info: Info) -> bool:
        found = root.record
        deps = info.context.deps
        if found is None or not deps.interactions.may_change(info.context.principal, found):
            return False
        check = access.require_interaction_record(info.context, found, Action.UPDATE)
        return await _allowed(check)

    return strawberry.field(
        resolver=resolve,
        description="Whether the caller may change this interaction (updateInteraction, "
        "deleteInteraction).",
    )
