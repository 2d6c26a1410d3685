"""The delivery log in GraphQL (ADMIN): list it, replay a finished delivery."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from crm_kit.graphql import PageInfo, page_info
from crm_kit.paging import DEFAULT_PAGE_SIZE, Keyset, decode_cursor, encode_cursor, page_size
from crm_notification.channels.model import Channel
from crm_notification.deliveries.model import Delivery as DeliveryModel
from crm_notification.deliveries.model import DeliveryStatus
from crm_notification.deliveries.queries import LogFilter, LogPage
from crm_notification.graphql.context import Info, require_admin
from crm_notification.inbox.types import NotificationChannelEnum

DeliveryStatusEnum = strawberry.enum(DeliveryStatus, name="DeliveryStatus")


@strawberry.type
class DeliveryAttempt:
    at: datetime
    duration_ms: int
    ok: bool
    error: str | None


@strawberry.type(description="One message to one destination on one channel, with its attempts.")
class NotificationDelivery:
    id: strawberry.ID
    channel: NotificationChannelEnum  # type: ignore[valid-type]
    target: str
    event_id: str
    event_type: str
    notification_type: str
    customer_id: strawberry.ID | None
    address: str | None
    status: DeliveryStatusEnum  # type: ignore[valid-type]
    attempts: int
    max_attempts: int
    last_error: str | None
    history: list[DeliveryAttempt]
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
    deferred_reason: str | None
    replay_of: strawberry.ID | None

    @classmethod
    def from_model(cls, d: DeliveryModel) -> Self:
        return cls(
            id=strawberry.ID(d.id),
            channel=d.channel,
            target=d.target,
            event_id=d.event_id,
            event_type=d.event_type,
            notification_type=d.notification_type,
            customer_id=strawberry.ID(d.customer_id) if d.customer_id else None,
            address=d.address,
            status=d.status,
            attempts=d.attempts,
            max_attempts=d.max_attempts,
            last_error=d.last_error,
            history=[
                DeliveryAttempt(at=a.at, duration_ms=a.duration_ms, ok=a.ok, error=a.error)
                for a in d.history
            ],
            created_at=d.created_at,
            next_attempt_at=d.next_attempt_at,
            sent_at=d.sent_at,
            deferred_reason=d.deferred_reason,
            replay_of=strawberry.ID(d.replay_of) if d.replay_of else None,
        )


@strawberry.type
class NotificationDeliveryEdge:
    cursor: str
    node: NotificationDelivery


@strawberry.type
class NotificationDeliveryConnection:
    edges: list[NotificationDeliveryEdge]
    page_info: PageInfo
    total_count: int

    @classmethod
    def from_page(cls, page: LogPage, has_previous: bool) -> Self:
        cursors = [encode_cursor(Keyset(d.created_at, d.id)) for d in page.items]
        return cls(
            edges=[
                NotificationDeliveryEdge(cursor=c, node=NotificationDelivery.from_model(d))
                for c, d in zip(cursors, page.items, strict=True)
            ],
            page_info=page_info(cursors, page.has_next, has_previous),
            total_count=page.total,
        )


@strawberry.type
class DeliveryQuery:
    @strawberry.field(description="ADMIN: the delivery log, newest first.")
    async def notification_deliveries(
        self,
        info: Info,
        *,
        status: DeliveryStatusEnum | None = None,  # type: ignore[valid-type]
        channel: NotificationChannelEnum | None = None,  # type: ignore[valid-type]
        target: str | None = None,
        first: int | None = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> NotificationDeliveryConnection:
        require_admin(info)
        size = page_size(first, DEFAULT_PAGE_SIZE)
        position = decode_cursor(after) if after else None
        where = LogFilter(
            status=DeliveryStatus(status) if status else None,
            channel=Channel(channel) if channel else None,
            target=target,
        )
        page = await info.context.deps.delivery_queries.log(where, size, position)
        return NotificationDeliveryConnection.from_page(page, has_previous=position is not None)


@strawberry.type
class DeliveryMutation:
    @strawberry.mutation(
        description="ADMIN: send a delivery again as a new delivery (its log keeps `replayOf`)."
    )
    async def replay_notification_delivery(
        self, info: Info, id: strawberry.ID
    ) -> NotificationDelivery:
        require_admin(info)
        replay = await info.context.deps.deliveries.replay(str(id))
        return NotificationDelivery.from_model(replay)
