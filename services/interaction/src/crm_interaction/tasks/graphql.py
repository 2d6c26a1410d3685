"""GraphQL of follow-up tasks: the task types, `myTasks`, the task mutations, and
`Customer.openTasks` / `Customer.tasks` (batched per `_entities` call); the inputs are in
`inputs`."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.dataloader import DataLoader

from crm_interaction import access
from crm_interaction.graphql.context import Info
from crm_interaction.graphql.loaders import per_customer, per_customer_and_arguments
from crm_interaction.graphql.staff_ref import StaffMember, staff_ref
from crm_interaction.shared.listing import KeysetOrder, OrderedAfter, Page, Position, empty_page
from crm_interaction.tasks import model as tasks
from crm_interaction.tasks.inputs import (
    SOONEST_DUE_FIRST,
    CreateTaskInput,
    TaskFilterInput,
    TaskOrderInput,
    UpdateTaskInput,
    task_filter,
)
from crm_interaction.tasks.model import Recurrence, Task, TaskStatus, Urgency
from crm_interaction.tasks.queries import TaskFilter
from crm_interaction.viewer.abilities import task_can_update
from crm_kit.graphql import ExpectedVersion, PageFirst, PageInfo, described_enum, page_info
from crm_kit.paging import page_size
from crm_kit.policy import Action, Resource

described_enum(
    Urgency,
    "How urgent a task is",
    {
        Urgency.LOW: "Lowest urgency.",
        Urgency.NORMAL: "Normal urgency (the default).",
        Urgency.HIGH: "More urgent than normal.",
        Urgency.URGENT: "Most urgent.",
    },
)
described_enum(
    TaskStatus,
    "Task state",
    {
        TaskStatus.OPEN: "To do; its reminders and overdue check are scheduled.",
        TaskStatus.DONE: "Completed (completeTask).",
        TaskStatus.CANCELLED: "Cancelled (cancelTask).",
    },
)
_NEXT = "Completing it creates the next one, due {} later (stepping on while that is past)."
described_enum(
    Recurrence,
    "How a task repeats once completed",
    {
        Recurrence.NONE: "A one-off task.",
        Recurrence.DAILY: _NEXT.format("a day"),
        Recurrence.WEEKLY: _NEXT.format("a week"),
        Recurrence.MONTHLY: _NEXT.format("a month (the same day, or the month's last)"),
    },
)
TaskId = Annotated[strawberry.ID, strawberry.argument(description="The task's id.")]
_MAY_CHANGE = (
    "Allowed to callers with role ADMIN, MANAGER, SALES or SERVICE who are its assignee or "
    "creator, or are ADMIN or MANAGER; all but the assignee also need the task update scope "
    "of its customer."
)
_FINISH_ERRORS = "Errors: BAD_USER_INPUT (`id` NOT_OPEN), NOT_FOUND, CONFLICT (expectedVersion), "


@strawberry.type(name="Task", description="A follow-up task")
class TaskType:
    id: strawberry.ID = strawberry.field(description="The task's id.")
    customer_id: strawberry.ID = strawberry.field(description="The customer it is about.")
    title: str = strawberry.field(description="What to do.")
    notes: str | None = strawberry.field(description="Further notes; null when none.")
    assignee_id: strawberry.ID = strawberry.field(
        description="Staff id of who is to do it (see `assignee`)."
    )
    due_at: datetime = strawberry.field(
        description="When it is due (UTC); still OPEN a minute later, it is overdue."
    )
    urgency: tasks.Urgency = strawberry.field(description="How urgent it is.")
    reminder_offsets: list[int] = strawberry.field(
        description="Minutes before dueAt at which the assignee is reminded (0: at dueAt), "
        "largest first"
    )
    status: tasks.TaskStatus = strawberry.field(description="OPEN, DONE or CANCELLED.")
    created_by: strawberry.ID = strawberry.field(
        description="Staff id of who created it (see `creator`)."
    )
    created_at: datetime = strawberry.field(description="When it was created.")
    completed_at: datetime | None = strawberry.field(
        description="When it was completed or cancelled; null while OPEN."
    )
    version: int = strawberry.field(
        description="1 when created, +1 per change: the `expectedVersion` of the next change."
    )
    recurrence: tasks.Recurrence = strawberry.field(description="How it repeats once completed.")
    viewer_can_update: bool = task_can_update()
    record: strawberry.Private[tasks.Task | None] = None  # for the viewerCan… check

    @classmethod
    def from_domain(cls, t: tasks.Task) -> TaskType:
        return cls(
            id=strawberry.ID(t.id),
            customer_id=strawberry.ID(t.customer_id),
            title=t.title,
            notes=t.notes,
            assignee_id=strawberry.ID(t.assignee_id),
            due_at=t.due_at,
            urgency=t.urgency,
            reminder_offsets=list(t.reminder_offsets),
            status=t.status,
            created_by=strawberry.ID(t.created_by),
            created_at=t.created_at,
            completed_at=t.completed_at,
            version=t.version,
            recurrence=t.recurrence,
            record=t,
        )

    @strawberry.field(
        description="The staff member who is to do it (`assigneeId` resolved by the customer "
        "subgraph); null when the id is not in the staff directory."
    )
    def assignee(self) -> StaffMember | None:
        return staff_ref(self.assignee_id)

    @strawberry.field(
        description="The staff member who created it (`createdBy` resolved by the customer "
        "subgraph); null when the id "
        "is not in the staff directory."
    )
    def creator(self) -> StaffMember | None:
        return staff_ref(self.created_by)


@strawberry.type(description="A task and its cursor.")
class TaskEdge:
    cursor: str = strawberry.field(description="Its position in the list.")
    node: TaskType = strawberry.field(description="The task.")


@strawberry.type(description="A page of tasks, in the order of the field that lists them")
class TaskConnection:
    edges: list[TaskEdge] = strawberry.field(description="This page's tasks, in the list's order.")
    page_info: PageInfo = strawberry.field(description="Whether more follow.")
    total_count: int = strawberry.field(description="All the tasks listed, not only this page.")


def _open(info: Info) -> DataLoader[str, list[Task]]:
    return per_customer(info, "openTasks", info.context.deps.task_queries.open_for_customers, list)


async def customer_open_tasks(info: Info, customer_id: str) -> list[TaskType]:
    """`Customer.openTasks`: soonest due first, one aggregate for the whole batch."""
    _ = info.context.principal
    return [TaskType.from_domain(t) for t in await _open(info).load(customer_id)]


type TaskArgs = tuple[TaskFilter, KeysetOrder, int, Position | None]

_ORDER = "The order: `{field: DUE_AT, direction: ASC}` (soonest due first) when omitted or null."
_ERRORS = (
    "Errors: BAD_USER_INPUT (`filter.due.to` OUT_OF_RANGE; `first` OUT_OF_RANGE; `after` "
    "INVALID_CURSOR, also for a cursor of another `orderBy`)."
)
OrderBy = Annotated[TaskOrderInput | None, strawberry.argument(description=_ORDER)]


def _pages(info: Info) -> DataLoader[tuple[str, TaskArgs], Page[Task]]:
    queries = info.context.deps.task_queries

    async def fetch(arguments: TaskArgs, customer_ids: list[str]) -> dict[str, Page[Task]]:
        where, order, first, after = arguments
        return await queries.pages(customer_ids, where, order, first, after)

    return per_customer_and_arguments(info, "taskPages", fetch, empty_page)


def _counts(info: Info) -> DataLoader[tuple[str, TaskFilter], int]:
    queries = info.context.deps.task_queries

    async def fetch(where: TaskFilter, customer_ids: list[str]) -> dict[str, int]:
        return await queries.counts(customer_ids, where)

    return per_customer_and_arguments(info, "taskCounts", fetch, int)


def _connection(page: Page[Task], total: int, after: bool) -> TaskConnection:
    edges = [
        TaskEdge(cursor=cursor, node=TaskType.from_domain(t))
        for t, cursor in zip(page.items, page.cursors, strict=True)
    ]
    return TaskConnection(
        edges=edges,
        page_info=page_info(page.cursors, page.has_next, after),
        total_count=total,
    )


async def customer_tasks(  # noqa: PLR0917 - the field's arguments
    info: Info,
    customer_id: str,
    filter: TaskFilterInput | None,
    order_by: TaskOrderInput | None,
    first: int | None,
    after: str | None,
) -> TaskConnection:
    """`Customer.tasks`: the page and the count each come from one aggregate for the whole
    `_entities` batch."""
    _ = info.context.principal
    where = task_filter(filter)
    order = (order_by or SOONEST_DUE_FIRST).to_order()
    size = page_size(first)
    position = order.position(after)
    page = await _pages(info).load((customer_id, (where, order, size, position)))
    total = await _counts(info).load((customer_id, where))
    return _connection(page, total, position is not None)


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
    @strawberry.field(
        description="Tasks assigned to the caller: the OPEN ones unless `filter.statuses` "
        f"names others; soonest due first by default. {_ERRORS}"
    )
    async def my_tasks(
        self,
        info: Info,
        filter: Annotated[
            TaskFilterInput | None,
            strawberry.argument(
                description="Which of the caller's tasks; the OPEN ones when omitted."
            ),
        ] = None,
        order_by: OrderBy = SOONEST_DUE_FIRST,
        first: PageFirst = 20,
        after: OrderedAfter = None,
    ) -> TaskConnection:
        mine = replace(
            task_filter(filter, (TaskStatus.OPEN,)), assignee_id=info.context.principal.sub
        )
        order = (order_by or SOONEST_DUE_FIRST).to_order()
        size = page_size(first)
        position = order.position(after)
        queries = info.context.deps.task_queries
        page = await queries.page(mine, order, size, position)
        return _connection(page, await queries.count(mine), position is not None)


@strawberry.type
class TaskMutation:
    @strawberry.mutation(
        description="Create a follow-up task with reminders (roles ADMIN, MANAGER, SALES, "
        "SERVICE, within their task scope of the customer). Errors: BAD_USER_INPUT (`title` "
        "REQUIRED, TOO_LONG; `notes` TOO_LONG; `dueAt` IN_PAST; `reminderOffsets` TOO_MANY, "
        "OUT_OF_RANGE; `idempotencyKey` REQUIRED, TOO_LONG), NOT_FOUND (the customer is unknown "
        "or erased), CONFLICT (idempotencyKey reused for a different request), FORBIDDEN."
    )
    async def create_task(
        self,
        info: Info,
        input: Annotated[CreateTaskInput, strawberry.argument(description="The task.")],
    ) -> TaskType:
        await access.require_for_write(
            info.context, str(input.customer_id), Action.CREATE, Resource.TASK
        )
        created = await info.context.deps.tasks.create(
            info.context.principal, input.to_command(), input.idempotency_key
        )
        return TaskType.from_domain(created)

    @strawberry.mutation(
        description="Change an OPEN task (title, due time, urgency, reminders, assignee); "
        "reminders and the overdue check move with it. A change that changes nothing returns "
        f"the task as it is. {_MAY_CHANGE} Errors: BAD_USER_INPUT (`id` NOT_OPEN; `title` "
        "REQUIRED, TOO_LONG; `notes` TOO_LONG; `dueAt` IN_PAST; `reminderOffsets` TOO_MANY, "
        "OUT_OF_RANGE; `assigneeId` REQUIRED), NOT_FOUND, CONFLICT (expectedVersion), FORBIDDEN."
    )
    async def update_task(
        self,
        info: Info,
        id: TaskId,
        input: Annotated[UpdateTaskInput, strawberry.argument(description="What to change.")],
        expected_version: ExpectedVersion = None,
    ) -> TaskType:
        await access.require_task(info.context, str(id), Action.UPDATE)
        changed = await info.context.deps.tasks.update(
            info.context.principal, str(id), input.to_changes(), expected_version
        )
        return TaskType.from_domain(changed)

    @strawberry.mutation(
        description="Mark a task done (its pending reminders are cancelled); a recurring task's "
        f"next one is created. {_MAY_CHANGE} {_FINISH_ERRORS}FORBIDDEN."
    )
    async def complete_task(
        self, info: Info, id: TaskId, expected_version: ExpectedVersion = None
    ) -> TaskType:
        return await _finish(info, id, TaskStatus.DONE, expected_version)

    @strawberry.mutation(
        description="Cancel a task (its pending reminders are cancelled; a recurring task ends "
        f"here). {_MAY_CHANGE} {_FINISH_ERRORS}FORBIDDEN."
    )
    async def cancel_task(
        self, info: Info, id: TaskId, expected_version: ExpectedVersion = None
    ) -> TaskType:
        return await _finish(info, id, TaskStatus.CANCELLED, expected_version)
