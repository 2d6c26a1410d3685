"""Task use cases: create with durable reminders, complete or cancel (reminders cancelled)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from crm_interaction import tasks as rules
from crm_interaction import timeline
from crm_interaction.domain import to_storage_time
from crm_interaction.events import task_events
from crm_interaction.services import Deps, wait_for_customer
from crm_interaction.tasks import NewTask, Task, TaskStatus
from crm_kit.auth import Principal
from crm_kit.errors import Conflict, Forbidden, NotFound
from crm_kit.events import new_id
from crm_kit.uow import Transaction

REMINDER_JOB = "task.reminder"


def reminder_job_id(task_id: str, offset: int) -> str:
    return f"task:{task_id}:{offset}"


async def create_task(deps: Deps, principal: Principal, command: NewTask) -> Task:
    rules.ensure_writer(principal)
    now = to_storage_time(deps.clock())
    due_at = to_storage_time(command.due_at)
    task = rules.new_task(
        replace(command, due_at=due_at), id=new_id(), created_by=principal.sub, now=now
    )
    customer_id = await wait_for_customer(deps, task.customer_id)
    if customer_id != task.customer_id:
        task = replace(task, customer_id=customer_id)

    async def work(tx: Transaction) -> Task:
        await add_task(deps, task, now, tx)
        return task

    return await deps.uow.run(work)


async def add_task(deps: Deps, task: Task, now: datetime, tx: Transaction) -> None:
    """Store a new task with its timeline entry, reminder jobs and `task.created.v1`."""
    await deps.tasks.add(task, tx.session)
    await deps.timeline.put(timeline.of_task(task), tx.session)
    for offset, at in task.reminder_times(now).items():
        await deps.jobs.put(
            reminder_job_id(task.id, offset),
            kind=REMINDER_JOB,
            ref_id=task.id,
            due_at=at,
            data={"taskId": task.id, "offset": offset},
            session=tx.session,
        )
    tx.emit(task_events.CREATED, task.customer_id, task_events.created(task))


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
        task = await deps.tasks.get(task_id, tx.session)
        if task is None:
            raise NotFound("Task", task_id)
        if expected_version is not None and expected_version != task.version:
            raise Conflict(
                "The task was changed meanwhile",
                conflicting_id=task.id,
                currentVersion=task.version,
            )
        if principal.sub not in (task.assignee_id, task.created_by) and not principal.has_role(
            *rules.MANAGE_ROLES
        ):
            raise Forbidden("Only the assignee, the creator or a manager can finish this task")
        done = rules.finish(task, status, now)
        await deps.tasks.save(done, task.version, tx.session)
        await deps.timeline.put(timeline.of_task(done), tx.session)
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
