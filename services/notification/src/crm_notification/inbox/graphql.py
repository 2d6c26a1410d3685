"""The caller's own inbox (queries, mark read, archive, the live subscription) and the
notifications the customer subgraph's `Customer` gets from this one."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Self

import strawberry
from strawberry.dataloader import DataLoader

from crm_kit.errors import BadUserInput
from crm_kit.paging import DEFAULT_PAGE_SIZE, decode_cursor, page_size
from crm_notification.access import notifications_recipient
from crm_notification.graphql.context import Info, remember_caller
from crm_notification.inbox.live import received
from crm_notification.inbox.model import Page, checked_ids
from crm_notification.inbox.queries import CountKey, PageKey
from crm_notification.inbox.types import (
    MarkReadResult,
    Notification,
    NotificationConnection,
    Once,
)


@strawberry.type
class Query:
    @strawberry.field(
        description="The caller's notifications, newest first (`archived: true`: the archive)."
    )
    async def my_notifications(
        self,
        info: Info,
        first: int | None = DEFAULT_PAGE_SIZE,
        after: str | None = None,
        unread_only: bool | None = False,
        *,
        archived: bool | None = False,
    ) -> NotificationConnection:
        me = await remember_caller(info)
        inbox = info.context.deps.notifications
        size = page_size(first, DEFAULT_PAGE_SIZE)
        unread = bool(unread_only)
        position = decode_cursor(after) if after else None
        archive = bool(archived)
        return NotificationConnection(
            page=Once(
                lambda: inbox.page(
                    me, unread_only=unread, first=size, after=position, archived=archive
                )
            ),
            total=Once(lambda: inbox.count(me, unread_only=unread, archived=archive)),
            unread=Once(lambda: inbox.unread_count(me)),
            has_previous=position is not None,
        )

    @strawberry.field(description="How many of the caller's notifications are unread.")
    async def unread_notification_count(self, info: Info) -> int:
        me = await remember_caller(info)
        return await info.context.deps.notifications.unread_count(me)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Mark the caller's own notifications read: those in `ids`, or `all`. "
        "Ids of other people's notifications change nothing. Safe to retry."
    )
    async def mark_notifications_read(
        self, info: Info, ids: list[strawberry.ID] | None = None, all: bool | None = False
    ) -> MarkReadResult:
        me = info.context.principal.sub
        all = bool(all)
        if all and ids:
            raise BadUserInput.single("ids", "CONFLICTING", "Pass either ids or all: true")
        if not all and ids is None:
            raise BadUserInput.single("ids", "REQUIRED", "Pass ids, or all: true")
        chosen = None if all else checked_ids(ids or [])
        change = await info.context.deps.inbox.mark_read(me, chosen)
        return MarkReadResult.from_model(change)

    @strawberry.mutation(
        description="Archive the caller's own notifications in `ids` (they leave the inbox, "
        "read). Ids of other people's notifications change nothing. Safe to retry."
    )
    async def archive_notifications(self, info: Info, ids: list[strawberry.ID]) -> MarkReadResult:
        me = info.context.principal.sub
        change = await info.context.deps.inbox.archive(me, checked_ids(ids))
        return MarkReadResult.from_model(change)


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Each new in-app notification of the caller.")
    async def notification_received(self, info: Info) -> AsyncGenerator[Notification]:
        me = await remember_caller(info)
        deps = info.context.deps
        async for found in received(deps.live, me, deps.notifications.get):
            yield Notification.from_model(found)


def customer_pages(info: Info) -> DataLoader[PageKey, Page]:
    return info.context.loader(
        "customer_notification_pages", info.context.deps.notifications.pages_about_customers
    )


def customer_counts(info: Info) -> DataLoader[CountKey, int]:
    return info.context.loader(
        "customer_notification_counts", info.context.deps.notifications.counts_about_customers
    )


@strawberry.federation.type(
    keys=["id"], description="Owned by the customer subgraph; this one adds its notifications."
)
class Customer:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Self:
        # No database access: every field below loads lazily, batched over the whole call.
        return cls(id=id)

    @strawberry.field(
        description="Notifications about this customer that the caller may see, newest first."
    )
    async def notifications(
        self, info: Info, first: int | None = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> NotificationConnection | None:  # nullable: an outage here must not null the customer
        recipient_id = await notifications_recipient(info.context, str(self.id))
        size = page_size(first, DEFAULT_PAGE_SIZE)
        position = decode_cursor(after) if after else None
        customer_id = str(self.id)
        pages = customer_pages(info)
        counts = customer_counts(info)
        return NotificationConnection(
            page=Once(lambda: pages.load(PageKey(customer_id, recipient_id, size, position))),
            total=Once(lambda: counts.load(CountKey(customer_id, recipient_id, False))),
            unread=Once(lambda: counts.load(CountKey(customer_id, recipient_id, True))),
            has_previous=position is not None,
        )
