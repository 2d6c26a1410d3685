"""Follow-up tasks and their reminders. Pure data and rules, no I/O.

A task is due at `due_at`; each reminder offset (minutes before `due_at`, 0 = at the due time)
becomes one durable scheduler job that emits `task.due.v1` once.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from crm_interaction.timeline.model import TimelineEntry, TimelineKind, entry_id, summary_of
from crm_kit.auth import Principal, Role
from crm_kit.errors import BadUserInput, FieldError, Forbidden

TITLE_MAX_CHARS = 200
NOTES_MAX_CHARS = 5_000
MAX_REMINDERS = 5
MAX_OFFSET_MINUTES = 30 * 24 * 60
DEFAULT_REMINDERS = (60, 0)
PAST_TOLERANCE = timedelta(minutes=1)
OVERDUE_GRACE = timedelta(minutes=1)
"""A task still OPEN this long after `dueAt` is overdue (`task.overdue.v1`, once)."""

WRITER_ROLES = (Role.ADMIN, Role.MANAGER, Role.SALES, Role.SERVICE)
MANAGE_ROLES = (Role.ADMIN, Role.MANAGER)


class Urgency(StrEnum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    URGENT = "URGENT"


class Recurrence(StrEnum):
    NONE = "NONE"
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"


class TaskStatus(StrEnum):
    OPEN = "OPEN"
    DONE = "DONE"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True, slots=True)
class Task:
    id: str
    customer_id: str
    title: str
    notes: str | None
    assignee_id: str
    due_at: datetime
    urgency: Urgency
    reminder_offsets: tuple[int, ...]
    status: TaskStatus
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int
    completed_at: datetime | None = None
    recurrence: Recurrence = Recurrence.NONE

    def reminder_times(self, now: datetime) -> dict[int, datetime]:
        """Offset → when to remind; reminders already in the past are skipped."""
        times = {
            offset: self.due_at - timedelta(minutes=offset) for offset in self.reminder_offsets
        }
        return {offset: at for offset, at in times.items() if at >= now - PAST_TOLERANCE}

    @property
    def overdue_at(self) -> datetime:
        return self.due_at + OVERDUE_GRACE


@dataclass(frozen=True, slots=True)
class NewTask:
    customer_id: str
    title: str
    due_at: datetime
    assignee_id: str | None = None
    notes: str | None = None
    urgency: Urgency = Urgency.NORMAL
    reminder_offsets: tuple[int, ...] | None = None
    recurrence: Recurrence = Recurrence.NONE


def ensure_writer(principal: Principal) -> None:
    if not principal.has_role(*WRITER_ROLES):
        raise Forbidden(
            "Your role may read tasks but not create or complete them",
            message_key="TASK_READ_ONLY_ROLE",
        )


def _check_title(title: str, errors: list[FieldError]) -> None:
    if not title.strip():
        errors.append(FieldError("title", "REQUIRED", "title is required"))
    elif len(title) > TITLE_MAX_CHARS:
        errors.append(
            FieldError("title", "TOO_LONG", f"title must be at most {TITLE_MAX_CHARS} characters")
        )


def _check_notes(notes: str | None, errors: list[FieldError]) -> None:
    if notes is not None and len(notes) > NOTES_MAX_CHARS:
        errors.append(
            FieldError("notes", "TOO_LONG", f"notes must be at most {NOTES_MAX_CHARS} characters")
        )


def _check_due(due_at: datetime, now: datetime, errors: list[FieldError]) -> None:
    if due_at < now - PAST_TOLERANCE:
        errors.append(FieldError("dueAt", "IN_PAST", "dueAt must not be in the past"))


def _check_offsets(offsets: tuple[int, ...], errors: list[FieldError]) -> None:
    if len(offsets) > MAX_REMINDERS:
        errors.append(
            FieldError("reminderOffsets", "TOO_MANY", f"at most {MAX_REMINDERS} reminders")
        )
    if any(not 0 <= offset <= MAX_OFFSET_MINUTES for offset in offsets):
        errors.append(
            FieldError(
                "reminderOffsets",
                "OUT_OF_RANGE",
                f"reminder offsets are minutes before dueAt, 0 to {MAX_OFFSET_MINUTES}",
            )
        )


def new_task(command: NewTask, *, id: str, created_by: str, now: datetime) -> Task:
    errors: list[FieldError] = []
    _check_title(command.title, errors)
    _check_notes(command.notes, errors)
    _check_due(command.due_at, now, errors)
    offsets = DEFAULT_REMINDERS if command.reminder_offsets is None else command.reminder_offsets
    _check_offsets(offsets, errors)
    if errors:
        raise BadUserInput(errors)
    return Task(
        id=id,
        customer_id=command.customer_id.strip(),
        title=command.title.strip(),
        notes=command.notes,
        assignee_id=command.assignee_id or created_by,
        due_at=command.due_at,
        urgency=command.urgency,
        reminder_offsets=tuple(sorted(set(offsets), reverse=True)),
        status=TaskStatus.OPEN,
        created_by=created_by,
        created_at=now,
        updated_at=now,
        version=1,
        recurrence=command.recurrence,
    )


def _step(due: datetime, recurrence: Recurrence) -> datetime:
    if recurrence is Recurrence.DAILY:
        return due + timedelta(days=1)
    if recurrence is Recurrence.WEEKLY:
        return due + timedelta(weeks=1)
    month = due.month % 12 + 1
    year = due.year + (1 if month == 1 else 0)
    last_day = calendar.monthrange(year, month)[1]
    return due.replace(year=year, month=month, day=min(due.day, last_day))


def next_occurrence(task: Task, *, id: str, now: datetime) -> Task | None:
    """The next task of a recurring series (due after `now`), or None for a one-off task."""
    if task.recurrence is Recurrence.NONE:
        return None
    due = _step(task.due_at, task.recurrence)
    while due <= now:
        due = _step(due, task.recurrence)
    return replace(
        task,
        id=id,
        due_at=due,
        status=TaskStatus.OPEN,
        created_at=now,
        updated_at=now,
        version=1,
        completed_at=None,
    )


def finish(task: Task, status: TaskStatus, now: datetime) -> Task:
    if task.status is not TaskStatus.OPEN:
        raise BadUserInput.single(
            "id", "NOT_OPEN", f"the task is {task.status}; only an OPEN task can be finished"
        )
    return replace(task, status=status, completed_at=now, updated_at=now, version=task.version + 1)


@dataclass(frozen=True, slots=True)
class TaskChanges:
    """What `updateTask` changes (None = unchanged)."""

    title: str | None = None
    notes: str | None = None
    due_at: datetime | None = None
    urgency: Urgency | None = None
    reminder_offsets: tuple[int, ...] | None = None
    assignee_id: str | None = None


SCHEDULE_FIELDS = frozenset({"dueAt", "reminderOffsets"})


def update(task: Task, changes: TaskChanges, now: datetime) -> tuple[Task, list[str]]:
    """The changed task and the names of the fields that really changed (may be none).

    Only an OPEN task can change; a new dueAt must not be in the past; the title, notes and
    reminder offsets follow the creation rules."""
    if task.status is not TaskStatus.OPEN:
        raise BadUserInput.single(
            "id", "NOT_OPEN", f"the task is {task.status}; only an OPEN task can be changed"
        )
    errors: list[FieldError] = []
    if changes.title is not None:
        _check_title(changes.title, errors)
    _check_notes(changes.notes, errors)
    if changes.due_at is not None and changes.due_at != task.due_at:
        _check_due(changes.due_at, now, errors)
    if changes.reminder_offsets is not None:
        _check_offsets(changes.reminder_offsets, errors)
    if changes.assignee_id is not None and not changes.assignee_id.strip():
        errors.append(FieldError("assigneeId", "REQUIRED", "assigneeId must not be blank"))
    if errors:
        raise BadUserInput(errors)
    candidate = replace(
        task,
        title=changes.title.strip() if changes.title is not None else task.title,
        notes=changes.notes if changes.notes is not None else task.notes,
        due_at=changes.due_at or task.due_at,
        urgency=changes.urgency or task.urgency,
        reminder_offsets=tuple(sorted(set(changes.reminder_offsets), reverse=True))
        if changes.reminder_offsets is not None
        else task.reminder_offsets,
        assignee_id=changes.assignee_id.strip() if changes.assignee_id else task.assignee_id,
    )
    names = {
        "title": candidate.title != task.title,
        "notes": candidate.notes != task.notes,
        "dueAt": candidate.due_at != task.due_at,
        "urgency": candidate.urgency != task.urgency,
        "reminderOffsets": candidate.reminder_offsets != task.reminder_offsets,
        "assigneeId": candidate.assignee_id != task.assignee_id,
    }
    changed = [name for name, differs in names.items() if differs]
    if not changed:
        return task, []
    return replace(candidate, updated_at=now, version=task.version + 1), changed


def timeline_entry(item: Task) -> TimelineEntry:
    """How a task appears on its customer's timeline."""
    return TimelineEntry(
        id=entry_id(TimelineKind.TASK, item.id),
        customer_id=item.customer_id,
        kind=TimelineKind.TASK,
        ref_id=item.id,
        at=item.created_at,
        title=item.title,
        summary=summary_of(item.notes),
        status=str(item.status),
        actor_id=item.created_by,
    )
