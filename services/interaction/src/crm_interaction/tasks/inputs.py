"""GraphQL inputs of follow-up tasks: creating one and changing an OPEN one."""

from __future__ import annotations

from datetime import datetime

import strawberry

from crm_interaction.tasks import model as tasks
from crm_kit.idempotency_keys import KEY_MAX_CHARS

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
