"""Ticket use cases: each runs in one unit of work with its timeline entry, SLA jobs and events.

The SLA clock is kept by two scheduler jobs per ticket (first response, resolution), moved
whenever the ticket's due times change; when one falls due, `check_sla` marks the target
breached (unless it was met or moved meanwhile) and emits `ticket.sla_breached.v1`.
"""

from __future__ import annotations

from dataclasses import dataclass

from crm_interaction.events import (
    ticket_assigned,
    ticket_comment_added,
    ticket_created,
    ticket_sla_breached,
    ticket_status_changed,
)
from crm_interaction.interactions.mentions import mentioned
from crm_interaction.scheduling.model import Job
from crm_interaction.scheduling.store import JobRepository
from crm_interaction.shared.clock import iso, to_storage_time
from crm_interaction.shared.filing import Filing
from crm_interaction.shared.versioning import load_for_change
from crm_interaction.tickets import assignment as assigning
from crm_interaction.tickets import model
from crm_interaction.tickets.assignment import AssignmentStrategy
from crm_interaction.tickets.model import Comment, OpenTicket, Ticket, TicketStatus
from crm_interaction.tickets.sla import SlaRules, SlaTarget
from crm_interaction.tickets.store import AgentRepository, TicketRepository
from crm_kit.auth import Principal, Role
from crm_kit.errors import BadUserInput
from crm_kit.events import new_id
from crm_kit.idempotency import key_for
from crm_kit.mongo import Session
from crm_kit.uow import Transaction

SLA_JOB = "ticket.sla"


def sla_job_id(ticket_id: str, target: SlaTarget) -> str:
    return f"sla:{ticket_id}:{target}"


def _status_changed(tx: Transaction, ticket: Ticket, previous: TicketStatus, actor: str) -> None:
    tx.emit(
        ticket_status_changed.TYPE,
        ticket.customer_id,
        ticket_status_changed.payload(ticket, previous, actor),
    )


@dataclass(frozen=True, slots=True)
class Assignment:
    """Whom `assignTicket` names: an agent, or a team whose agent the strategy picks."""

    agent_id: str | None = None
    team: str | None = None
    strategy: AssignmentStrategy = AssignmentStrategy.LEAST_LOADED


