"""Ticket use cases: each runs in one unit of work with its timeline entry, SLA jobs and events."""

from __future__ import annotations

from dataclasses import replace

from crm_interaction.events import ticket_events
from crm_interaction.interactions import mentions
from crm_interaction.services import Deps, load_for_change, wait_for_customer
from crm_interaction.shared.clock import to_storage_time
from crm_interaction.tickets import model as rules
from crm_interaction.tickets.model import AssignStrategy, Comment, OpenTicket, Ticket, TicketStatus
from crm_interaction.tickets.sla import SlaTarget
from crm_kit.auth import Principal, Role
from crm_kit.errors import BadUserInput
from crm_kit.events import new_id
from crm_kit.idempotency import key_for
from crm_kit.mongo import Session
from crm_kit.uow import Transaction

SLA_JOB = "ticket.sla"


def sla_job_id(ticket_id: str, target: SlaTarget) -> str:
    return f"sla:{ticket_id}:{target}"


async def sync_sla_jobs(deps: Deps, ticket: Ticket, session: Session) -> None:
    """Make the scheduler's jobs match the ticket's current due times."""
    for target, due in ticket.due_jobs().items():
        job_id = sla_job_id(ticket.id, target)
        if due is None:
            await deps.jobs.cancel(job_id, session)
        else:
            data = {"ticketId": ticket.id, "target": str(target)}
            await deps.jobs.put(
                job_id, kind=SLA_JOB, ref_id=ticket.id, due_at=due, data=data, session=session
            )


async def _register_agent(deps: Deps, principal: Principal) -> None:
    if principal.has_role(Role.SERVICE) and principal.team:
        await deps.agents.seen(principal.sub, principal.team, deps.clock())


async def _load(
    deps: Deps, ticket_id: str, session: Session, expected_version: int | None = None
) -> Ticket:
    return await load_for_change(
        deps.tickets.get,
        "Ticket",
        ticket_id,
        expected_version=expected_version,
        session=session,
        conflict="The ticket was changed meanwhile; reload and retry",
    )


async def _store(deps: Deps, before: Ticket, after: Ticket, tx: Transaction) -> None:
    await deps.tickets.save(after, before.version, tx.session)
    await deps.timeline.put(rules.timeline_entry(after), tx.session)
    await sync_sla_jobs(deps, after, tx.session)


async def open_ticket(
    deps: Deps, principal: Principal, command: OpenTicket, idempotency_key: str | None = None
) -> Ticket:
    rules.ensure_agent(principal)
    key = key_for("createTicket", principal, idempotency_key, command)
    await _register_agent(deps, principal)
    now = to_storage_time(deps.clock())
    ticket = rules.open_ticket(
        command, id=new_id(), created_by=principal.sub, now=now, rules=deps.sla
    )

    async def write() -> Ticket:
        nonlocal ticket
        customer_id = await wait_for_customer(deps, ticket.customer_id)
        if customer_id != ticket.customer_id:
            ticket = replace(ticket, customer_id=customer_id)
        return await deps.uow.run(work)

    async def work(tx: Transaction) -> Ticket:
        await deps.guards.claim(key, ticket.id, now, tx.session)
        await deps.tickets.add(ticket, tx.session)
        await deps.timeline.put(rules.timeline_entry(ticket), tx.session)
        await sync_sla_jobs(deps, ticket, tx.session)
        tx.emit(ticket_events.CREATED, ticket.customer_id, ticket_events.created(ticket))
        if ticket.assignee_id:
            tx.emit(
                ticket_events.ASSIGNED,
                ticket.customer_id,
                ticket_events.assigned(ticket, None, None),
            )
        return ticket

    return await deps.guards.once(key, "ticket", deps.tickets.get, write)


