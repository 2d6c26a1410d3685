"""Collapsed notices (pure). The changes of one import, bulk update or bulk assignment that
would each tell the same person the same thing — "a customer (an opportunity) was assigned to
you" — fold into one in-app notice per batch and recipient: created by the batch's first
change, its count and texts rewritten by each later one. Producers name the batch in the
event (`data.batch`: the customer service's imports and bulk updates, the sales service's
bulkAssignOpportunities).

Each change is counted once because the consumer applies each event once (its inbox record
and the fold are written in one transaction); the notice's id derives from the batch and
the recipient, so every change of the batch finds the same notice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from crm_notification.channels.model import Channel
from crm_notification.inbox.model import (
    Language,
    Notification,
    NotificationBatch,
    NotificationType,
    notification_id,
)
from crm_notification.rules.templates import Template, fill

# The notice type each foldable type becomes when its event is one of a batch.
FOLDED: Mapping[NotificationType, NotificationType] = {
    NotificationType.CUSTOMER_ASSIGNED: NotificationType.CUSTOMERS_ASSIGNED,
    NotificationType.OPPORTUNITY_ASSIGNED: NotificationType.OPPORTUNITIES_ASSIGNED,
}

IMPORT = "IMPORT"
BULK_UPDATE = "BULK_UPDATE"
BULK_ASSIGN = "BULK_ASSIGN"

# How the batch is named in a notice: the template variable `via`.
VIA: Mapping[tuple[str, Language], str] = {
    (IMPORT, Language.ZH_CN): "导入",
    (IMPORT, Language.EN): "import",
    (BULK_UPDATE, Language.ZH_CN): "批量修改",
    (BULK_UPDATE, Language.EN): "bulk update",
    (BULK_ASSIGN, Language.ZH_CN): "批量分配",
    (BULK_ASSIGN, Language.EN): "bulk assignment",
}


@dataclass(frozen=True, slots=True)
class Noun:
    """What a collapsed notice counts, as its templates name it: the variable, its English
    singular and plural, and the Chinese word with its measure word."""

    variable: str
    one: str
    many: str
    zh: str

    def values(self, count: int, language: Language) -> dict[str, str]:
        if language is not Language.EN:
            return {self.variable: self.zh}
        return {self.variable: self.one if count == 1 else self.many}


NOUNS: Mapping[NotificationType, Noun] = {
    NotificationType.CUSTOMERS_ASSIGNED: Noun("customers", "customer", "customers", "位客户"),
    NotificationType.OPPORTUNITIES_ASSIGNED: Noun(
        "opportunities", "opportunity", "opportunities", "个商机"
    ),
}


@dataclass(frozen=True, slots=True)
class BatchCause:
    """`data.batch` of an event: the import job or bulk update the change was one of."""

    kind: str
    id: str
    started_at: str | None  # ISO 8601: no change of the batch is older

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> BatchCause | None:
        batch = data.get("batch")
        if not isinstance(batch, Mapping) or not batch.get("kind") or not batch.get("id"):
            return None
        started = batch.get("startedAt")
        return cls(str(batch["kind"]), str(batch["id"]), str(started) if started else None)

    def via(self, language: Language) -> str:
        return VIA.get((self.kind, language), self.kind)


def customer_list_link(batch: BatchCause, owner_id: str) -> str:
    """The owner's customer list from the batch's start: an import's customers were created
    since then (oldest first), a bulk update's were changed since then (newest first). The
    link is a client route whose parameters are the `customers` arguments as dotted paths
    (`created.from` is `filter: {created: {from: …}}`, `orderBy.field` is `orderBy: {field: …}`)."""
    query: dict[str, str] = {"ownerId": owner_id}
    if batch.started_at:
        imported = batch.kind == IMPORT
        query["created.from" if imported else "updated.from"] = batch.started_at
        query["orderBy.field"] = "CREATED_AT" if imported else "UPDATED_AT"
        query["orderBy.direction"] = "ASC" if imported else "DESC"
    return f"/customers?{urlencode(query)}"


def opportunity_list_link(owner_id: str) -> str:
    """The owner's opportunity list, the latest changed first: a bulk assignment's deals were
    changed last (the link's parameters are the `opportunities` arguments as dotted paths)."""
    query = {"ownerId": owner_id, "orderBy.field": "UPDATED_AT", "orderBy.direction": "DESC"}
    return f"/opportunities?{urlencode(query)}"


def list_link(type: NotificationType, batch: BatchCause, owner_id: str) -> str:
    """Where a collapsed notice of `type` leads: the list of what it counts."""
    if type is NotificationType.OPPORTUNITIES_ASSIGNED:
        return opportunity_list_link(owner_id)
    return customer_list_link(batch, owner_id)


def fold_id(batch: BatchCause, recipient_id: str) -> str:
    return notification_id(f"batch:{batch.kind}:{batch.id}", recipient_id, Channel.IN_APP)


@dataclass(frozen=True, slots=True)
class Fold:
    """One more change of `batch` for `recipient_id`'s collapsed notice."""

    type: NotificationType
    recipient_id: str
    language: Language
    template: Template  # in the recipient's language; `{count}` is filled at folding
    variables: Mapping[str, Any]
    batch: BatchCause
    link: str
    event_id: str
    at: datetime

    @property
    def id(self) -> str:
        return fold_id(self.batch, self.recipient_id)

    def texts(self, count: int) -> tuple[str, str]:
        """Title and body for `count` changes (TemplateError when the template cannot be)."""
        noun = NOUNS[self.type].values(count, self.language) if self.type in NOUNS else {}
        values = {**self.variables, "count": count, **noun}
        return fill(self.template.title, values), fill(self.template.body, values)


def folded(fold: Fold, previous: Notification | None) -> Notification:
    """The collapsed notice after `fold`: the first change creates it, a later one counts."""
    count = 1 + (previous.batch.count if previous is not None and previous.batch else 0)
    title, body = fold.texts(count)
    batch = NotificationBatch(fold.batch.kind, fold.batch.id, count)
    if previous is not None:
        return replace(previous, title=title, body=body, batch=batch, link=fold.link)
    return Notification(
        id=fold.id,
        type=fold.type,
        channel=Channel.IN_APP,
        recipient_id=fold.recipient_id,
        customer_id=None,  # about many customers: the link lists them
        title=title,
        body=body,
        language=fold.language,
        source_event_id=fold.event_id,
        created_at=fold.at,
        batch=batch,
        link=fold.link,
    )
