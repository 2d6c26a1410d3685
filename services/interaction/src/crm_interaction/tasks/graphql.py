"""GraphQL of follow-up tasks: the task types, `myTasks`, the task mutations, and
`Customer.openTasks` (batched per `_entities` call)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.dataloader import DataLoader

from crm_interaction import access
from crm_interaction.graphql.context import Info
from crm_interaction.graphql.loaders import per_customer
from crm_interaction.tasks import model as tasks
from crm_interaction.tasks.model import Task, TaskStatus
from crm_kit.graphql import PageInfo, page_info
from crm_kit.paging import Keyset, encode_cursor, page_size
from crm_kit.policy import Action, Resource

strawberry.enum(tasks.Urgency, description="How urgent a task is")
strawberry.enum(tasks.TaskStatus, description="Task state")
strawberry.enum(tasks.Recurrence, description="How a task repeats once completed")


@strawberry.type(name="Task", description="A follow-up task")
class TaskType:
    id: strawberry.ID
    customer_id: strawberry.ID
    title: str
    notes: str | None
    assignee_id: str
    due_at: datetime
    urgency: tasks.Urgency
    reminder_offsets: list[int] = strawberry.field(description="Minutes before dueAt")
    status: tasks.TaskStatus
    created_by: str
    created_at: datetime
    completed_at: datetime | None
    version: int
    recurrence: tasks.Recurrence

    @classmethod
    def from_domain(cls, t: tasks.Task) -> TaskType:
        return cls(
            id=strawberry.ID(t.id),
            customer_id=strawberry.ID(t.customer_id),
            title=t.title,
            notes=t.notes,
            assignee_id=t.assignee_id,
            due_at=t.due_at,
            urgency=t.urgency,
            reminder_offsets=list(t.reminder_offsets),
            status=t.status,
            created_by=t.created_by,
            created_at=t.created_at,
            completed_at=t.completed_at,
            version=t.version,
            recurrence=t.recurrence,
        )


@strawberry.type
class TaskEdge:
    cursor: str
    node: TaskType


@strawberry.type(description="Tasks, soonest due first")
class TaskConnection:
    edges: list[TaskEdge]
    page_info: PageInfo
    total_count: int


@strawberry.input
class CreateTaskInput:
    customer_id: strawberry.ID
    title: str
    due_at: datetime
    assignee_id: str | None = strawberry.field(default=None, description="Defaults to the caller")
    notes: str | None = None
    urgency: tasks.Urgency = tasks.Urgency.NORMAL
    reminder_offsets: list[int] | None = strawberry.field(
        default=None, description="Minutes before dueAt to remind (default 60 and 0)"
    )
    recurrence: tasks.Recurrence = strawberry.field(
        default=tasks.Recurrence.NONE,
        description="Completing a recurring task creates the next one",
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Retrying with the same key returns the first task, creates nothing",
    )

    def to_command(self) -> tasks.NewTask:
        return tasks.NewTask(
            customer_id=str(self.customer_id),
            title=self.title,
            due_at=self.due_at,
            assignee_id=self.assignee_id,
            notes=self.notes,
            urgency=self.urgency,
            reminder_offsets=tuple(self.reminder_offsets)
            if self.reminder_offsets is not None
            else None,
            recurrence=self.recurrence,
        )


@strawberry.input(description="What to change on an OPEN task; omitted fields stay as they are")
class UpdateTaskInput:
    title: str | None = None
    notes: str | None = None
    due_at: datetime | None = strawberry.field(
        default=None, description="Moves the reminders and the overdue check"
    )
    urgency: tasks.Urgency | None = None
    reminder_offsets: list[int] | None = strawberry.field(
        default=None, description="Minutes before dueAt; replaces the current reminders"
    )
    assignee_id: str | None = None

    def to_changes(self) -> tasks.TaskChanges:
        return tasks.TaskChanges(
            title=self.title,
            notes=self.notes,
            due_at=self.due_at,
            urgency=self.urgency,
            reminder_offsets=tuple(self.reminder_offsets)
            if self.reminder_offsets is not None
            else None,
            assignee_id=self.assignee_id,
        )


def _open(info: Info) -> DataLoader[str, list[Task]]:
    return per_customer(info, "openTasks", info.context.deps.task_queries.open_for_customers, list)


async def customer_open_tasks(info: Info, customer_id: str) -> list[TaskType]:
    """`Customer.openTasks`: soonest due first, one aggregate for the whole batch."""
    _ = info.context.principal
    return [TaskType.from_domain(t) for t in await _open(info).load(customer_id)]


async def _finish(
    info: Info, id: strawberry.ID, status: TaskStatus, expected_version: int | None
) -> TaskType:
    await access.require_task(info.context, str(id), Action.UPDATE)
    done = await info.context.deps.tasks.finish(
        info.context.principal, str(id), status, expected_version
    )
    return TaskType.from_domain(done)


@strawberry.type
class TaskQuery:
    @strawberry.field(description="Tasks assigned to the caller, soonest due first")
    async def my_tasks(
        self, info: Info, status: TaskStatus = TaskStatus.OPEN, first: int | None = 20
    ) -> TaskConnection:
        principal = info.context.principal
        size = page_size(first)
        queries = info.context.deps.task_queries
        found = await queries.for_assignee(principal.sub, [str(status)], size + 1)
        edges = [
            TaskEdge(cursor=encode_cursor(Keyset(t.due_at, t.id)), node=TaskType.from_domain(t))
            for t in found[:size]
        ]
        total = await queries.count_for_assignee(principal.sub, [str(status)])
        return TaskConnection(
            edges=edges,
            page_info=page_info([e.cursor for e in edges], len(found) > size, False),
            total_count=total,
        )


@strawberry.type
class TaskMutation:
    @strawberry.mutation(description="Create a follow-up task with reminders")
    async def create_task(self, info: Info, input: CreateTaskInput) -> TaskType:
        await access.require_for_write(
            info.context, str(input.customer_id), Action.CREATE, Resource.TASK
        )
        created = await info.context.deps.tasks.create(
            info.context.principal, input.to_command(), input.idempotency_key
        )
        return TaskType.from_domain(created)

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
        await access.require_task(info.context, str(id), Action.UPDATE)
        changed = await info.context.deps.tasks.update(
            info.context.principal, str(id), input.to_changes(), expected_version
        )
        return TaskType.from_domain(changed)

    @strawberry.mutation(description="Mark a task done (its pending reminders are cancelled)")
    async def complete_task(
        self, info: Info, id: strawberry.ID, expected_version: int | None = None
    ) -> TaskType:
        return await _finish(info, id, TaskStatus.DONE, expected_version)

    @strawberry.mutation(description="Cancel a task (its pending reminders are cancelled)")
    async def cancel_task(
        self, info: Info, id: strawberry.ID, expected_version: int | None = None
    ) -> TaskType:
        return await _finish(info, id, TaskStatus.CANCELLED, expected_version)
