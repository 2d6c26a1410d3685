"""Templates (pure): the title and body of each notice type in each language, and their
rendering. ADMIN may store a replacement of any of them; the ones below apply until then."""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from crm_kit.errors import BadUserInput, FieldError
from crm_notification.inbox.model import DEFAULT_LANGUAGE, Language, NotificationType


class TemplateError(ValueError):
    """A template refers to a variable that is missing or uses an unsupported placeholder."""


@dataclass(frozen=True, slots=True)
class Template:
    """Title and body with `{name}` placeholders (`{{` and `}}` for literal braces)."""

    title: str
    body: str


@dataclass(frozen=True, slots=True)
class Rendered:
    title: str
    body: str
    language: Language


TEMPLATES: Mapping[tuple[NotificationType, Language], Template] = {
    (NotificationType.CUSTOMER_ASSIGNED, Language.ZH_CN): Template(
        title="新客户分配给您：{displayName}",
        body="客户「{displayName}」已分配给您，请及时跟进。",
    ),
    (NotificationType.CUSTOMER_ASSIGNED, Language.EN): Template(
        title="Customer assigned to you: {displayName}",
        body="{displayName} is now assigned to you. Please follow up.",
    ),
    # One notice for all the customers an import or bulk update assigned to the reader
    # (rules/batches.py): {count} of them, {via} names the batch, {customers} the noun.
    (NotificationType.CUSTOMERS_ASSIGNED, Language.ZH_CN): Template(
        title="{count} 位客户已通过{via}分配给您",
        body="{actorId} 通过{via}（{batchId}）将 {count} 位客户分配给了您，"
        "请在客户列表中查看并跟进。",
    ),
    (NotificationType.CUSTOMERS_ASSIGNED, Language.EN): Template(
        title="{count} {customers} assigned to you by {via}",
        body="{actorId} assigned {count} {customers} to you by {via} ({batchId}). "
        "Open the list to follow up.",
    ),
    # Tasks are named by their title; {urgency}, {priority}, {status}… read as words of the
    # reader's language (rules/labels.py).
    (NotificationType.TASK_DUE, Language.ZH_CN): Template(
        title="任务到期提醒：{taskTitle}",
        body="您负责的任务「{taskTitle}」（紧急程度：{urgency}）将于 {dueAt} 到期，请及时处理。",
    ),
    (NotificationType.TASK_DUE, Language.EN): Template(
        title="Task due: {taskTitle}",
        body="Your task “{taskTitle}” (urgency: {urgency}) is due at {dueAt}.",
    ),
    (NotificationType.TICKET_ASSIGNED, Language.ZH_CN): Template(
        title="工单分配给您（优先级 {priority}）",
        body="工单 {ticketId}（{ticketType}，优先级 {priority}）已分配给您，请及时处理。",
    ),
    (NotificationType.TICKET_ASSIGNED, Language.EN): Template(
        title="Ticket assigned to you ({priority})",
        body="Ticket {ticketId} ({ticketType}, priority {priority}) is now assigned to you.",
    ),
    (NotificationType.TICKET_SLA_BREACHED, Language.ZH_CN): Template(
        title="工单已超出 SLA（优先级 {priority}）",
        body="工单 {ticketId} 的{target}时限 {dueAt} 已超出，请立即处理。",
    ),
    (NotificationType.TICKET_SLA_BREACHED, Language.EN): Template(
        title="Ticket SLA breached ({priority})",
        body="Ticket {ticketId} missed its {target} deadline of {dueAt}. Please act now.",
    ),
    (NotificationType.TICKET_STATUS_CHANGED, Language.ZH_CN): Template(
        title="工单状态变更：{status}",
        body="工单 {ticketId} 的状态已由 {previous} 变更为 {status}。",
    ),
    (NotificationType.TICKET_STATUS_CHANGED, Language.EN): Template(
        title="Ticket status changed: {status}",
        body="Ticket {ticketId} went from {previous} to {status}.",
    ),
    (NotificationType.TASK_OVERDUE, Language.ZH_CN): Template(
        title="任务已逾期：{taskTitle}",
        body="您负责的任务「{taskTitle}」（紧急程度：{urgency}）已于 {dueAt} 到期，仍未完成。",
    ),
    (NotificationType.TASK_OVERDUE, Language.EN): Template(
        title="Task overdue: {taskTitle}",
        body="Your task “{taskTitle}” (urgency: {urgency}) was due at {dueAt} and is still open.",
    ),
    (NotificationType.TICKET_MENTION, Language.ZH_CN): Template(
        title="{actorId} 在工单评论中提到了您",
        body="{actorId} 在工单 {ticketId} 的评论中提到了您，请查看。",
    ),
    (NotificationType.TICKET_MENTION, Language.EN): Template(
        title="{actorId} mentioned you on a ticket",
        body="{actorId} mentioned you in a comment on ticket {ticketId}.",
    ),
    (NotificationType.INTERACTION_MENTION, Language.ZH_CN): Template(
        title="{actorId} 在沟通记录中提到了您",
        body="{actorId} 在沟通记录 {interactionId} 中提到了您，请查看。",
    ),
    (NotificationType.INTERACTION_MENTION, Language.EN): Template(
        title="{actorId} mentioned you in a contact record",
        body="{actorId} mentioned you in contact record {interactionId}.",
    ),
    (NotificationType.IMPORT_FINISHED, Language.ZH_CN): Template(
        title="客户导入已结束（{status}）",
        body="导入任务 {jobId}：新增 {created}，更新 {updated}，跳过 {skipped}，失败 {failed}。"
        "详见导入报告。",
    ),
    (NotificationType.IMPORT_FINISHED, Language.EN): Template(
        title="Customer import finished ({status})",
        body="Import job {jobId}: {created} created, {updated} updated, {skipped} skipped, "
        "{failed} failed. See its report for details.",
    ),
    (NotificationType.EXPORT_FINISHED, Language.ZH_CN): Template(
        title="客户导出已结束（{status}）",
        body="导出任务 {jobId} 已结束，共 {rowCount} 行，可以下载文件了。",
    ),
    (NotificationType.EXPORT_FINISHED, Language.EN): Template(
        title="Customer export finished ({status})",
        body="Export job {jobId} finished with {rowCount} rows; the file is ready to download.",
    ),
    (NotificationType.CUSTOMER_TICKET_UPDATE, Language.ZH_CN): Template(
        title="您的服务工单状态已更新：{status}",
        body="您好，您的服务工单 {ticketId} 状态已更新为 {status}。如有疑问，请直接回复本邮件。",
    ),
    (NotificationType.CUSTOMER_TICKET_UPDATE, Language.EN): Template(
        title="Your service ticket is now {status}",
        body="Hello, your service ticket {ticketId} is now {status}. Reply to this email "
        "if you have any questions.",
    ),
    # Opportunities are named by their name; a stage by its name in the reader's language
    # ({stageNameZh} / {stageNameEn}); a close {reason} reads as words (rules/labels.py).
    (NotificationType.OPPORTUNITY_ASSIGNED, Language.ZH_CN): Template(
        title="商机分配给您：{opportunityName}",
        body="{actorId} 将商机「{opportunityName}」交由您负责，请及时跟进。",
    ),
    (NotificationType.OPPORTUNITY_ASSIGNED, Language.EN): Template(
        title="Opportunity assigned to you: {opportunityName}",
        body="{actorId} made you the owner of the opportunity “{opportunityName}”. "
        "Please follow up.",
    ),
    # One notice for all the deals one bulk assignment gave the reader (rules/batches.py).
    (NotificationType.OPPORTUNITIES_ASSIGNED, Language.ZH_CN): Template(
        title="{count} 个商机已通过{via}分配给您",
        body="{actorId} 通过{via}（{batchId}）将 {count} 个商机交由您负责，"
        "请在商机列表中查看并跟进。",
    ),
    (NotificationType.OPPORTUNITIES_ASSIGNED, Language.EN): Template(
        title="{count} {opportunities} assigned to you by {via}",
        body="{actorId} made you the owner of {count} {opportunities} by {via} ({batchId}). "
        "Open the list to follow up.",
    ),
    (NotificationType.OPPORTUNITY_STALLED, Language.ZH_CN): Template(
        title="商机停滞：{opportunityName}",
        body="您负责的商机「{opportunityName}」自 {since} 起停留在「{stageNameZh}」阶段，"
        "已超过 {stallDays} 天，请推进或更新。",
    ),
    (NotificationType.OPPORTUNITY_STALLED, Language.EN): Template(
        title="Opportunity stalled: {opportunityName}",
        body="Your opportunity “{opportunityName}” has been in the stage “{stageNameEn}” "
        "since {since}, more than {stallDays} days. Move it on or update it.",
    ),
    (NotificationType.OPPORTUNITY_WON, Language.ZH_CN): Template(
        title="团队赢单：{opportunityName}",
        body="{ownerId} 负责的商机「{opportunityName}」已赢单"
        "（原因：{reason}），由 {actorId} 关闭。",
    ),
    (NotificationType.OPPORTUNITY_WON, Language.EN): Template(
        title="Won in your team: {opportunityName}",
        body="The opportunity “{opportunityName}” owned by {ownerId} was won (reason: {reason}); "
        "closed by {actorId}.",
    ),
    (NotificationType.OPPORTUNITY_LOST, Language.ZH_CN): Template(
        title="团队输单：{opportunityName}",
        body="{ownerId} 负责的商机「{opportunityName}」已输单"
        "（原因：{reason}），由 {actorId} 关闭。",
    ),
    (NotificationType.OPPORTUNITY_LOST, Language.EN): Template(
        title="Lost in your team: {opportunityName}",
        body="The opportunity “{opportunityName}” owned by {ownerId} was lost (reason: {reason}); "
        "closed by {actorId}.",
    ),
}


