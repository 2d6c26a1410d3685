"""Task use cases: create with durable reminders and an overdue check, change (jobs moved),
complete or cancel (jobs cancelled)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from crm_interaction.events import task_events
from crm_interaction.services import Deps, load_for_change, wait_for_customer
from crm_interaction.shared.clock import to_storage_time
from crm_interaction.tasks import model as rules
from crm_interaction.tasks.model import NewTask, Task, TaskChanges, TaskStatus
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


async def create_task(
    deps: Deps, principal: Principal, command: NewTask, idempotency_key: str | None = None
) -> Task:
    rules.ensure_writer(principal)
    key = key_for("createTask", principal, idempotency_key, command)
    now = to_storage_time(deps.clock())
    due_at = to_storage_time(command.due_at)
    task = rules.new_task(
        replace(command, due_at=due_at), id=new_id(), created_by=principal.sub, now=now
    )

    async def write() -> Task:
        nonlocal task
        customer_id = await wait_for_customer(deps, task.customer_id)
        if customer_id != task.customer_id:
            task = replace(task, customer_id=customer_id)
        return await deps.uow.run(work)

    async def work(tx: Transaction) -> Task:
        await deps.guards.claim(key, task.id, now, tx.session)
        await add_task(deps, task, now, tx)
        return task

    return await deps.guards.once(key, "task", deps.tasks.get, write)


async def add_task(deps: Deps, task: Task, now: datetime, tx: Transaction) -> None:
    """Store a new task with its timeline entry, reminder jobs and `task.created.v1`."""
    await deps.tasks.add(task, tx.session)
    await deps.timeline.put(rules.timeline_entry(task), tx.session)
    await schedule(deps, task, now, tx)
    tx.emit(task_events.CREATED, task.customer_id, task_events.created(task))


async def schedule(deps: Deps, task: Task, now: datetime, tx: Transaction) -> None:
    """The task's durable jobs: one per future reminder, and the overdue check."""
    for offset, at in task.reminder_times(now).items():
        await deps.jobs.put(
            reminder_job_id(task.id, offset),
            kind=REMINDER_JOB,
            ref_id=task.id,
            due_at=at,
            data={"taskId": task.id, "offset": offset},
            session=tx.session,
        )
    await deps.jobs.put(
        overdue_job_id(task.id),
        kind=OVERDUE_JOB,
        ref_id=task.id,
        due_at=task.overdue_at,
        data={"taskId": task.id},
        session=tx.session,
    )


def _ensure_may_change(principal: Principal, task: Task, verb: str) -> None:
    if principal.sub not in (task.assignee_id, task.created_by) and not principal.has_role(
        *rules.MANAGE_ROLES
    ):
        raise Forbidden(f"Only the assignee, the creator or a manager can {verb} this task")


async def _load(deps: Deps, task_id: str, expected_version: int | None, tx: Transaction) -> Task:
    return await load_for_change(
        deps.tasks.get,
        "Task",
        task_id,
        expected_version=expected_version,
        session=tx.session,
        conflict="The task was changed meanwhile",
    )


async def update_task(
    deps: Deps,
    principal: Principal,
    task_id: str,
    changes: TaskChanges,
    expected_version: int | None = None,
) -> Task:
    """Change an OPEN task; a new due time or new offsets move its reminders and overdue check
    (jobs are replaced in the same transaction, so no stale reminder can fire)."""
    rules.ensure_writer(principal)
    now = to_storage_time(deps.clock())
    if changes.due_at is not None:
        changes = replace(changes, due_at=to_storage_time(changes.due_at))

    async def work(tx: Transaction) -> Task:
        task = await _load(deps, task_id, expected_version, tx)
        _ensure_may_change(principal, task, "change")
        changed_task, changed = rules.update(task, changes, now)
        if not changed:
            return task
        await deps.tasks.save(changed_task, task.version, tx.session)
        await deps.timeline.put(rules.timeline_entry(changed_task), tx.session)
        if rules.SCHEDULE_FIELDS.intersection(changed):
            await deps.jobs.cancel_ref(task.id, tx.session)
            await schedule(deps, changed_task, now, tx)
        tx.emit(
            task_events.UPDATED,
            changed_task.customer_id,
            task_events.updated(changed_task, changed, task.assignee_id, principal.sub),
        )
        return changed_task

    return await deps.uow.run(work)


async def finish_task(
    deps: Deps,
    principal: Principal,
    task_id: str,
    status: TaskStatus,
    expected_version: int | None = None,
) -> Task:
    rules.ensure_writer(principal)
    now = to_storage_time(deps.clock())

    async def work(tx: Transaction) -> Task:
        task = await _load(deps, task_id, expected_version, tx)
        _ensure_may_change(principal, task, "finish")
        done = rules.finish(task, status, now)
        await deps.tasks.save(done, task.version, tx.session)
        await deps.timeline.put(rules.timeline_entry(done), tx.session)
        await deps.jobs.cancel_ref(task.id, tx.session)
        if status is TaskStatus.DONE:
            tx.emit(
                task_events.COMPLETED, done.customer_id, task_events.completed(done, principal.sub)
            )
            following = rules.next_occurrence(done, id=new_id(), now=now)
            if following is not None:
                await add_task(deps, following, now, tx)
        return done

    return await deps.uow.run(work)
