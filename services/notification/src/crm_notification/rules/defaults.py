"""The rules that apply until ADMIN stores one with the same id."""

from __future__ import annotations

from collections.abc import Mapping

from crm_notification.channels.model import Channel
from crm_notification.inbox.model import NotificationType
from crm_notification.rules.model import RecipientKind, RecipientSpec, Rule


def _field(path: str) -> RecipientSpec:
    return RecipientSpec(RecipientKind.FIELD, path)


# Payload shapes: services/interaction/src/crm_interaction/events/{task,ticket}_*.py.
# Ticket subjects and descriptions stay in the interaction service (personal data), so ticket
# templates use ids, priority, status and times; a reminder names its task by the title its
# event carries (`title`, identifiers masked), else by the task's id.
TICKET_ID = "ticket.id|ticketId"
TICKET_CUSTOMER = "ticket.customerId|customerId"
TICKET_PRIORITY = "ticket.priority|priority"
TASK_ASSIGNEE = "assigneeId|task.assigneeId"
TASK_CUSTOMER = "task.customerId|customerId"
JOB_REQUESTER = "actorId|requestedBy"
JOB_ID = "jobId"
JOB_STATUS = "status"
# Payload shapes: services/sales/src/crm_sales/events/opportunity_*.py. Every opportunity
# event carries the opportunity's snapshot (`opportunity`: id, name, ownerId, team, stageId…;
# no contact persons, next steps or notes).
OPPORTUNITY_CUSTOMER = "opportunity.customerId|customerId"
OPPORTUNITY: Mapping[str, str] = {
    "opportunityId": "opportunity.id",
    "opportunityName": "opportunity.name|opportunity.id",
}


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
            "taskTitle": "title|task.title|task.id|taskId",
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


def _team_closing(id: str, event_type: str, type: NotificationType) -> Rule:
    """A won or lost deal: the MANAGERs of its team (staff directory) are told, except the one
    who closed it; a deal without a team, or a team without a manager, tells nobody."""
    return Rule(
        id=id,
        event_type=event_type,
        notification_type=type,
        recipients=(RecipientSpec(RecipientKind.TEAM_MANAGERS, "opportunity.team"),),
        variables={
            **OPPORTUNITY,
            "ownerId": "opportunity.ownerId",
            "reason": "reason",
            "actorId": "actorId",
        },
        customer_path=OPPORTUNITY_CUSTOMER,
        require_recipient=False,
    )


def _opportunity_assigned(id: str, event_type: str) -> Rule:
    """The deal's owner (the new one, after an assignment) is told in-app, unless they are the
    actor; the notice's id derives from the event, so a redelivery tells them once."""
    return Rule(
        id=id,
        event_type=event_type,
        notification_type=NotificationType.OPPORTUNITY_ASSIGNED,
        recipients=(_field("opportunity.ownerId|ownerId"),),
        variables={**OPPORTUNITY, "actorId": "actorId|opportunity.createdBy"},
        customer_path=OPPORTUNITY_CUSTOMER,
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
    # "Opportunity assigned to you": a deal opened for someone else, or given to someone else
    # (assignOpportunity, bulkAssignOpportunities), tells its new owner; one opened for, or
    # assigned to, oneself tells nobody (the actor is left out). Two rules, one notice type.
    _opportunity_assigned("opportunity-assigned", "opportunity.created.v1"),
    _opportunity_assigned("opportunity-reassigned", "opportunity.assigned.v1"),
    # A stay in a stage past its threshold (published once per stay): the owner, in-app and by
    # email, like an overdue task.
    Rule(
        id="opportunity-stalled",
        event_type="opportunity.stalled.v1",
        notification_type=NotificationType.OPPORTUNITY_STALLED,
        recipients=(_field("opportunity.ownerId"),),
        channels=(Channel.IN_APP, Channel.EMAIL),
        variables={
            **OPPORTUNITY,
            "stageNameZh": "stage.nameZh|stage.nameEn|stage.id",
            "stageNameEn": "stage.nameEn|stage.nameZh|stage.id",
            "stallDays": "stage.stallDays",
            "since": "stageEnteredAt",
        },
        customer_path=OPPORTUNITY_CUSTOMER,
        skip_actor=False,
    ),
    _team_closing("opportunity-won", "opportunity.won.v1", NotificationType.OPPORTUNITY_WON),
    _team_closing("opportunity-lost", "opportunity.lost.v1", NotificationType.OPPORTUNITY_LOST),
)

TRIGGER_EVENT_TYPES: tuple[str, ...] = tuple(dict.fromkeys(r.event_type for r in DEFAULT_RULES))
