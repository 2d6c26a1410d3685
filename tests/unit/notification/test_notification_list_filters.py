"""The list filters of the notification service, pure: what a GraphQL filter input becomes, the
MongoDB conditions built from it, and what it refuses (naming the field)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from crm_kit.errors import BadUserInput
from crm_kit.listing import DateTimeRangeInput
from crm_kit.policy import MAX_FILTER_ITEMS, MAX_FILTER_TEXT
from crm_notification.channels.model import Channel
from crm_notification.deliveries.graphql import NotificationDeliveryFilterInput, log_filter
from crm_notification.deliveries.model import DeliveryStatus, LogFilter
from crm_notification.deliveries.store import log_query
from crm_notification.inbox.inputs import NotificationFilterInput, inbox_filter
from crm_notification.inbox.model import InboxFilter, NotificationType
from crm_notification.inbox.store import NotificationRepository
from crm_notification.shared.clock import range_bound
from tests.support import field_codes

MAY = datetime(2026, 5, 1, tzinfo=UTC)
JUNE = datetime(2026, 6, 1, tzinfo=UTC)


def test_no_inbox_filter_is_the_whole_inbox_read_and_unread() -> None:
    assert inbox_filter(None) == InboxFilter(unread_only=False, archived=False)
    assert NotificationFilterInput().to_filter() == inbox_filter(None)
    query = NotificationRepository._inbox("u-1", inbox_filter(None))
    assert query == {"recipient_id": "u-1", "archived": {"$ne": True}}


def test_an_inbox_filter_becomes_one_condition_per_part() -> None:
    given = NotificationFilterInput(
        unread_only=True,
        archived=True,
        types=[NotificationType.TASK_DUE, NotificationType.TASK_OVERDUE],
        created=DateTimeRangeInput(from_=MAY, to=JUNE),
    )
    assert NotificationRepository._inbox("u-1", given.to_filter()) == {
        "recipient_id": "u-1",
        "read": False,
        "archived": True,
        "type": {"$in": ["TASK_DUE", "TASK_OVERDUE"]},
        "created_at": {"$gte": MAY, "$lt": JUNE},
    }


def test_an_empty_type_list_narrows_nothing() -> None:
    assert NotificationFilterInput(types=[]).to_filter().types == ()


def test_a_reversed_inbox_range_is_refused_naming_its_end() -> None:
    given = NotificationFilterInput(created=DateTimeRangeInput(from_=JUNE, to=MAY))
    with pytest.raises(BadUserInput) as raised:
        given.to_filter()
    assert field_codes(raised) == {"filter.created.to": "OUT_OF_RANGE"}


def test_too_many_types_are_refused_naming_the_field() -> None:
    given = NotificationFilterInput(types=[NotificationType.TASK_DUE] * (MAX_FILTER_ITEMS + 1))
    with pytest.raises(BadUserInput) as raised:
        given.to_filter()
    assert field_codes(raised) == {"filter.types": "TOO_MANY"}


def test_no_delivery_filter_is_the_whole_log() -> None:
    assert log_filter(None) == LogFilter()
    assert log_query(log_filter(None)) == {}
    assert log_query(NotificationDeliveryFilterInput(statuses=[], channels=[]).to_filter()) == {}


def test_a_delivery_filter_becomes_one_condition_per_part() -> None:
    given = NotificationDeliveryFilterInput(
        statuses=[DeliveryStatus.SENT, DeliveryStatus.DEAD],
        channels=[Channel.EMAIL],
        target="customer:c-1",
        created=DateTimeRangeInput(from_=MAY),
    )
    assert log_query(given.to_filter()) == {
        "status": {"$in": ["SENT", "DEAD"]},
        "channel": {"$in": ["EMAIL"]},
        "target": "customer:c-1",
        "created_at": {"$gte": MAY},
    }


def test_a_reversed_delivery_range_is_refused_naming_its_end() -> None:
    given = NotificationDeliveryFilterInput(created=DateTimeRangeInput(from_=JUNE, to=MAY))
    with pytest.raises(BadUserInput) as raised:
        given.to_filter()
    assert field_codes(raised) == {"filter.created.to": "OUT_OF_RANGE"}


def test_oversized_delivery_filters_are_refused_naming_each_field() -> None:
    given = NotificationDeliveryFilterInput(
        statuses=[DeliveryStatus.SENT] * (MAX_FILTER_ITEMS + 1),
        channels=[Channel.SMS] * (MAX_FILTER_ITEMS + 1),
        target="x" * (MAX_FILTER_TEXT + 1),
    )
    with pytest.raises(BadUserInput) as raised:
        given.to_filter()
    assert field_codes(raised) == {
        "filter.statuses": "TOO_MANY",
        "filter.channels": "TOO_MANY",
        "filter.target": "TOO_LONG",
    }


def test_range_bounds_round_up_to_the_stored_millisecond() -> None:
    """Times are stored to the millisecond: a bound inside a millisecond rounds up, so a time
    stored at 08:00:00.000 is before `to` 08:00:00.000500 and not at or after that `from`."""
    inside = datetime(2026, 5, 1, 8, 0, 0, 500, tzinfo=UTC)
    assert range_bound(inside) == datetime(2026, 5, 1, 8, 0, 0, 1000, tzinfo=UTC)
    assert range_bound(MAY) == MAY
    shanghai = timezone(timedelta(hours=8))
    assert range_bound(datetime(2026, 5, 1, 8, tzinfo=shanghai)) == MAY
