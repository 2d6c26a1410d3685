"""Root queries and mutations of the notification subgraph: the caller's own inbox."""

from __future__ import annotations

import strawberry

from crm_kit.errors import BadUserInput
from crm_notification.graphql.context import Info
from crm_notification.graphql.preference_resolvers import remember_caller
from crm_notification.graphql.types import MarkReadResult, NotificationConnection, Once
from crm_notification.pagination import DEFAULT_PAGE_SIZE, decode_cursor, page_size

MAX_IDS_PER_CALL = 500


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
        repo = info.context.deps.notifications
        size = page_size(DEFAULT_PAGE_SIZE if first is None else first)
        unread = bool(unread_only)
        position = decode_cursor(after) if after else None
        archive = bool(archived)
        return NotificationConnection(
            page=Once(
                lambda: repo.inbox_page(
                    me, unread_only=unread, first=size, after=position, archived=archive
                )
            ),
            total=Once(lambda: repo.inbox_count(me, unread_only=unread, archived=archive)),
            unread=Once(lambda: repo.inbox_count(me, unread_only=True)),
            has_previous=position is not None,
        )

    @strawberry.field(description="How many of the caller's notifications are unread.")
    async def unread_notification_count(self, info: Info) -> int:
        me = await remember_caller(info)
        return await info.context.deps.notifications.inbox_count(me, unread_only=True)


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
        if ids is not None and len(ids) > MAX_IDS_PER_CALL:
            raise BadUserInput.single("ids", "TOO_MANY", f"At most {MAX_IDS_PER_CALL} ids per call")
        deps = info.context.deps
        changed = await deps.notifications.mark_read(
            me, None if all else [str(i) for i in ids or []], deps.clock()
        )
        unread = await deps.notifications.inbox_count(me, unread_only=True)
        return MarkReadResult(changed_count=changed, unread_count=unread)

    @strawberry.mutation(
        description="Archive the caller's own notifications in `ids` (they leave the inbox, "
        "read). Ids of other people's notifications change nothing. Safe to retry."
    )
    async def archive_notifications(self, info: Info, ids: list[strawberry.ID]) -> MarkReadResult:
        me = info.context.principal.sub
        if len(ids) > MAX_IDS_PER_CALL:
            raise BadUserInput.single("ids", "TOO_MANY", f"At most {MAX_IDS_PER_CALL} ids per call")
        deps = info.context.deps
        changed = await deps.notifications.archive(me, [str(i) for i in ids], deps.clock())
        unread = await deps.notifications.inbox_count(me, unread_only=True)
        return MarkReadResult(changed_count=changed, unread_count=unread)
