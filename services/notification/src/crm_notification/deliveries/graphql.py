"""The delivery log in GraphQL (ADMIN): list it, replay a finished delivery."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

import strawberry

from crm_kit.graphql import PageAfter, PageFirst, PageInfo, described_enum, page_info
from crm_kit.listing import DateTimeRangeInput, range_condition
from crm_kit.paging import DEFAULT_PAGE_SIZE, Keyset, decode_cursor, encode_cursor, page_size
from crm_kit.policy import MAX_FILTER_ITEMS, MAX_FILTER_TEXT, check_sizes
from crm_notification.channels.model import Channel
from crm_notification.deliveries.model import Delivery as DeliveryModel
from crm_notification.deliveries.model import DeliveryStatus, LogFilter
from crm_notification.deliveries.queries import LogPage
from crm_notification.graphql.context import Info, require_admin
from crm_notification.inbox.types import NotificationChannelEnum
from crm_notification.shared.clock import range_bound

DeliveryStatusEnum = strawberry.enum(DeliveryStatus, name="DeliveryStatus")
described_enum(
    DeliveryStatus,
    "Where a delivery stands.",
    {
        DeliveryStatus.PENDING: "No attempt yet; due at `nextAttemptAt` (later when held back "
        "by quiet hours or for the daily digest).",
        DeliveryStatus.SENT: "Sent: the mail server or SMS provider accepted it, or the webhook "
        "receiver answered 2xx.",
        DeliveryStatus.FAILED: "The last attempt failed; the next is due at `nextAttemptAt` "
        "(exponential back-off with jitter).",
        DeliveryStatus.DEAD: "Given up, the reason in `lastError`: `maxAttempts` reached, a "
        "permanent failure (no or refused address, webhook subscription disabled or deleted, "
        "HTTP 410), or nothing to send (e.g. a template variable missing from the event).",
    },
)
_WHEN = " (RFC 3339, UTC)"
_ERROR = "addresses in it masked; at most 500 characters"


@strawberry.type(description="One attempt to send a delivery.")
class DeliveryAttempt:
    at: datetime = strawberry.field(description="When it ended" + _WHEN + ".")
    duration_ms: int = strawberry.field(description="How long it took, in milliseconds.")
    ok: bool = strawberry.field(description="Whether it succeeded.")
    error: str | None = strawberry.field(
        description=f"Why it failed ({_ERROR}); null when it succeeded."
    )


@strawberry.type(description="One message to one destination on one channel, with its attempts.")
class NotificationDelivery:
    id: strawberry.ID = strawberry.field(description="The delivery's id (`dlv_…`).")
    channel: NotificationChannelEnum = strawberry.field(  # type: ignore[valid-type]
        description="EMAIL, SMS or WEBHOOK; IN_APP only for a notice a rule could not make "
        "(recorded DEAD with the reason)."
    )
    target: str = strawberry.field(
        description="Who it is for: a staff id, `customer:<id>` for a mail to a customer, a "
        "webhook subscription's id, or `-` when a rule found nobody to tell."
    )
    event_id: strawberry.ID = strawberry.field(
        description="The id of the event that caused it (`digest:<time>` for a daily digest)."
    )
    event_type: str = strawberry.field(
        description="That event's type, e.g. `ticket.assigned.v1` (`notification.digest` for "
        "a daily digest)."
    )
    notification_type: str = strawberry.field(
        description="The NotificationType it carries; the event type for a webhook, `DIGEST` "
        "for a daily digest."
    )
    customer_id: strawberry.ID | None = strawberry.field(
        description="The customer it is about; null when none."
    )
    address: str | None = strawberry.field(
        description="Where it went: the e-mail address or phone number masked (`w***@example.cn`, "
        "`+86*******8000`), the webhook URL as is; null until known (a customer's address is "
        "looked up when sending)."
    )
    status: DeliveryStatusEnum = strawberry.field(  # type: ignore[valid-type]
        description="Where it stands."
    )
    attempts: int = strawberry.field(description="How many attempts were made.")
    max_attempts: int = strawberry.field(
        description="How many attempts are allowed before it is DEAD (settings "
        "EMAIL_MAX_ATTEMPTS for e-mail and SMS, WEBHOOK_MAX_ATTEMPTS); 0 for one recorded DEAD "
        "without an attempt."
    )
    last_error: str | None = strawberry.field(
        description=f"Why the last attempt failed or it was given up ({_ERROR}); null when it "
        "has not failed."
    )
    history: list[DeliveryAttempt] = strawberry.field(description="Every attempt, oldest first.")
    created_at: datetime = strawberry.field(
        description="When it was planned" + _WHEN + "; the log's order, newest first."
    )
    next_attempt_at: datetime = strawberry.field(
        description="When the next attempt is due" + _WHEN + " while PENDING or FAILED; "
        "for SENT and DEAD, the last time one was due."
    )
    sent_at: datetime | None = strawberry.field(
        description="When it was sent" + _WHEN + "; null unless SENT."
    )
    deferred_reason: str | None = strawberry.field(
        description="Why its first attempt was held back: `quiet hours` or `daily digest`; null "
        "when it was due at once."
    )
    replay_of: strawberry.ID | None = strawberry.field(
        description="The delivery this one sends again (replayNotificationDelivery); null for "
        "an original."
    )

    @classmethod
    def from_model(cls, d: DeliveryModel) -> Self:
        return cls(
            id=strawberry.ID(d.id),
            channel=d.channel,
            target=d.target,
            event_id=strawberry.ID(d.event_id),
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


@strawberry.type(description="One delivery of a page, with its position.")
class NotificationDeliveryEdge:
    cursor: str = strawberry.field(description="Its position, for `after`.")
    node: NotificationDelivery = strawberry.field(description="The delivery.")


@strawberry.type(description="A page of the delivery log, newest first.")
class NotificationDeliveryConnection:
    edges: list[NotificationDeliveryEdge] = strawberry.field(
        description="This page's deliveries, newest first."
    )
    page_info: PageInfo = strawberry.field(description="Where to continue.")
    total_count: int = strawberry.field(
        description="All deliveries matching the filter, not only this page."
    )

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


@strawberry.input(
    description="Which deliveries of the log: every condition given must hold. `statuses` and "
    f"`channels` hold at most {MAX_FILTER_ITEMS} values (more: TOO_MANY naming the field), "
    f"`target` at most {MAX_FILTER_TEXT} characters (more: TOO_LONG)."
)
class NotificationDeliveryFilterInput:
    statuses: list[DeliveryStatusEnum] | None = strawberry.field(  # type: ignore[valid-type]
        default=None,
        description="Only deliveries in one of these statuses; any status when omitted, null or "
        "empty.",
    )
    channels: list[NotificationChannelEnum] | None = strawberry.field(  # type: ignore[valid-type]
        default=None,
        description="Only deliveries on one of these channels; any channel when omitted, null "
        "or empty.",
    )
    target: str | None = strawberry.field(
        default=None,
        description="Only deliveries for this exact target (a staff id, `customer:<id>`, or a "
        "webhook subscription's id; no patterns); any target when omitted.",
    )
    created: DateTimeRangeInput | None = strawberry.field(
        default=None,
        description="Only deliveries planned (`createdAt`) in this range, half open: at or "
        "after `from`, before `to`; any time when omitted. `from` after `to` is BAD_USER_INPUT "
        "(`filter.created.to` OUT_OF_RANGE).",
    )

    def to_filter(self) -> LogFilter:
        """The log's filter; BAD_USER_INPUT naming the field of a value out of bounds."""
        statuses, channels = list(self.statuses or []), list(self.channels or [])
        check_sizes(
            {"filter.statuses": statuses, "filter.channels": channels, "filter.target": self.target}
        )
        return LogFilter(
            statuses=tuple(DeliveryStatus(s) for s in statuses),
            channels=tuple(Channel(c) for c in channels),
            target=self.target,
            created=range_condition(self.created, "filter.created", encode=range_bound),
        )


