"""GraphQL inputs of follow-up tasks: creating one, changing an OPEN one, and the filter and
order of task lists."""

from __future__ import annotations

from datetime import datetime

import strawberry

from crm_interaction.shared.listing import KeysetOrder, bounds
from crm_interaction.tasks import model as tasks
from crm_interaction.tasks.queries import TaskFilter, TaskOrderField, task_order
from crm_kit.graphql import described_enum
from crm_kit.idempotency_keys import KEY_MAX_CHARS
from crm_kit.listing import DateTimeRangeInput, OrderDirection

_OFFSETS = (
    f"at most {tasks.MAX_REMINDERS}, each 0–{tasks.MAX_OFFSET_MINUTES} (30 days); a reminder "
    "already past when scheduled is skipped"
)


@strawberry.input(description="A follow-up task to create.")
class CreateTaskInput:
    customer_id: strawberry.ID = strawberry.field(
        description="The customer the task is about; a merged customer's id files it under the "
        "customer it was merged into."
    )
    title: str = strawberry.field(description=f"What to do: 1–{tasks.TITLE_MAX_CHARS} characters.")
    due_at: datetime = strawberry.field(
        description="When it is due; not in the past (a minute's tolerance)."
    )
    assignee_id: str | None = strawberry.field(default=None, description="Defaults to the caller")
    notes: str | None = strawberry.field(
        default=None, description=f"Further notes, at most {tasks.NOTES_MAX_CHARS} characters."
    )
    urgency: tasks.Urgency = strawberry.field(
        default=tasks.Urgency.NORMAL, description="How urgent it is."
    )
    reminder_offsets: list[int] | None = strawberry.field(
        default=None,
        description=f"Minutes before dueAt to remind (default 60 and 0): {_OFFSETS}.",
    )
    recurrence: tasks.Recurrence = strawberry.field(
        default=tasks.Recurrence.NONE,
        description="Completing a recurring task creates the next one",
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Retrying with the same key returns the first task, creates nothing "
        f"(1–{KEY_MAX_CHARS} characters, per caller; reused for a different request: CONFLICT).",
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
    title: str | None = strawberry.field(
        default=None, description=f"A new title, 1–{tasks.TITLE_MAX_CHARS} characters."
    )
    notes: str | None = strawberry.field(
        default=None, description=f"New notes, at most {tasks.NOTES_MAX_CHARS} characters."
    )
    due_at: datetime | None = strawberry.field(
        default=None,
        description="Moves the reminders and the overdue check; not in the past (when changed).",
    )
    urgency: tasks.Urgency | None = strawberry.field(default=None, description="A new urgency.")
    reminder_offsets: list[int] | None = strawberry.field(
        default=None,
        description=f"Minutes before dueAt; replaces the current reminders: {_OFFSETS}.",
    )
    assignee_id: str | None = strawberry.field(
        default=None, description="Hand the task to this staff member (not blank)."
    )

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


@strawberry.input(
    description="Which tasks to list: every field given must hold (an omitted field, or an "
    "empty list, matches every task; myTasks then lists the OPEN ones). The list stays limited "
    "to its customer or to the caller."
)
class TaskFilterInput:
    statuses: list[tasks.TaskStatus] | None = strawberry.field(
        default=None,
        description="Only tasks in one of these states. When omitted or empty: every state for "
        "Customer.tasks, OPEN for myTasks.",
    )
    due: DateTimeRangeInput | None = strawberry.field(
        default=None,
        description="Only tasks due in this range (`dueAt`, half open; either end may be "
        "omitted). A reversed range is BAD_USER_INPUT (`filter.due.to` OUT_OF_RANGE).",
    )

    def to_filter(self, default_statuses: tuple[tasks.TaskStatus, ...] = ()) -> TaskFilter:
        return TaskFilter(
            statuses=tuple(self.statuses or default_statuses),
            due=bounds(self.due, "filter.due"),
        )


def task_filter(
    value: TaskFilterInput | None, default_statuses: tuple[tasks.TaskStatus, ...] = ()
) -> TaskFilter:
    """The filter of a task list's `filter` argument; `default_statuses` when it names none."""
    return (value or TaskFilterInput()).to_filter(default_statuses)


described_enum(
    TaskOrderField,
    "What a task list is ordered by; tasks with the same value follow in id order (in the same "
    "direction), so pages never skip or repeat one.",
    {
        TaskOrderField.DUE_AT: "When the task is due (`dueAt`; every task has one).",
        TaskOrderField.CREATED_AT: "When the task was created (`createdAt`).",
    },
)


@strawberry.input(
    description="The order of a task list: by one time, then by the task's id in the same "
    "direction. A cursor is bound to the order it was made in: sent with another order it is "
    "BAD_USER_INPUT (`after` INVALID_CURSOR); start from the first page when the order changes."
)
class TaskOrderInput:
    field: TaskOrderField = strawberry.field(description="The time the list is ordered by.")
    direction: OrderDirection = strawberry.field(
        description="ASC: soonest due or oldest first; DESC: latest due or newest first."
    )

    def to_order(self) -> KeysetOrder:
        return task_order(TaskOrderField(self.field), OrderDirection(self.direction))


SOONEST_DUE_FIRST = TaskOrderInput(field=TaskOrderField.DUE_AT, direction=OrderDirection.ASC)
"""The order of a task list when `orderBy` is omitted or null."""