def fill(text: str, variables: Mapping[str, Any]) -> str:
    """Substitute `{name}` placeholders. Only plain names: no attribute access, indexing,
    conversions or format specs, so a template edited by an ADMIN can never reach into objects.
    """
    out: list[str] = []
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise TemplateError(f"malformed template: {exc}") from exc
    for literal, name, spec, conversion in parts:
        out.append(literal)
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise TemplateError(f"unsupported placeholder {{{name}}}")
        if name not in variables:
            raise TemplateError(f"missing template variable {name!r}")
        value = variables[name]
        out.append("" if value is None else str(value))
    return "".join(out)


def render(
    type: NotificationType,
    variables: Mapping[str, Any],
    language: Language = DEFAULT_LANGUAGE,
    templates: Mapping[tuple[NotificationType, Language], Template] = TEMPLATES,
) -> Rendered:
    """Render the template of `type` in `language`, falling back to the default language."""
    template, language = template_for(type, language, templates)
    return Rendered(fill(template.title, variables), fill(template.body, variables), language)


def template_for(
    type: NotificationType,
    language: Language,
    templates: Mapping[tuple[NotificationType, Language], Template] = TEMPLATES,
) -> tuple[Template, Language]:
    """The template of `type` in `language`, else in the default language; and which."""
    template = templates.get((type, language))
    if template is None:
        language = DEFAULT_LANGUAGE
        template = templates.get((type, language))
    if template is None:
        raise TemplateError(f"no template for {type}")
    return template, language


class _AnyName(Mapping[str, Any]):
    """Every name is present (value empty): checks a template's syntax without variables."""

    def __getitem__(self, key: str) -> Any:
        return ""

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def check_template(template: Template) -> Template:
    """`template` when its `{variables}` are well-formed; BAD_USER_INPUT per field otherwise."""
    errors: list[FieldError] = []
    for field, text in (("title", template.title), ("body", template.body)):
        try:
            fill(text, _AnyName())
        except TemplateError as exc:
            errors.append(FieldError(field, "INVALID_TEMPLATE", str(exc)))
    if errors:
        raise BadUserInput(errors)
    return template


@dataclass(frozen=True, slots=True)
class Draft:
    """A template being edited: the parts given replace the stored (or built-in) one's."""

    title: str | None = None
    body: str | None = None

    def over(self, current: Template | None) -> Template:
        return Template(
            self.title if self.title is not None else (current.title if current else ""),
            self.body if self.body is not None else (current.body if current else ""),
        )


@dataclass(frozen=True, slots=True)
class TemplateEntry:
    """The template in effect for a type and language, and whether ADMIN stored it."""

    type: NotificationType
    language: Language
    template: Template
    customized: bool
