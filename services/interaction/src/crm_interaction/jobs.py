"""Scheduler job handlers: each runs inside the scheduler's transaction for the job."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from crm_interaction.events import task_events, ticket_events
from crm_interaction.scheduler import Job, JobHandler
from crm_interaction.services import Deps
from crm_interaction.shared.clock import iso
from crm_interaction.task_services import OVERDUE_JOB, REMINDER_JOB
from crm_interaction.tasks.model import TaskStatus
from crm_interaction.ticket_services import SLA_JOB
from crm_interaction.tickets.model import breach
from crm_interaction.tickets.model import timeline_entry as ticket_entry
from crm_interaction.tickets.sla import SlaTarget
from crm_kit.uow import Transaction


@dataclass(frozen=True, slots=True)
class JobHandlers:
    deps: Deps

    async def sla_check(self, job: Job, tx: Transaction) -> None:
        """A target's due time passed: mark it breached (unless met or moved) and say so."""
        ticket = await self.deps.tickets.get(str(job.data["ticketId"]), tx.session)
        if ticket is None:
            return
        target = SlaTarget(str(job.data["target"]))
        now = self.deps.clock()
        breached = breach(ticket, target, job.due_at, now)
        if breached is None:
            return
        await self.deps.tickets.save(breached, ticket.version, tx.session)
        await self.deps.timeline.put(ticket_entry(breached), tx.session)
        tx.emit(
            ticket_events.SLA_BREACHED,
            breached.customer_id,
            ticket_events.sla_breached(breached, target, iso(job.due_at), iso(now)),
        )

    async def task_reminder(self, job: Job, tx: Transaction) -> None:
        task = await self.deps.tasks.get(str(job.data["taskId"]), tx.session)
        if task is None or task.status is not TaskStatus.OPEN:
            return
        offset = int(job.data["offset"])
        tx.emit(task_events.DUE, task.customer_id, task_events.due(task, offset, iso(job.due_at)))

    async def task_overdue(self, job: Job, tx: Transaction) -> None:
        """Still OPEN past its due time (jobs move with dueAt, so this fires once per due)."""
        task = await self.deps.tasks.get(str(job.data["taskId"]), tx.session)
        if task is None or task.status is not TaskStatus.OPEN or task.overdue_at != job.due_at:
            return
        tx.emit(task_events.OVERDUE, task.customer_id, task_events.overdue(task, iso(task.due_at)))

    def routes(self) -> Mapping[str, JobHandler]:
        return {
            SLA_JOB: self.sla_check,
            REMINDER_JOB: self.task_reminder,
            OVERDUE_JOB: self.task_overdue,
        }
