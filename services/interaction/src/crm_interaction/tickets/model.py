"""Service tickets: the status workflow and the SLA clock. Pure data and rules, no I/O.

The SLA targets come from `sla.SlaRules` (a policy per priority, in working minutes of a
business calendar). The first response is due `first_response_minutes` of working time after
creation and is met by the first move to IN_PROGRESS / WAITING_CUSTOMER or the first
customer-visible staff comment. The resolution clock runs from creation, pauses while the
ticket is WAITING_CUSTOMER (the working time used so far is kept), stops at RESOLVED and
continues from where it stopped when the ticket is reopened. A target whose due time passes
unmet is breached (`breach`, run by the scheduler's SLA job).

A ticket resolved or closed while nobody had answered the customer missed its first response
(resolving is not a reply): breached then, whatever the time. The resolution target is met
only by reaching RESOLVED in time, so a ticket closed unresolved (NEW → CLOSED) missed both: a
ticket nobody answered never counts as met.

Assigning a ticket (and picking the agent) is in `assignment`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from crm_interaction.tickets.calendar import BusinessCalendar
from crm_interaction.tickets.sla import Priority, SlaRules, SlaState, SlaTarget
from crm_interaction.timeline.model import TimelineEntry, TimelineKind, entry_id
from crm_kit.auth import Principal, Role
from crm_kit.errors import BadUserInput, FieldError, Forbidden

SUBJECT_MAX_CHARS = 200
DESCRIPTION_MAX_CHARS = 10_000
COMMENT_MAX_CHARS = 10_000
RATING_COMMENT_MAX_CHARS = 2_000
TEAM_MAX_CHARS = 100

AGENT_ROLES = (Role.ADMIN, Role.MANAGER, Role.SERVICE, Role.SALES)
DISPATCH_ROLES = (Role.ADMIN, Role.MANAGER, Role.SERVICE)


class TicketType(StrEnum):
    INQUIRY = "INQUIRY"
    REQUEST = "REQUEST"
    FAULT = "FAULT"
    COMPLAINT = "COMPLAINT"


class TicketStatus(StrEnum):
    NEW = "NEW"
    ASSIGNED = "ASSIGNED"
    IN_PROGRESS = "IN_PROGRESS"
    WAITING_CUSTOMER = "WAITING_CUSTOMER"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"


OPEN_STATUSES = frozenset(
    {
        TicketStatus.NEW,
        TicketStatus.ASSIGNED,
        TicketStatus.IN_PROGRESS,
        TicketStatus.WAITING_CUSTOMER,
    }
)

TRANSITIONS: dict[TicketStatus, tuple[TicketStatus, ...]] = {
    TicketStatus.NEW: (TicketStatus.ASSIGNED, TicketStatus.CLOSED),
    TicketStatus.ASSIGNED: (
        TicketStatus.IN_PROGRESS,
        TicketStatus.WAITING_CUSTOMER,
        TicketStatus.RESOLVED,
    ),
    TicketStatus.IN_PROGRESS: (TicketStatus.WAITING_CUSTOMER, TicketStatus.RESOLVED),
    TicketStatus.WAITING_CUSTOMER: (TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED),
    # Reopening a resolved or closed ticket puts it back to work.
    TicketStatus.RESOLVED: (TicketStatus.CLOSED, TicketStatus.IN_PROGRESS),
    TicketStatus.CLOSED: (TicketStatus.IN_PROGRESS,),
}

_RESPONDED = frozenset({TicketStatus.IN_PROGRESS, TicketStatus.WAITING_CUSTOMER})
_FINISHED = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED})


@dataclass(frozen=True, slots=True)
class Ticket:
    id: str
    customer_id: str
    type: TicketType
    priority: Priority
    status: TicketStatus
    subject: str
    description: str
    team: str | None
    assignee_id: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int
    first_response_due_at: datetime
    first_responded_at: datetime | None
    first_response_breached: bool
    resolution_minutes: int
    resolution_used_seconds: float  # working time used before the current running stretch
    resolution_clock_since: datetime | None  # None while paused or resolved
    resolution_due_at: datetime | None
    resolution_breached: bool
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    resolution: str | None = None
    reopen_count: int = 0
    rating: int | None = None
    rating_comment: str | None = None
    rated_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def sla_state(self) -> SlaState:
        if self.first_response_breached or self.resolution_breached:
            return SlaState.BREACHED
        if self.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            return SlaState.MET
        if self.status is TicketStatus.WAITING_CUSTOMER:
            return SlaState.PAUSED
        return SlaState.ON_TRACK

    def due_jobs(self) -> dict[SlaTarget, datetime | None]:
        """When the scheduler must check each target (None: nothing to check)."""
        if not self.is_open:
            return {SlaTarget.FIRST_RESPONSE: None, SlaTarget.RESOLUTION: None}
        first = (
            self.first_response_due_at
            if self.first_responded_at is None and not self.first_response_breached
            else None
        )
        resolution = self.resolution_due_at if not self.resolution_breached else None
        return {SlaTarget.FIRST_RESPONSE: first, SlaTarget.RESOLUTION: resolution}


@dataclass(frozen=True, slots=True)
class OpenTicket:
    customer_id: str
    type: TicketType
    priority: Priority
    subject: str
    description: str
    team: str | None = None
    assignee_id: str | None = None


@dataclass(frozen=True, slots=True)
class Comment:
    id: str
    ticket_id: str
    author_id: str
    body: str
    customer_visible: bool
    created_at: datetime


def ensure_agent(principal: Principal) -> None:
    if not principal.has_role(*AGENT_ROLES):
        raise Forbidden(
            "Your role may read tickets but not work on them", message_key="TICKET_READ_ONLY_ROLE"
        )


def ensure_dispatcher(principal: Principal) -> None:
    if not principal.has_role(*DISPATCH_ROLES):
        raise Forbidden(
            "Only service staff, managers and admins assign tickets",
            message_key="TICKET_DISPATCH_ROLE",
        )


def _text(errors: list[FieldError], field: str, value: str, limit: int, required: bool) -> None:
    if required and not value.strip():
        errors.append(FieldError(field, "REQUIRED", f"{field} is required"))
    elif len(value) > limit:
        errors.append(FieldError(field, "TOO_LONG", f"{field} must be at most {limit} characters"))


def open_ticket(
    command: OpenTicket, *, id: str, created_by: str, now: datetime, rules: SlaRules
) -> Ticket:
    errors: list[FieldError] = []
    _text(errors, "subject", command.subject, SUBJECT_MAX_CHARS, True)
    _text(errors, "description", command.description, DESCRIPTION_MAX_CHARS, False)
    if command.team is not None:
        _text(errors, "team", command.team, TEAM_MAX_CHARS, True)
    if errors:
        raise BadUserInput(errors)
    policy = rules.policies[command.priority]
    calendar = rules.calendar
    status = TicketStatus.ASSIGNED if command.assignee_id else TicketStatus.NEW
    return Ticket(
        id=id,
        customer_id=command.customer_id.strip(),
        type=command.type,
        priority=command.priority,
        status=status,
        subject=command.subject.strip(),
        description=command.description,
        team=command.team.strip() if command.team else None,
        assignee_id=command.assignee_id,
        created_by=created_by,
        created_at=now,
        updated_at=now,
        version=1,
        first_response_due_at=calendar.add(now, policy.first_response_minutes),
        first_responded_at=None,
        first_response_breached=False,
        resolution_minutes=policy.resolution_minutes,
        resolution_used_seconds=0.0,
        resolution_clock_since=now,
        resolution_due_at=calendar.add(now, policy.resolution_minutes),
        resolution_breached=False,
    )


def allowed_next(status: TicketStatus) -> tuple[TicketStatus, ...]:
    return TRANSITIONS[status]


def change_status(
    ticket: Ticket,
    target: TicketStatus,
    *,
    now: datetime,
    calendar: BusinessCalendar,
    resolution: str | None = None,
) -> Ticket:
    """Move along the workflow, or raise BAD_USER_INPUT naming the allowed next states."""
    allowed = allowed_next(ticket.status)
    if target not in allowed:
        names = ", ".join(allowed)
        raise BadUserInput(
            [
                FieldError(
                    "status",
                    "TRANSITION_NOT_ALLOWED",
                    f"{ticket.status} cannot move to {target}; allowed next: {names}",
                )
            ],
            f"{ticket.status} → {target} is not allowed; allowed next states: {names}",
        )
    if target is TicketStatus.ASSIGNED and ticket.assignee_id is None:
        raise BadUserInput.single(
            "status", "UNASSIGNED", "assign the ticket to an agent with assignTicket first"
        )
    if resolution is not None and len(resolution) > DESCRIPTION_MAX_CHARS:
        raise BadUserInput.single(
            "resolution", "TOO_LONG", f"resolution must be at most {DESCRIPTION_MAX_CHARS}"
        )
    reopening = ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
    changed = replace(
        ticket,
        status=target,
        updated_at=now,
        version=ticket.version + 1,
        reopen_count=ticket.reopen_count + (1 if reopening else 0),
    )
    if target in _RESPONDED and changed.first_responded_at is None:
        changed = replace(changed, first_responded_at=now)
    if target in _FINISHED:
        changed = _finished_unanswered(changed)
    running = target in (TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS)
    changed = _pause(changed, now, calendar) if not running else _resume(changed, now, calendar)
    if target is TicketStatus.RESOLVED:
        changed = replace(changed, resolved_at=now, resolution=resolution or ticket.resolution)
    if target is TicketStatus.CLOSED:
        changed = replace(changed, closed_at=now)
    if reopening:
        changed = replace(changed, resolved_at=None, closed_at=None)
    return changed


def _finished_unanswered(ticket: Ticket) -> Ticket:
    """Unanswered: the first response missed; closed unresolved: the resolution too."""
    if ticket.first_responded_at is None:
        ticket = replace(ticket, first_response_breached=True)
    if ticket.status is TicketStatus.CLOSED and ticket.resolved_at is None:
        ticket = replace(ticket, resolution_breached=True)
    return ticket


def _pause(ticket: Ticket, now: datetime, calendar: BusinessCalendar) -> Ticket:
    if ticket.resolution_clock_since is None:
        return ticket
    used = calendar.elapsed(ticket.resolution_clock_since, now).total_seconds()
    return replace(
        ticket,
        resolution_used_seconds=ticket.resolution_used_seconds + used,
        resolution_clock_since=None,
        resolution_due_at=None,
    )


def _resume(ticket: Ticket, now: datetime, calendar: BusinessCalendar) -> Ticket:
    if ticket.resolution_clock_since is not None:
        return ticket
    left_minutes = max(0.0, ticket.resolution_minutes - ticket.resolution_used_seconds / 60)
    return replace(
        ticket,
        resolution_clock_since=now,
        resolution_due_at=calendar.add(now, left_minutes),
    )


def new_comment(
    ticket: Ticket, *, id: str, author_id: str, body: str, customer_visible: bool, now: datetime
) -> tuple[Comment, Ticket]:
    errors: list[FieldError] = []
    _text(errors, "body", body, COMMENT_MAX_CHARS, True)
    if errors:
        raise BadUserInput(errors)
    comment = Comment(id, ticket.id, author_id, body, customer_visible, now)
    changed = replace(ticket, updated_at=now, version=ticket.version + 1)
    if customer_visible and ticket.first_responded_at is None:
        changed = replace(changed, first_responded_at=now)
    return comment, changed


def rate(ticket: Ticket, *, rating: int, comment: str | None, now: datetime) -> Ticket:
    errors: list[FieldError] = []
    if not 1 <= rating <= 5:
        errors.append(FieldError("rating", "OUT_OF_RANGE", "rating must be between 1 and 5"))
    if comment is not None and len(comment) > RATING_COMMENT_MAX_CHARS:
        errors.append(
            FieldError("comment", "TOO_LONG", f"comment must be at most {RATING_COMMENT_MAX_CHARS}")
        )
    if ticket.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        errors.append(
            FieldError("id", "NOT_RESOLVED", "only a resolved or closed ticket can be rated")
        )
    if errors:
        raise BadUserInput(errors)
    return replace(
        ticket,
        rating=rating,
        rating_comment=comment,
        rated_at=now,
        updated_at=now,
        version=ticket.version + 1,
    )


def breach(ticket: Ticket, target: SlaTarget, due_at: datetime, now: datetime) -> Ticket | None:
    """The ticket marked breached, or None when the target was met, moved or already breached."""
    if not ticket.is_open:
        return None
    if target is SlaTarget.FIRST_RESPONSE:
        if (
            ticket.first_responded_at is not None
            or ticket.first_response_breached
            or ticket.first_response_due_at != due_at
            or now < due_at
        ):
            return None
        return replace(ticket, first_response_breached=True, version=ticket.version + 1)
    if ticket.resolution_breached or ticket.resolution_due_at != due_at or now < due_at:
        return None
    return replace(ticket, resolution_breached=True, version=ticket.version + 1)


def timeline_entry(item: Ticket) -> TimelineEntry:
    """How a ticket appears on its customer's timeline."""
    return TimelineEntry(
        id=entry_id(TimelineKind.TICKET, item.id),
        customer_id=item.customer_id,
        kind=TimelineKind.TICKET,
        ref_id=item.id,
        at=item.created_at,
        title=item.subject,
        summary=f"{item.type} · {item.priority}",
        status=str(item.status),
        actor_id=item.created_by,
    )
