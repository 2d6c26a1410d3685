"""The caller's own inbox (queries, mark read, archive, the live subscription) and the
notifications the customer subgraph's `Customer` gets from this one."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated, Self

import strawberry
from strawberry.dataloader import DataLoader

from crm_kit.errors import BadUserInput
from crm_kit.graphql import PageAfter, PageFirst
from crm_kit.paging import DEFAULT_PAGE_SIZE, decode_cursor, page_size
from crm_notification.access import notifications_recipient
from crm_notification.graphql.context import Info, remember_caller
from crm_notification.inbox.inputs import NotificationFilterInput, inbox_filter
from crm_notification.inbox.live import received
from crm_notification.inbox.model import MAX_IDS_PER_CALL, Page, checked_ids
from crm_notification.inbox.queries import CountKey, PageKey
from crm_notification.inbox.types import (
    MarkReadResult,
    Notification,
    NotificationConnection,
    Once,
)

_IDS = (
    f"Ids of the caller's notifications, at most {MAX_IDS_PER_CALL}; ids of other people's "
    "notifications, or unknown ones, change nothing."
)
NotificationIds = Annotated[list[strawberry.ID], strawberry.argument(description=_IDS)]


@strawberry.type
class Query:
    @strawberry.field(
        description="The caller's own notifications, newest first (by `createdAt`, the one "
        "order): the inbox, or with `filter: {archived: true}` the archive. Errors: "
        "BAD_USER_INPUT (`filter.created.to` OUT_OF_RANGE; `filter.types` TOO_MANY; `first` "
        "OUT_OF_RANGE; `after` INVALID_CURSOR)."
    )
    async def my_notifications(
        self,
        info: Info,
        filter: Annotated[
            NotificationFilterInput | None,
            strawberry.argument(
                description="Which notifications; when omitted, the inbox (not the archive), "
                "read and unread, of every type and time."
            ),
        ] = None,
        first: PageFirst = DEFAULT_PAGE_SIZE,
        after: PageAfter = None,
    ) -> NotificationConnection:
        me = await remember_caller(info)
        inbox = info.context.deps.notifications
        where = inbox_filter(filter)
        size = page_size(first, DEFAULT_PAGE_SIZE)
        position = decode_cursor(after) if after else None
        return NotificationConnection(
            page=Once(lambda: inbox.page(me, where, first=size, after=position)),
            total=Once(lambda: inbox.count(me, where)),
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
        description="Mark the caller's own notifications read: those in `ids`, or `all`. Ids "
        "of other people's notifications change nothing. Safe to retry. Errors: BAD_USER_INPUT "
        "(`ids` CONFLICTING (both `ids` and `all: true`), REQUIRED (neither), TOO_MANY (more "
        f"than {MAX_IDS_PER_CALL}))."
    )
    async def mark_notifications_read(
        self,
        info: Info,
        ids: Annotated[
            list[strawberry.ID] | None,
            strawberry.argument(description=_IDS + " Leave it out with `all: true`."),
        ] = None,
        all: Annotated[
            bool | None,
            strawberry.argument(
                description="true: every unread notification of the caller, instead of `ids`."
            ),
        ] = False,
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
        "read). Ids of other people's notifications change nothing. Safe to retry. Errors: "
        f"BAD_USER_INPUT (`ids` TOO_MANY (more than {MAX_IDS_PER_CALL}))."
    )
    async def archive_notifications(self, info: Info, ids: NotificationIds) -> MarkReadResult:
        me = info.context.principal.sub
        change = await info.context.deps.inbox.archive(me, checked_ids(ids))
        return MarkReadResult.from_model(change)


@strawberry.type(
    description="The CRM's live updates (WebSocket, graphql-transport-ws): the gateway "
    "composes every service's into one Subscription."
)
class Subscription:
    @strawberry.subscription(
        description="Each new in-app notification of the caller, as it is created (only the "
        "caller's own; nothing is replayed on connecting: read myNotifications for the past)."
    )
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
    id: strawberry.ID = strawberry.field(description="The customer's id.")

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Self:
        # No database access: every field below loads lazily, batched over the whole call.
        return cls(id=id)

    @strawberry.field(
        description="Notifications about this customer, archived ones included, newest first. "
        "Callers other than ADMIN and MANAGER see the ones they received; ADMIN and MANAGER see "
        "every recipient's when their customer read scope reaches the customer (else null, "
        "with FORBIDDEN), only their own while the customer has never been assigned."
    )
    async def notifications(
        self, info: Info, first: PageFirst = DEFAULT_PAGE_SIZE, after: PageAfter = None
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
