"""Notification rules as data: event type → recipients → template (variables) → channels.

Pure: nothing here does I/O. ADMIN edits rules through GraphQL; the defaults below apply until
a rule with the same id is stored. Paths into event data are dotted (`ticket.assigneeId`) and
may list alternatives separated by `|` (`ticket.title|ticket.subject`): producers' payloads
evolve, and a rule should survive a renamed field by naming both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from crm_notification.domain import Channel, NotificationType

PERSONAL_CHANNELS = (Channel.IN_APP, Channel.EMAIL, Channel.SMS)
"""Channels that reach one person; WEBHOOK goes to ADMIN-registered subscriptions instead."""


class RecipientKind(StrEnum):
    FIELD = "FIELD"  # the user id found at a path in the event data
    TEAM_MANAGERS = "TEAM_MANAGERS"  # every MANAGER of the team found at a path
    USER = "USER"  # a fixed user id


@dataclass(frozen=True, slots=True)
class RecipientSpec:
    kind: RecipientKind
    value: str


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    event_type: str
    notification_type: NotificationType
    recipients: tuple[RecipientSpec, ...]
    channels: tuple[Channel, ...] = (Channel.IN_APP,)
    variables: Mapping[str, str] = field(default_factory=dict)
    customer_path: str = "customer.id|customerId"
    skip_actor: bool = True
    require_recipient: bool = True  # no recipient in the data is then a recorded failure
    enabled: bool = True
    # also email the customer (address fetched from the customer service at send time)
    email_customer: bool = False


class MissingField(ValueError):
    """The event lacks a field a rule needs."""


def lookup(data: Mapping[str, Any], path: str) -> Any:
    """The first non-empty value among `a.b|c` alternatives; None when none is present."""
    for alternative in path.split("|"):
        node: Any = data
        for part in alternative.strip().split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
            if node is None:
                break
        if node not in (None, ""):
            return node
    return None


def variables_of(rule: Rule, data: Mapping[str, Any], subject: str) -> dict[str, Any]:
    """Template variables from the event data; a missing one raises MissingField."""
    found: dict[str, Any] = {}
    for name, path in rule.variables.items():
        value = lookup(data, path)
        if value is None:
            raise MissingField(f"event data has no {path!r} (template variable {name})")
        found[name] = value
    found.setdefault("customerId", customer_of(rule, data, subject))
    return found


def customer_of(rule: Rule, data: Mapping[str, Any], subject: str) -> str | None:
    """The customer a notice is about; an empty `customer_path` means none (e.g. a job)."""
    if not rule.customer_path:
        return None
    value = lookup(data, rule.customer_path)
    return str(value) if value is not None else (subject or None)


@dataclass(frozen=True, slots=True)
class Targets:
    users: tuple[str, ...]
    teams: tuple[str, ...]  # resolved to their managers by the caller (needs the directory)


def targets_of(rule: Rule, data: Mapping[str, Any]) -> Targets:
    users: list[str] = []
    teams: list[str] = []
    for spec in rule.recipients:
        if spec.kind is RecipientKind.USER:
            users.append(spec.value)
            continue
        value = lookup(data, spec.value)
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        bucket = users if spec.kind is RecipientKind.FIELD else teams
        bucket.extend(str(v) for v in values if v not in (None, ""))
    return Targets(tuple(dict.fromkeys(users)), tuple(dict.fromkeys(teams)))


def recipients(rule: Rule, data: Mapping[str, Any], managers: Sequence[str]) -> list[str]:
    """Users to tell, de-duplicated in order; the actor is left out when the rule says so."""
    people = list(dict.fromkeys([*targets_of(rule, data).users, *managers]))
    actor = lookup(data, "actorId")
    if rule.skip_actor and actor is not None:
        people = [p for p in people if p != str(actor)]
    return people


def _field(path: str) -> RecipientSpec:
    return RecipientSpec(RecipientKind.FIELD, path)


# Payload shapes: services/interaction/src/crm_interaction/events/{task,ticket}_events.py.
# Titles and descriptions stay in the interaction service (personal data), so templates use
# ids, urgency/priority, status and times.
TICKET_ID = "ticket.id|ticketId"
TICKET_CUSTOMER = "ticket.customerId|customerId"
TICKET_PRIORITY = "ticket.priority|priority"
TASK_ASSIGNEE = "assigneeId|task.assigneeId"
TASK_CUSTOMER = "task.customerId|customerId"
JOB_REQUESTER = "actorId|requestedBy"
JOB_ID = "jobId"
JOB_STATUS = "status"


def _task_reminder(id: str, event_type: str, type: NotificationType, due_path: str) -> Rule:
    """Due and overdue tasks: the assignee hears of it in-app and by email, even when they
    caused the event themselves."""
    return Rule(
        id=id,
        event_type=event_type,
        notification_type=type,
        recipients=(_field(TASK_ASSIGNEE),),
        channels=(Channel.IN_APP, Channel.EMAIL),
        variables={
            "taskId": "task.id|taskId",
            "dueAt": due_path,
            "urgency": "task.urgency|urgency",
        },
        customer_path=TASK_CUSTOMER,
        skip_actor=False,
    )


def _mention(
    id: str, event_type: str, type: NotificationType, variables: Mapping[str, str], customer: str
) -> Rule:
    """Staff mentioned in a comment or interaction; most mention nobody (no failure then)."""
    return Rule(
        id=id,
        event_type=event_type,
        notification_type=type,
        recipients=(_field("mentionedStaffIds"),),
        variables=variables,
        customer_path=customer,
        require_recipient=False,
    )


def _job_finished(
    id: str, event_type: str, type: NotificationType, counts: Mapping[str, str]
) -> Rule:
    """Import/export jobs (customer service; `subject` is the job id, not a customer): the
    person who started the job (`actorId`) is told. No personal data in these payloads."""
    return Rule(
        id=id,
        event_type=event_type,
        notification_type=type,
        recipients=(_field(JOB_REQUESTER),),
        variables={"jobId": JOB_ID, "status": JOB_STATUS, **counts},
        customer_path="",
        skip_actor=False,
    )


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(
        id="customer-assigned",
        event_type="customer.assigned.v1",
        notification_type=NotificationType.CUSTOMER_ASSIGNED,
        recipients=(_field("ownerId|customer.ownerId"),),
        variables={"displayName": "customer.displayName|customer.id"},
        require_recipient=False,  # an unassignment (ownerId null) tells nobody
    ),
    _task_reminder("task-due", "task.due.v1", NotificationType.TASK_DUE, "task.dueAt|dueAt"),
    Rule(
        id="ticket-assigned",
        event_type="ticket.assigned.v1",
        notification_type=NotificationType.TICKET_ASSIGNED,
        recipients=(_field("assigneeId|ticket.assigneeId"),),
        variables={
            "ticketId": TICKET_ID,
            "priority": TICKET_PRIORITY,
            "ticketType": "ticket.type|type",
        },
        customer_path=TICKET_CUSTOMER,
    ),
    Rule(
        id="ticket-sla-breached",
        event_type="ticket.sla_breached.v1",
        notification_type=NotificationType.TICKET_SLA_BREACHED,
        recipients=(
            _field("assigneeId|ticket.assigneeId"),
            RecipientSpec(RecipientKind.TEAM_MANAGERS, "team|ticket.team"),
        ),
        channels=(Channel.IN_APP, Channel.EMAIL),
        variables={
            "ticketId": TICKET_ID,
            "priority": TICKET_PRIORITY,
            "target": "target",
            "dueAt": "dueAt",
        },
        customer_path=TICKET_CUSTOMER,
        skip_actor=False,
    ),
    Rule(
        id="ticket-status-changed",
        event_type="ticket.status_changed.v1",
        notification_type=NotificationType.TICKET_STATUS_CHANGED,
        recipients=(_field("ticket.assigneeId|assigneeId"),),
        variables={
            "ticketId": TICKET_ID,
            "status": "to|ticket.status|status",
            "previous": "from|previousStatus",
        },
        customer_path=TICKET_CUSTOMER,
    ),
    _task_reminder(
        "task-overdue", "task.overdue.v1", NotificationType.TASK_OVERDUE, "overdueSince|task.dueAt"
    ),
    _mention(
        "ticket-mention",
        "ticket.comment_added.v1",
        NotificationType.TICKET_MENTION,
        {"ticketId": TICKET_ID, "actorId": "actorId"},
        TICKET_CUSTOMER,
    ),
    _mention(
        "interaction-mention",
        "interaction.logged.v1",
        NotificationType.INTERACTION_MENTION,
        {"interactionId": "interaction.id", "actorId": "actorId|interaction.loggedBy"},
        "interaction.customerId|customerId",
    ),
    _job_finished(
        "import-finished",
        "customer.import_finished.v1",
        NotificationType.IMPORT_FINISHED,
        {
            "created": "counts.created",
            "updated": "counts.updated",
            "skipped": "counts.skipped",
            "failed": "counts.failed",
        },
    ),
    _job_finished(
        "export-finished",
        "customer.export_finished.v1",
        NotificationType.EXPORT_FINISHED,
        {"rowCount": "rowCount"},
    ),
)

TRIGGER_EVENT_TYPES: tuple[str, ...] = tuple(dict.fromkeys(r.event_type for r in DEFAULT_RULES))

WEBHOOK_EVENT_TYPES: tuple[str, ...] = (
    "customer.created.v1",
    "customer.updated.v1",
    "customer.assigned.v1",
    "customer.merged.v1",
    "customer.archived.v1",
    "customer.erased.v1",
    "interaction.logged.v1",
    "ticket.created.v1",
    "ticket.assigned.v1",
    "ticket.status_changed.v1",
    "ticket.sla_breached.v1",
    "task.created.v1",
    "task.due.v1",
    "task.completed.v1",
    "task.updated.v1",
    "task.overdue.v1",
    "ticket.comment_added.v1",
    "purchase.recorded.v1",
    "customer.import_finished.v1",
    "customer.export_finished.v1",
)
"""Contract events a webhook may subscribe to. `notification.*` is excluded: a webhook
delivery announces itself with `notification.delivered.v1`, which must not loop back."""


def merge_rules(defaults: Sequence[Rule], stored: Sequence[Rule]) -> list[Rule]:
    """Stored rules replace defaults with the same id; others are added."""
    by_id = {r.id: r for r in defaults}
    by_id.update({r.id: r for r in stored})
    return list(by_id.values())
