"""GraphQL types of notifications: the notice, its connection (each part fetched only when
selected) and the enums the other features' types share."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Self

import strawberry

from crm_kit.graphql import PageInfo, described_enum
from crm_kit.paging import Keyset, encode_cursor
from crm_notification.channels.model import Channel
from crm_notification.graphql.staff_ref import StaffMember, staff_ref
from crm_notification.inbox.model import BatchKind, InboxChange, NotificationType, Page
from crm_notification.inbox.model import Notification as NotificationModel

NotificationTypeEnum = strawberry.enum(NotificationType, name="NotificationType")
# Not plain "Channel": interaction channels (PHONE, VISIT, ...) are another enum.
NotificationChannelEnum = strawberry.enum(Channel, name="NotificationChannel")

_T = NotificationType
described_enum(
    NotificationType,
    "What a notice is about; each type has a title and body template per language "
    "(notificationTemplates). The triggers named below are those of the built-in rules; "
    "ADMIN rules (saveNotificationRule) may send any type for any event.",
    {
        _T.CUSTOMER_ASSIGNED: "A customer was assigned to the reader (`customer.assigned.v1`).",
        _T.CUSTOMERS_ASSIGNED: "Customers were assigned to the reader by one import or bulk "
        "update: one in-app notice per batch and reader, its `batch.count` rising with each.",
        _T.TASK_DUE: "A task assigned to the reader falls due (`task.due.v1`).",
        _T.TICKET_ASSIGNED: "A service ticket was assigned to the reader (`ticket.assigned.v1`).",
        _T.TICKET_SLA_BREACHED: "A ticket missed its first-response or resolution deadline "
        "(`ticket.sla_breached.v1`); told to its assignee and the managers of its team.",
        _T.TICKET_STATUS_CHANGED: "A ticket assigned to the reader changed status "
        "(`ticket.status_changed.v1`).",
        _T.TASK_OVERDUE: "A task assigned to the reader is past due and still open "
        "(`task.overdue.v1`).",
        _T.TICKET_MENTION: "The reader was @mentioned in a ticket comment "
        "(`ticket.comment_added.v1`).",
        _T.INTERACTION_MENTION: "The reader was @mentioned in an interaction record "
        "(`interaction.logged.v1`).",
        _T.IMPORT_FINISHED: "A customer import the reader started has finished, with its "
        "counts (`customer.import_finished.v1`).",
        _T.EXPORT_FINISHED: "A customer export the reader started has finished and its file "
        "can be downloaded (`customer.export_finished.v1`).",
        _T.CUSTOMER_TICKET_UPDATE: "An e-mail to the customer about their ticket (rules with "
        "`emailCustomer`); never a notice to staff.",
        _T.OPPORTUNITY_ASSIGNED: "An opportunity was opened with the reader as its owner by "
        "someone else (`opportunity.created.v1`), or assigned to them by someone else "
        "(`opportunity.assigned.v1`); `link` opens the opportunity.",
        _T.OPPORTUNITIES_ASSIGNED: "Opportunities were assigned to the reader by one "
        "bulkAssignOpportunities call: one in-app notice per call and reader, its "
        "`batch.count` rising with each; `link` lists the reader's opportunities.",
        _T.OPPORTUNITY_STALLED: "An open opportunity the reader owns has stayed in its stage "
        "past the stage's stall threshold (`opportunity.stalled.v1`, once per stay in a "
        "stage); `link` opens the opportunity.",
        _T.OPPORTUNITY_WON: "An opportunity of the reader's team was won "
        "(`opportunity.won.v1`); told to the team's MANAGERs except the one who closed it; "
        "`link` opens the opportunity.",
        _T.OPPORTUNITY_LOST: "An opportunity of the reader's team was lost "
        "(`opportunity.lost.v1`); told to the team's MANAGERs except the one who closed it; "
        "`link` opens the opportunity.",
    },
)
described_enum(
    Channel,
    "What a notice goes out on.",
    {
        Channel.IN_APP: "The in-app inbox (myNotifications, notificationReceived); always "
        "reaches the user and is never held back by quiet hours.",
        Channel.EMAIL: "E-mail to the address in the user's preferences (a customer's is "
        "looked up when sending); held back by quiet hours, or gathered into the daily digest.",
        Channel.WEBHOOK: "A signed HTTP POST of the event to an ADMIN-registered webhook "
        "subscription; not a channel of rules or preferences.",
        Channel.SMS: "A text message to the phone number in the user's preferences; held back "
        "by quiet hours.",
    },
)
_WHEN = " (RFC 3339, UTC)"


class Once[T]:
    """An async thunk evaluated at most once, however many fields await it concurrently."""

    def __init__(self, fn: Callable[[], Awaitable[T]]) -> None:
        self._fn = fn
        self._future: asyncio.Future[T] | None = None

    async def __call__(self) -> T:
        if self._future is None:
            self._future = asyncio.ensure_future(self._fn())
        return await self._future


described_enum(
    BatchKind,
    "The bulk action a collapsed notice stands for.",
    {
        BatchKind.IMPORT: "A customer import (the batch id is the import job's id).",
        BatchKind.BULK_UPDATE: "A bulkUpdateCustomers call.",
        BatchKind.BULK_ASSIGN: "A bulkAssignOpportunities call.",
    },
    name="NotificationBatchKind",
)


@strawberry.type(
    description="The import, bulk update or bulk assignment a collapsed notice stands for "
    "(one notice for all of its changes that concern the reader)."
)
class NotificationBatch:
    kind: BatchKind = strawberry.field(description="Which kind of bulk action.")
    id: strawberry.ID = strawberry.field(
        description="The import job's id, or the bulk update's or bulk assignment's."
    )
    count: int = strawberry.field(description="How many of its changes the notice counts.")


@strawberry.type(description="A notice to one member of staff on one channel.")
class Notification:
    id: strawberry.ID = strawberry.field(
        description="The notification's id (one event notifies a person once per channel)."
    )
    type: NotificationTypeEnum = strawberry.field(  # type: ignore[valid-type]
        description="What it is about."
    )
    channel: NotificationChannelEnum = strawberry.field(  # type: ignore[valid-type]
        description="The channel it was sent on: IN_APP for the notifications listed here "
        "(the other channels are deliveries, see notificationDeliveries)."
    )
    recipient_id: strawberry.ID = strawberry.field(
        description="The member of staff it is for (their staff id, the token subject; see "
        "`recipient`)."
    )
    customer_id: strawberry.ID | None = strawberry.field(
        description="The customer it is about; null when none (e.g. import and export jobs)."
    )
    title: str = strawberry.field(
        description="The title, rendered from its type's template in the recipient's language "
        "(times in their time zone); `[erased]` once the customer is erased."
    )
    body: str = strawberry.field(
        description="The plain-text body, rendered like the title; empty once the customer is "
        "erased."
    )
    read: bool = strawberry.field(
        description="Whether it has been read (markNotificationsRead; archiving also marks it "
        "read)."
    )
    read_at: datetime | None = strawberry.field(
        description="When it was marked read" + _WHEN + "; null while unread and when it was "
        "archived unread."
    )
    archived: bool = strawberry.field(
        description="Whether it is in the archive (archiveNotifications): listed only by "
        "`myNotifications(filter: {archived: true})`."
    )
    created_at: datetime = strawberry.field(
        description="When it was created" + _WHEN + "; lists are ordered by it, newest first."
    )
    batch: NotificationBatch | None = strawberry.field(
        description="Set on a collapsed notice: the batch it stands for and its count."
    )
    link: str | None = strawberry.field(
        description="A client route to what the notice is about (a collapsed notice: the "
        "customer list, its filter as query parameters; an opportunity notice: "
        "`/opportunities/<id>`); null when the notice has none."
    )

    @classmethod
    def from_model(cls, n: NotificationModel) -> Self:
        return cls(
            id=strawberry.ID(n.id),
            type=n.type,
            channel=n.channel,
            recipient_id=strawberry.ID(n.recipient_id),
            customer_id=strawberry.ID(n.customer_id) if n.customer_id else None,
            title=n.title,
            body=n.body,
            read=n.read,
            read_at=n.read_at,
            archived=n.archived,
            created_at=n.created_at,
            batch=NotificationBatch(
                kind=BatchKind(n.batch.kind), id=strawberry.ID(n.batch.id), count=n.batch.count
            )
            if n.batch
            else None,
            link=n.link,
        )

    @strawberry.field(
        description="The member of staff it is for (`recipientId` resolved by the customer "
        "subgraph); null when the id is not in the staff directory."
    )
    def recipient(self) -> StaffMember | None:
        return staff_ref(self.recipient_id)


@strawberry.type(description="One notification of a page, with its position.")
class NotificationEdge:
    cursor: str = strawberry.field(description="Its position, for `after`.")
    node: Notification = strawberry.field(description="The notification.")


@strawberry.type(
    description="Notifications, newest first. Each part is fetched only when selected."
)
class NotificationConnection:
    page: strawberry.Private[Once[Page]]
    total: strawberry.Private[Once[int]]
    unread: strawberry.Private[Once[int]]
    has_previous: strawberry.Private[bool]

    @strawberry.field(description="This page's notifications, newest first.")
    async def edges(self) -> list[NotificationEdge]:
        page = await self.page()
        return [
            NotificationEdge(
                cursor=encode_cursor(Keyset(n.created_at, n.id)), node=Notification.from_model(n)
            )
            for n in page.items
        ]

    @strawberry.field(description="Where to continue.")
    async def page_info(self) -> PageInfo:
        page = await self.page()
        first, last = (page.items[0], page.items[-1]) if page.items else (None, None)
        return PageInfo(
            has_next_page=page.has_next,
            has_previous_page=self.has_previous,
            start_cursor=encode_cursor(Keyset(first.created_at, first.id)) if first else None,
            end_cursor=encode_cursor(Keyset(last.created_at, last.id)) if last else None,
        )

    @strawberry.field(description="How many notifications the whole list has, not only this page.")
    async def total_count(self) -> int:
        return await self.total()

    @strawberry.field(
        description="How many are unread: of the caller's inbox for myNotifications (whatever "
        "its filter), of the customer's list for Customer.notifications."
    )
    async def unread_count(self) -> int:
        return await self.unread()


@strawberry.type(description="What markNotificationsRead or archiveNotifications changed.")
class MarkReadResult:
    changed_count: int = strawberry.field(
        description="How many notifications changed: went from unread to read "
        "(markNotificationsRead), or into the archive (archiveNotifications)."
    )
    unread_count: int = strawberry.field(description="The caller's unread notifications now.")

    @classmethod
    def from_model(cls, change: InboxChange) -> Self:
        return cls(changed_count=change.changed, unread_count=change.unread)
