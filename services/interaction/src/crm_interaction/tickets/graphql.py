"""GraphQL of service tickets: `ticket(id)` and the ticket mutations (the lists, `tickets`,
`myTickets` and `Customer.tickets`, are in `lists`)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from crm_interaction import access
from crm_interaction.graphql.context import Info
from crm_interaction.tickets.assignment import AssignmentStrategy
from crm_interaction.tickets.inputs import CreateTicketInput
from crm_interaction.tickets.model import (
    COMMENT_MAX_CHARS,
    DESCRIPTION_MAX_CHARS,
    RATING_COMMENT_MAX_CHARS,
    TicketStatus,
)
from crm_interaction.tickets.service import Assignment
from crm_interaction.tickets.types import TicketCommentType, TicketType
from crm_kit.errors import NotFound
from crm_kit.graphql import ExpectedVersion
from crm_kit.policy import Action, Resource

TicketId = Annotated[strawberry.ID, strawberry.argument(description="The ticket's id.")]
_WORK = (
    "Roles ADMIN, MANAGER, SERVICE, SALES, within their ticket update scope (the ticket's "
    "assignee or team, or its customer's owner or team)."
)
_CHANGE_ERRORS = "NOT_FOUND, CONFLICT (expectedVersion), FORBIDDEN."


@strawberry.type
class TicketQuery:
    @strawberry.field(
        description="One ticket by id. Errors: NOT_FOUND; FORBIDDEN outside the caller's "
        "ticket read scope (the ticket's assignee or team, or its customer's owner or team)."
    )
    async def ticket(self, info: Info, id: TicketId) -> TicketType | None:
        _ = info.context.principal
        found = await info.context.deps.ticket_queries.get(str(id))
        if found is None:
            raise NotFound("Ticket", str(id))
        await access.require_ticket(info.context, found)
        return TicketType.from_domain(found)


@strawberry.type(description="What saveServiceAgent recorded.")
class SetServiceAgentPayload:
    agent_id: strawberry.ID = strawberry.field(description="The agent's staff id (trimmed).")
    team: str = strawberry.field(description="The agent's team (trimmed).")
    active: bool = strawberry.field(description="Whether assignTicket picks the agent now.")


async def _save_service_agent(
    info: Info,
    agent_id: Annotated[str, strawberry.argument(description="The agent's staff id.")],
    team: Annotated[str, strawberry.argument(description="The agent's team.")],
    active: Annotated[
        bool, strawberry.argument(description="false: no longer picked by assignTicket.")
    ] = True,
) -> SetServiceAgentPayload:
    """saveServiceAgent and its deprecated alias setServiceAgent."""
    await info.context.deps.tickets.set_agent(info.context.principal, agent_id, team, active)
    return SetServiceAgentPayload(
        agent_id=strawberry.ID(agent_id.strip()), team=team.strip(), active=active
    )


@strawberry.type
class TicketMutation:
    @strawberry.mutation(
        description="Open a service ticket (SLA clock starts now). Roles ADMIN, MANAGER, "
        "SERVICE, SALES, within their ticket scope of the customer. Errors: BAD_USER_INPUT "
        "(`subject` REQUIRED, TOO_LONG; `description` TOO_LONG; `team` REQUIRED, TOO_LONG; "
        "`idempotencyKey` REQUIRED, TOO_LONG), NOT_FOUND (the customer is unknown or erased), "
        "CONFLICT (idempotencyKey reused for a different request), FORBIDDEN."
    )
    async def create_ticket(
        self,
        info: Info,
        input: Annotated[CreateTicketInput, strawberry.argument(description="The ticket.")],
    ) -> TicketType:
        await access.require_for_write(
            info.context, str(input.customer_id), Action.CREATE, Resource.TICKET
        )
        created = await info.context.deps.tickets.open(
            info.context.principal, input.to_command(), input.idempotency_key
        )
        return TicketType.from_domain(created)

    @strawberry.mutation(
        description="Assign to an agent, or to a team's agent chosen by the strategy; a NEW "
        "ticket becomes ASSIGNED. Roles ADMIN, MANAGER, SERVICE, within their ticket assign "
        "scope. Errors: BAD_USER_INPUT (`id` NOT_OPEN; `agentId` REQUIRED; `team` REQUIRED, "
        f"NO_AGENTS), {_CHANGE_ERRORS}"
    )
    async def assign_ticket(  # noqa: PLR0917 - the mutation's arguments
        self,
        info: Info,
        id: TicketId,
        agent_id: Annotated[
            str | None, strawberry.argument(description="Staff id of the agent to assign.")
        ] = None,
        team: Annotated[
            str | None,
            strawberry.argument(
                description="The team: with agentId, the ticket's new team; without, the team "
                "whose active agents the strategy picks from (default: the ticket's team)."
            ),
        ] = None,
        strategy: Annotated[
            AssignmentStrategy,
            strawberry.argument(
                description="How to pick an agent of the team when agentId is omitted: "
                "LEAST_LOADED, the active agent with the fewest open tickets (ties by id); "
                "ROUND_ROBIN, the active agents in turn (in id order)."
            ),
        ] = AssignmentStrategy.LEAST_LOADED,
        expected_version: ExpectedVersion = None,
    ) -> TicketType:
        await access.require_ticket_id(info.context, str(id), Action.ASSIGN)
        assigned = await info.context.deps.tickets.assign(
            info.context.principal, str(id), Assignment(agent_id, team, strategy), expected_version
        )
        return TicketType.from_domain(assigned)

    @strawberry.mutation(
        description="Move a ticket along the workflow (or reopen it): see each TicketStatus "
        f"for the next states allowed. {_WORK} Errors: BAD_USER_INPUT (`status` "
        "TRANSITION_NOT_ALLOWED, UNASSIGNED; `resolution` TOO_LONG), " + _CHANGE_ERRORS
    )
    async def change_ticket_status(
        self,
        info: Info,
        id: TicketId,
        status: Annotated[TicketStatus, strawberry.argument(description="The new state.")],
        resolution: Annotated[
            str | None,
            strawberry.argument(
                description="How it was resolved (kept with RESOLVED), at most "
                f"{DESCRIPTION_MAX_CHARS} characters."
            ),
        ] = None,
        expected_version: ExpectedVersion = None,
    ) -> TicketType:
        await access.require_ticket_id(info.context, str(id), Action.UPDATE)
        changed = await info.context.deps.tickets.change_status(
            info.context.principal,
            str(id),
            status,
            resolution=resolution,
            expected_version=expected_version,
        )
        return TicketType.from_domain(changed)

    @strawberry.mutation(
        description="Comment on a ticket (internal unless customerVisible); the first "
        "customer-visible comment answers the first response; `@<staff id>` mentions notify "
        "those staff. "
        f"{_WORK} Errors: BAD_USER_INPUT (`body` REQUIRED, TOO_LONG; `idempotencyKey` "
        "REQUIRED, TOO_LONG), NOT_FOUND, CONFLICT (idempotencyKey reused for a different "
        "request), FORBIDDEN."
    )
    async def add_ticket_comment(
        self,
        info: Info,
        id: TicketId,
        body: Annotated[
            str,
            strawberry.argument(description=f"The text: 1–{COMMENT_MAX_CHARS} characters."),
        ],
        customer_visible: Annotated[
            bool, strawberry.argument(description="Show it to the customer (else internal).")
        ] = False,
        idempotency_key: Annotated[
            str | None,
            strawberry.argument(
                description="Retrying with the same key returns the first comment, adds nothing"
            ),
        ] = None,
    ) -> TicketCommentType:
        await access.require_ticket_id(info.context, str(id), Action.UPDATE)
        comment = await info.context.deps.tickets.add_comment(
            info.context.principal,
            str(id),
            body,
            customer_visible=customer_visible,
            idempotency_key=idempotency_key,
        )
        return TicketCommentType.from_domain(comment)

    @strawberry.mutation(
        description="Record the customer's satisfaction (1–5) after resolution; rating again "
        f"replaces it. {_WORK} Errors: BAD_USER_INPUT (`rating` OUT_OF_RANGE; `comment` "
        "TOO_LONG; `id` NOT_RESOLVED), NOT_FOUND, FORBIDDEN."
    )
    async def rate_ticket(
        self,
        info: Info,
        id: TicketId,
        rating: Annotated[int, strawberry.argument(description="1 (worst) to 5 (best).")],
        comment: Annotated[
            str | None,
            strawberry.argument(
                description=f"The customer's words, at most {RATING_COMMENT_MAX_CHARS} characters."
            ),
        ] = None,
    ) -> TicketType:
        await access.require_ticket_id(info.context, str(id), Action.UPDATE)
        rated = await info.context.deps.tickets.rate(
            info.context.principal, str(id), rating, comment
        )
        return TicketType.from_domain(rated)

    save_service_agent = strawberry.mutation(
        resolver=_save_service_agent,
        description="Add, move or deactivate a service agent (ADMIN, MANAGER), replacing what "
        "was recorded for `agentId` (an upsert): a team's active agents are whom assignTicket "
        "picks from (SERVICE staff with a team join theirs when they work on tickets). Answers "
        "the agent as recorded. Errors: BAD_USER_INPUT (`agentId` REQUIRED: agentId and team "
        "must not be blank), FORBIDDEN.",
    )
    set_service_agent = strawberry.mutation(
        resolver=_save_service_agent,
        description="Add, move or deactivate a service agent; the former name of "
        "saveServiceAgent (same arguments, same result, same errors).",
        deprecation_reason="Use saveServiceAgent; removed in the next major release.",
    )