async def assign_ticket(
    deps: Deps,
    principal: Principal,
    ticket_id: str,
    *,
    agent_id: str | None,
    team: str | None,
    strategy: AssignStrategy,
    expected_version: int | None = None,
) -> Ticket:
    rules.ensure_dispatcher(principal)
    await _register_agent(deps, principal)
    if agent_id is not None and not agent_id.strip():
        raise BadUserInput.single("agentId", "REQUIRED", "agentId is blank")
    now = to_storage_time(deps.clock())

    async def work(tx: Transaction) -> Ticket:
        ticket = await _load(deps, ticket_id, tx.session, expected_version)
        chosen = agent_id.strip() if agent_id else None
        used: str | None = None
        if chosen is None:
            target_team = team or ticket.team
            if not target_team:
                raise BadUserInput.single(
                    "team", "REQUIRED", "name an agentId, or a team to pick an agent from"
                )
            agents = await deps.agents.team(target_team, tx.session)
            load = await deps.tickets.open_load(agents, tx.session) if agents else {}
            last = await deps.agents.last_assigned(target_team, tx.session)
            chosen = rules.pick_agent(agents, load, strategy, last)
            await deps.agents.remember(target_team, chosen, tx.session)
            used = str(strategy)
            assigned_team: str | None = target_team
        else:
            assigned_team = team
        changed = rules.assign(ticket, assignee_id=chosen, team=assigned_team, now=now)
        await _store(deps, ticket, changed, tx)
        tx.emit(
            ticket_events.ASSIGNED,
            changed.customer_id,
            ticket_events.assigned(changed, ticket.assignee_id, used),
        )
        if changed.status is not ticket.status:
            tx.emit(
                ticket_events.STATUS_CHANGED,
                changed.customer_id,
                ticket_events.status_changed(changed, ticket.status, principal.sub),
            )
        return changed

    return await deps.uow.run(work)


async def change_status(
    deps: Deps,
    principal: Principal,
    ticket_id: str,
    status: TicketStatus,
    *,
    resolution: str | None = None,
    expected_version: int | None = None,
) -> Ticket:
    rules.ensure_agent(principal)
    await _register_agent(deps, principal)
    now = to_storage_time(deps.clock())

    async def work(tx: Transaction) -> Ticket:
        ticket = await _load(deps, ticket_id, tx.session, expected_version)
        changed = rules.change_status(
            ticket, status, now=now, calendar=deps.sla.calendar, resolution=resolution
        )
        await _store(deps, ticket, changed, tx)
        tx.emit(
            ticket_events.STATUS_CHANGED,
            changed.customer_id,
            ticket_events.status_changed(changed, ticket.status, principal.sub),
        )
        return changed

    return await deps.uow.run(work)


async def add_comment(  # noqa: PLR0917 - the mutation's arguments
    deps: Deps,
    principal: Principal,
    ticket_id: str,
    body: str,
    customer_visible: bool,
    idempotency_key: str | None = None,
) -> Comment:
    rules.ensure_agent(principal)
    key = key_for("addTicketComment", principal, idempotency_key, ticket_id, body, customer_visible)
    now = to_storage_time(deps.clock())

    async def work(tx: Transaction) -> Comment:
        ticket = await _load(deps, ticket_id, tx.session)
        comment, changed = rules.new_comment(
            ticket,
            id=new_id(),
            author_id=principal.sub,
            body=body,
            customer_visible=customer_visible,
            now=now,
        )
        await deps.guards.claim(key, comment.id, now, tx.session)
        await deps.tickets.add_comment(comment, tx.session)
        await _store(deps, ticket, changed, tx)
        tx.emit(
            ticket_events.COMMENT_ADDED,
            changed.customer_id,
            ticket_events.comment_added(
                changed, comment, mentions.mentioned(comment.body, author=principal.sub)
            ),
        )
        return comment

    return await deps.guards.once(key, "comment", deps.tickets.comment, lambda: deps.uow.run(work))


async def rate_ticket(
    deps: Deps, principal: Principal, ticket_id: str, rating: int, comment: str | None
) -> Ticket:
    rules.ensure_agent(principal)  # staff record the customer's rating (survey, call, app)
    now = to_storage_time(deps.clock())

    async def work(tx: Transaction) -> Ticket:
        ticket = await _load(deps, ticket_id, tx.session)
        changed = rules.rate(ticket, rating=rating, comment=comment, now=now)
        await _store(deps, ticket, changed, tx)
        return changed

    return await deps.uow.run(work)


async def set_agent(
    deps: Deps, principal: Principal, agent_id: str, team: str, active: bool
) -> None:
    principal.require_role(Role.ADMIN, Role.MANAGER)
    if not agent_id.strip() or not team.strip():
        raise BadUserInput.single("agentId", "REQUIRED", "agentId and team are required")
    await deps.agents.upsert(agent_id.strip(), team.strip(), active, deps.clock())
