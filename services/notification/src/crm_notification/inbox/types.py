"""GraphQL types of notifications: the notice, its connection (each part fetched only when
selected) and the enums the other features' types share."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Self

import strawberry

from crm_kit.graphql import PageInfo
from crm_kit.paging import Keyset, encode_cursor
from crm_notification.channels.model import Channel
from crm_notification.inbox.model import InboxChange, NotificationType, Page
from crm_notification.inbox.model import Notification as NotificationModel

NotificationTypeEnum = strawberry.enum(NotificationType, name="NotificationType")
# Not plain "Channel": interaction channels (PHONE, VISIT, ...) are another enum.
NotificationChannelEnum = strawberry.enum(Channel, name="NotificationChannel")


class Once[T]:
    """An async thunk evaluated at most once, however many fields await it concurrently."""

    def __init__(self, fn: Callable[[], Awaitable[T]]) -> None:
        self._fn = fn
        self._future: asyncio.Future[T] | None = None

    async def __call__(self) -> T:
        if self._future is None:
            self._future = asyncio.ensure_future(self._fn())
        return await self._future


@strawberry.type(
    description="The import or bulk update a collapsed notice stands for (one notice for "
    "all of its changes that concern the reader)."
)
class NotificationBatch:
    kind: str = strawberry.field(description="IMPORT or BULK_UPDATE.")
    id: strawberry.ID = strawberry.field(description="The import job's id, or the bulk update's.")
    count: int = strawberry.field(description="How many of its changes the notice counts.")


@strawberry.type(description="A notice to one member of staff on one channel.")
class Notification:
    id: strawberry.ID
    type: NotificationTypeEnum  # type: ignore[valid-type]
    channel: NotificationChannelEnum  # type: ignore[valid-type]
    recipient_id: strawberry.ID
    customer_id: strawberry.ID | None
    title: str
    body: str
    read: bool
    read_at: datetime | None
    archived: bool
    created_at: datetime
    batch: NotificationBatch | None = strawberry.field(
        description="Set on a collapsed notice: the batch it stands for and its count."
    )
    link: str | None = strawberry.field(
        description="A client route to what the notice is about (a collapsed notice: the "
        "customer list, its filter as query parameters)."
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
                kind=n.batch.kind, id=strawberry.ID(n.batch.id), count=n.batch.count
            )
            if n.batch
            else None,
            link=n.link,
        )


@strawberry.type
class NotificationEdge:
    cursor: str
    node: Notification


@strawberry.type(
    description="Notifications, newest first. Each part is fetched only when selected."
)
class NotificationConnection:
    page: strawberry.Private[Once[Page]]
    total: strawberry.Private[Once[int]]
    unread: strawberry.Private[Once[int]]
    has_previous: strawberry.Private[bool]

    @strawberry.field
    async def edges(self) -> list[NotificationEdge]:
        page = await self.page()
        return [
            NotificationEdge(
                cursor=encode_cursor(Keyset(n.created_at, n.id)), node=Notification.from_model(n)
            )
            for n in page.items
        ]

    @strawberry.field
    async def page_info(self) -> PageInfo:
        page = await self.page()
        first, last = (page.items[0], page.items[-1]) if page.items else (None, None)
        return PageInfo(
            has_next_page=page.has_next,
            has_previous_page=self.has_previous,
            start_cursor=encode_cursor(Keyset(first.created_at, first.id)) if first else None,
            end_cursor=encode_cursor(Keyset(last.created_at, last.id)) if last else None,
        )

    @strawberry.field(description="How many notifications the whole list has.")
    async def total_count(self) -> int:
        return await self.total()

    @strawberry.field(description="How many of them are unread.")
    async def unread_count(self) -> int:
        return await self.unread()


@strawberry.type
class MarkReadResult:
    changed_count: int = strawberry.field(
        description="Notifications that went from unread to read."
    )
    unread_count: int = strawberry.field(description="The caller's unread notifications now.")

    @classmethod
    def from_model(cls, change: InboxChange) -> Self:
        return cls(changed_count=change.changed, unread_count=change.unread)
