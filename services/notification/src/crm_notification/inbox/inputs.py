"""The filter of the caller's own notification list (`myNotifications(filter: …)`)."""

from __future__ import annotations

import strawberry

from crm_kit.listing import DateTimeRangeInput, range_condition
from crm_kit.policy import MAX_FILTER_ITEMS, check_sizes
from crm_notification.inbox.model import InboxFilter, NotificationType
from crm_notification.inbox.types import NotificationTypeEnum
from crm_notification.shared.clock import range_bound

FILTER = "filter"


@strawberry.input(
    description="Which of the caller's own notifications myNotifications lists: every "
    f"condition given must hold. `types` holds at most {MAX_FILTER_ITEMS} values (more: "
    "BAD_USER_INPUT, `filter.types` TOO_MANY)."
)
class NotificationFilterInput:
    unread_only: bool = strawberry.field(
        default=False,
        description="true: only unread notifications; false (the default): read and unread.",
    )
    archived: bool = strawberry.field(
        default=False,
        description="false (the default): the inbox; true: the archive instead (notifications "
        "moved there by archiveNotifications, all of them read).",
    )
    types: list[NotificationTypeEnum] | None = strawberry.field(  # type: ignore[valid-type]
        default=None,
        description="Only notifications of one of these types; every type when omitted, null or "
        "empty.",
    )
    created: DateTimeRangeInput | None = strawberry.field(
        default=None,
        description="Only notifications created (`createdAt`) in this range, half open: at or "
        "after `from`, before `to`; any time when omitted. `from` after `to` is BAD_USER_INPUT "
        "(`filter.created.to` OUT_OF_RANGE).",
    )

    def to_filter(self) -> InboxFilter:
        """The repository's filter; BAD_USER_INPUT naming the field of a value out of bounds."""
        types = list(self.types or [])
        check_sizes({f"{FILTER}.types": types})
        return InboxFilter(
            unread_only=self.unread_only,
            archived=self.archived,
            types=tuple(NotificationType(t) for t in types),
            created=range_condition(self.created, f"{FILTER}.created", encode=range_bound),
        )


def inbox_filter(value: NotificationFilterInput | None) -> InboxFilter:
    """The filter of a `myNotifications` call: the whole inbox, read and unread, when omitted."""
    return value.to_filter() if value is not None else InboxFilter()
