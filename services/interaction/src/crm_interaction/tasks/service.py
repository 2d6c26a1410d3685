"""Task use cases: create with durable reminders and an overdue check, change (jobs moved),
complete or cancel (jobs cancelled; a recurring task's next one is created); and the
scheduler's jobs of a task: its reminders (`task.due.v1`) and its overdue check
(`task.overdue.v1`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from crm_interaction.events import (
    task_completed,
    task_created,
    task_due,
    task_overdue,
    task_updated,
)
from crm_interaction.scheduling.model import Job
from crm_interaction.scheduling.store import JobRepository
from crm_interaction.shared.clock import iso, to_storage_time
from crm_interaction.shared.filing import Filing
from crm_interaction.shared.versioning import load_for_change
from crm_interaction.tasks import model
from crm_interaction.tasks.model import NewTask, Task, TaskChanges, TaskStatus
from crm_interaction.tasks.store import TaskRepository
from crm_kit.auth import Principal
from crm_kit.errors import Forbidden
from crm_kit.events import new_id
from crm_kit.idempotency import key_for
from crm_kit.uow import Transaction

REMINDER_JOB = "task.reminder"
OVERDUE_JOB = "task.overdue"


def reminder_job_id(task_id: str, offset: int) -> str:
    return f"task:{task_id}:{offset}"


def overdue_job_id(task_id: str) -> str:
    return f"task:{task_id}:overdue"


def _ensure_may_change(principal: Principal, task: Task, verb: str) -> None:
    if principal.sub not in (task.assignee_id, task.created_by) and not principal.has_role(
        *model.MANAGE_ROLES
    ):
        raise Forbidden(
            f"Only the assignee, the creator or a manager can {verb} this task",
            message_key="TASK_NOT_YOURS",
        )


class TaskService:
    def __init__(self, filing: Filing, tasks: TaskRepository, jobs: JobRepository) -> None:
        self._filing = filing
        self._tasks = tasks
        self._jobs = jobs

    @staticmethod
    def may_change(principal: Principal, task: Task) -> bool:
        """Would `update`, `complete` and `cancel` let the caller at this task (the writer
        roles; assignee, creator or manager)? Its state and the customer scope aside."""
        try:
            model.ensure_writer(principal)
            _ensure_may_change(principal, task, "change")
        except Forbidden:
            return False
        return True

    async def create(
        self, principal: Principal, command: NewTask, idempotency_key: str | None = None
    ) -> Task:
        model.ensure_writer(principal)
        key = key_for("createTask", principal, idempotency_key, command)
        filing = self._filing
        now = to_storage_time(filing.clock())
        due_at = to_storage_time(command.due_at)
        task = model.new_task(
            replace(command, due_at=due_at), id=new_id(), created_by=principal.sub, now=now
        )

        async def write() -> Task:
            nonlocal task
            task = await filing.under_customer(task)
            return await filing.uow.run(work)

        async def work(tx: Transaction) -> Task:
            await filing.guards.claim(key, task.id, now, tx.session)
            await self._add(task, now, tx)
            return task

        return await filing.guards.once(key, "task", self._tasks.get, write)

    async def update(
        self,
        principal: Principal,
        task_id: str,
        changes: TaskChanges,
        expected_version: int | None = None,
    ) -> Task:
        """Change an OPEN task; a new due time or new offsets move its reminders and overdue
        check (jobs are replaced in the same transaction, so no stale reminder can fire)."""
        model.ensure_writer(principal)
        now = to_storage_time(self._filing.clock())
        if changes.due_at is not None:
            changes = replace(changes, due_at=to_storage_time(changes.due_at))

        async def work(tx: Transaction) -> Task:
            task = await self._load(task_id, expected_version, tx)
            _ensure_may_change(principal, task, "change")
            changed_task, changed = model.update(task, changes, now)
            if not changed:
                return task
            await self._tasks.save(changed_task, task.version, tx.session)
            await self._filing.timeline.put(model.timeline_entry(changed_task), tx.session)
            if model.SCHEDULE_FIELDS.intersection(changed):
                await self._jobs.cancel_ref(task.id, tx.session)
                await self._schedule(changed_task, now, tx)
            tx.emit(
                task_updated.TYPE,
                changed_task.customer_id,
                task_updated.payload(changed_task, changed, task.assignee_id, principal.sub),
            )
            return changed_task

        return await self._filing.uow.run(work)

    async def finish(
        self,
        principal: Principal,
        task_id: str,
        status: TaskStatus,
        expected_version: int | None = None,
    ) -> Task:
        model.ensure_writer(principal)
        now = to_storage_time(self._filing.clock())

        async def work(tx: Transaction) -> Task:
            task = await self._load(task_id, expected_version, tx)
            _ensure_may_change(principal, task, "finish")
            done = model.finish(task, status, now)
            await self._tasks.save(done, task.version, tx.session)
            await self._filing.timeline.put(model.timeline_entry(done), tx.session)
            await self._jobs.cancel_ref(task.id, tx.session)
            if status is TaskStatus.DONE:
                tx.emit(
                    task_completed.TYPE,
                    done.customer_id,
                    task_completed.payload(done, principal.sub),
                )
                following = model.next_occurrence(done, id=new_id(), now=now)
                if following is not None:
                    await self._add(following, now, tx)
            return done

        return await self._filing.uow.run(work)

    async def remind(self, job: Job, tx: Transaction) -> None:
        """The scheduler's reminder job: `task.due.v1` for a task still OPEN."""
        task = await self._tasks.get(str(job.data["taskId"]), tx.session)
        if task is None or task.status is not TaskStatus.OPEN:
            return
        offset = int(job.data["offset"])
        tx.emit(task_due.TYPE, task.customer_id, task_due.payload(task, offset, iso(job.due_at)))

    async def check_overdue(self, job: Job, tx: Transaction) -> None:
        """Still OPEN past its due time (jobs move with dueAt, so this fires once per due)."""
        task = await self._tasks.get(str(job.data["taskId"]), tx.session)
        if task is None or task.status is not TaskStatus.OPEN or task.overdue_at != job.due_at:
            return
        tx.emit(task_overdue.TYPE, task.customer_id, task_overdue.payload(task, iso(task.due_at)))

    async def _add(self, task: Task, now: datetime, tx: Transaction) -> None:
        """Store a new task with its timeline entry, reminder jobs and `task.created.v1`."""
        await self._tasks.add(task, tx.session)
        await self._filing.timeline.put(model.timeline_entry(task), tx.session)
        await self._schedule(task, now, tx)
        tx.emit(task_created.TYPE, task.customer_id, task_created.payload(task))

    async def _schedule(self, task: Task, now: datetime, tx: Transaction) -> None:
        """The task's durable jobs: one per future reminder, and the overdue check."""
        for offset, at in task.reminder_times(now).items():
            await self._jobs.put(
                reminder_job_id(task.id, offset),
                kind=REMINDER_JOB,
                ref_id=task.id,
                due_at=at,
                data={"taskId": task.id, "offset": offset},
                session=tx.session,
            )
        await self._jobs.put(
            overdue_job_id(task.id),
            kind=OVERDUE_JOB,
            ref_id=task.id,
            due_at=task.overdue_at,
            data={"taskId": task.id},
            session=tx.session,
        )

    async def _load(self, task_id: str, expected_version: int | None, tx: Transaction) -> Task:
        return await load_for_change(
            self._tasks.get,
            "Task",
            task_id,
            expected_version=expected_version,
            session=tx.session,
            conflict="The task was changed meanwhile",
        )