def log_filter(value: NotificationDeliveryFilterInput | None) -> LogFilter:
    """The filter of a `notificationDeliveries` call: the whole log when omitted."""
    return value.to_filter() if value is not None else LogFilter()


@strawberry.type
class DeliveryQuery:
    @strawberry.field(
        description="ADMIN only: the delivery log (e-mail, SMS, webhook), newest first (by "
        "`createdAt`, the one order). Errors: FORBIDDEN, BAD_USER_INPUT (`filter.created.to` "
        "OUT_OF_RANGE; `filter.statuses`, `filter.channels` TOO_MANY; `filter.target` TOO_LONG; "
        "`first` OUT_OF_RANGE; `after` INVALID_CURSOR)."
    )
    async def notification_deliveries(
        self,
        info: Info,
        filter: Annotated[
            NotificationDeliveryFilterInput | None,
            strawberry.argument(description="Which deliveries; the whole log when omitted."),
        ] = None,
        first: PageFirst = DEFAULT_PAGE_SIZE,
        after: PageAfter = None,
    ) -> NotificationDeliveryConnection:
        require_admin(info)
        where = log_filter(filter)
        size = page_size(first, DEFAULT_PAGE_SIZE)
        position = decode_cursor(after) if after else None
        page = await info.context.deps.delivery_queries.log(where, size, position)
        return NotificationDeliveryConnection.from_page(page, has_previous=position is not None)


@strawberry.type
class DeliveryMutation:
    @strawberry.mutation(
        description="ADMIN only: send a SENT or DEAD delivery again as a new PENDING delivery, "
        "due now, with a fresh attempt count (its log keeps `replayOf`); answers the new one. "
        "Errors: BAD_USER_INPUT (`id` NOT_FINISHED: still PENDING or FAILED), NOT_FOUND, "
        "FORBIDDEN."
    )
    async def replay_notification_delivery(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID, strawberry.argument(description="The id of the delivery to send again.")
        ],
    ) -> NotificationDelivery:
        require_admin(info)
        replay = await info.context.deps.deliveries.replay(str(id))
        return NotificationDelivery.from_model(replay)