class TicketService:
    def __init__(
        self,
        filing: Filing,
        tickets: TicketRepository,
        agents: AgentRepository,
        jobs: JobRepository,
        sla: SlaRules,
    ) -> None:
        self._filing = filing
        self._tickets = tickets
        self._agents = agents
        self._jobs = jobs
        self._sla = sla

    async def open(
        self, principal: Principal, command: OpenTicket, idempotency_key: str | None = None
    ) -> Ticket:
        model.ensure_agent(principal)
        key = key_for("createTicket", principal, idempotency_key, command)
        await self._register_agent(principal)
        filing = self._filing
        now = to_storage_time(filing.clock())
        ticket = model.open_ticket(
            command, id=new_id(), created_by=principal.sub, now=now, rules=self._sla
        )

        async def write() -> Ticket:
            nonlocal ticket
            ticket = await filing.under_customer(ticket)
            return await filing.uow.run(work)

        async def work(tx: Transaction) -> Ticket:
            await filing.guards.claim(key, ticket.id, now, tx.session)
            await self._tickets.add(ticket, tx.session)
            await filing.timeline.put(model.timeline_entry(ticket), tx.session)
            await self._sync_sla_jobs(ticket, tx.session)
            tx.emit(ticket_created.TYPE, ticket.customer_id, ticket_created.payload(ticket))
            if ticket.assignee_id:
                tx.emit(
                    ticket_assigned.TYPE,
                    ticket.customer_id,
                    ticket_assigned.payload(ticket, None, None),
                )
            return ticket

        return await filing.guards.once(key, "ticket", self._tickets.get, write)

    async def assign(
        self,
        principal: Principal,
        ticket_id: str,
        assignment: Assignment,
        expected_version: int | None = None,
    ) -> Ticket:
        model.ensure_dispatcher(principal)
        await self._register_agent(principal)
        if assignment.agent_id is not None and not assignment.agent_id.strip():
            raise BadUserInput.single("agentId", "REQUIRED", "agentId is blank")
        now = to_storage_time(self._filing.clock())

        async def work(tx: Transaction) -> Ticket:
            ticket = await self._load(ticket_id, tx.session, expected_version)
            chosen, team, used = await self._choose(ticket, assignment, tx.session)
            changed = assigning.assign(ticket, assignee_id=chosen, team=team, now=now)
            await self._store(ticket, changed, tx)
            tx.emit(
                ticket_assigned.TYPE,
                changed.customer_id,
                ticket_assigned.payload(changed, ticket.assignee_id, used),
            )
            if changed.status is not ticket.status:
                _status_changed(tx, changed, ticket.status, principal.sub)
            return changed

        return await self._filing.uow.run(work)

    async def change_status(
        self,
        principal: Principal,
        ticket_id: str,
        status: TicketStatus,
        *,
        resolution: str | None = None,
        expected_version: int | None = None,
    ) -> Ticket:
        model.ensure_agent(principal)
        await self._register_agent(principal)
        now = to_storage_time(self._filing.clock())

        async def work(tx: Transaction) -> Ticket:
            ticket = await self._load(ticket_id, tx.session, expected_version)
            changed = model.change_status(
                ticket, status, now=now, calendar=self._sla.calendar, resolution=resolution
            )
            await self._store(ticket, changed, tx)
            _status_changed(tx, changed, ticket.status, principal.sub)
            return changed

        return await self._filing.uow.run(work)

    async def add_comment(
        self,
        principal: Principal,
        ticket_id: str,
        body: str,
        *,
        customer_visible: bool,
        idempotency_key: str | None = None,
    ) -> Comment:
        model.ensure_agent(principal)
        key = key_for(
            "addTicketComment", principal, idempotency_key, ticket_id, body, customer_visible
        )
        now = to_storage_time(self._filing.clock())

        async def work(tx: Transaction) -> Comment:
            ticket = await self._load(ticket_id, tx.session)
            comment, changed = model.new_comment(
                ticket,
                id=new_id(),
                author_id=principal.sub,
                body=body,
                customer_visible=customer_visible,
                now=now,
            )
            await self._filing.guards.claim(key, comment.id, now, tx.session)
            await self._tickets.add_comment(comment, tx.session)
            await self._store(ticket, changed, tx)
            tx.emit(
                ticket_comment_added.TYPE,
                changed.customer_id,
                ticket_comment_added.payload(
                    changed, comment, mentioned(comment.body, author=principal.sub)
                ),
            )
            return comment

        return await self._filing.guards.once(
            key, "comment", self._tickets.comment, lambda: self._filing.uow.run(work)
        )

    async def rate(
        self, principal: Principal, ticket_id: str, rating: int, comment: str | None
    ) -> Ticket:
        model.ensure_agent(principal)  # staff record the customer's rating (survey, call, app)
        now = to_storage_time(self._filing.clock())

        async def work(tx: Transaction) -> Ticket:
            ticket = await self._load(ticket_id, tx.session)
            changed = model.rate(ticket, rating=rating, comment=comment, now=now)
            await self._store(ticket, changed, tx)
            return changed

        return await self._filing.uow.run(work)

    async def set_agent(self, principal: Principal, agent_id: str, team: str, active: bool) -> None:
        principal.require_role(Role.ADMIN, Role.MANAGER)
        if not agent_id.strip() or not team.strip():
            raise BadUserInput.single("agentId", "REQUIRED", "agentId and team are required")
        await self._agents.upsert(agent_id.strip(), team.strip(), active, self._filing.clock())

    async def check_sla(self, job: Job, tx: Transaction) -> None:
        """The scheduler's SLA job: a target's due time passed; mark it breached (unless met
        or moved) and say so."""
        ticket = await self._tickets.get(str(job.data["ticketId"]), tx.session)
        if ticket is None:
            return
        target = SlaTarget(str(job.data["target"]))
        now = self._filing.clock()
        breached = model.breach(ticket, target, job.due_at, now)
        if breached is None:
            return
        await self._tickets.save(breached, ticket.version, tx.session)
        await self._filing.timeline.put(model.timeline_entry(breached), tx.session)
        tx.emit(
            ticket_sla_breached.TYPE,
            breached.customer_id,
            ticket_sla_breached.payload(breached, target, iso(job.due_at), iso(now)),
        )

    async def _choose(
        self, ticket: Ticket, assignment: Assignment, session: Session
    ) -> tuple[str, str | None, str | None]:
        """(agent, team, strategy used): the named agent, or the team's pick by the strategy."""
        if assignment.agent_id:
            return assignment.agent_id.strip(), assignment.team, None
        team = assignment.team or ticket.team
        if not team:
            raise BadUserInput.single(
                "team", "REQUIRED", "name an agentId, or a team to pick an agent from"
            )
        agents = await self._agents.team(team, session)
        load = await self._tickets.open_load(agents, session) if agents else {}
        last = await self._agents.last_assigned(team, session)
        chosen = assigning.pick_agent(agents, load, assignment.strategy, last)
        await self._agents.remember(team, chosen, session)
        return chosen, team, str(assignment.strategy)

    async def _sync_sla_jobs(self, ticket: Ticket, session: Session) -> None:
        """Make the scheduler's jobs match the ticket's current due times."""
        for target, due in ticket.due_jobs().items():
            job_id = sla_job_id(ticket.id, target)
            if due is None:
                await self._jobs.cancel(job_id, session)
            else:
                data = {"ticketId": ticket.id, "target": str(target)}
                await self._jobs.put(
                    job_id, kind=SLA_JOB, ref_id=ticket.id, due_at=due, data=data, session=session
                )

    async def _register_agent(self, principal: Principal) -> None:
        if principal.has_role(Role.SERVICE) and principal.team:
            await self._agents.seen(principal, self._filing.clock())

    async def _load(
        self, ticket_id: str, session: Session, expected_version: int | None = None
    ) -> Ticket:
        return await load_for_change(
            self._tickets.get,
            "Ticket",
            ticket_id,
            expected_version=expected_version,
            session=session,
            conflict="The ticket was changed meanwhile; reload and retry",
        )

    async def _store(self, before: Ticket, after: Ticket, tx: Transaction) -> None:
        await self._tickets.save(after, before.version, tx.session)
        await self._filing.timeline.put(model.timeline_entry(after), tx.session)
        await self._sync_sla_jobs(after, tx.session)
