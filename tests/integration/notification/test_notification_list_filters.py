"""The filters of the notification lists (`myNotifications(filter:)`,
`notificationDeliveries(filter:)`) against the embedded MongoDB, over HTTP: each condition,
paging on to the second page under a filter, and a reversed time range refused naming its end.

The records are stored directly (with chosen types, states and times) so that every condition
has something to keep and something to drop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio

from crm_notification.channels.model import Channel
from crm_notification.deliveries import store as delivery_store
from crm_notification.deliveries.model import Delivery, DeliveryStatus
from crm_notification.inbox import store as inbox_store
from crm_notification.inbox.model import Language, Notification, NotificationType
from tests.harness import serve_service
from tests.integration.notification.service_support import Service
from tests.support import uid

pytestmark = pytest.mark.integration

BASE = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
LATER = BASE + timedelta(days=365)  # due after every test: the scheduler leaves them alone

DELIVERIES = """
query($filter: NotificationDeliveryFilterInput, $first: Int, $after: String) {
  notificationDeliveries(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { node { id channel status target createdAt } }
  }
}"""


def at(minute: int) -> str:
    return (BASE + timedelta(minutes=minute)).isoformat()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def service(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Service]:
    async with serve_service("notification", mongodb_uri, amqp_url) as handle:
        yield Service.of(handle)


async def store_notifications(service: Service, owner: str, *spec: tuple[Any, ...]) -> list[str]:
    """Notifications of `owner`, one per (type, minute, read, archived); their ids."""
    notices = [
        Notification(
            id=uid("ntf"),
            type=type,
            channel=Channel.IN_APP,
            recipient_id=owner,
            customer_id=None,
            title="t",
            body="b",
            language=Language.ZH_CN,
            source_event_id=uid("evt"),
            created_at=BASE + timedelta(minutes=minute),
            read=read,
            archived=archived,
        )
        for type, minute, read, archived in spec
    ]
    await service.db["notifications"].insert_many([inbox_store.to_document(n) for n in notices])
    return [n.id for n in notices]


async def store_deliveries(service: Service, target: str, *spec: tuple[Any, ...]) -> list[str]:
    """Deliveries for `target`, one per (channel, status, minute); their ids."""
    deliveries = [
        Delivery(
            id=uid("dlv"),
            channel=channel,
            target=target,
            event_id=uid("evt"),
            event_type="task.due.v1",
            customer_id=None,
            created_at=BASE + timedelta(minutes=minute),
            next_attempt_at=LATER,
            status=status,
        )
        for channel, status, minute in spec
    ]
    docs = [delivery_store.to_document(d) for d in deliveries]
    await service.db["deliveries"].insert_many(docs)
    return [d.id for d in deliveries]


async def deliveries(service: Service, **variables: Any) -> dict[str, Any]:
    body = await service.query(DELIVERIES, variables, sub=uid("admin"), roles=("ADMIN",))
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["notificationDeliveries"]
    return result


def ids(page: dict[str, Any]) -> list[str]:
    return [e["node"]["id"] for e in page["edges"]]


def refused_fields(body: dict[str, Any]) -> list[tuple[str, str]]:
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", body
    return [(f["field"], f["code"]) for f in error["extensions"]["fieldErrors"]]


async def test_my_notifications_filter_pages_to_its_second_page(service: Service) -> None:
    owner = uid("sales")
    T = NotificationType
    n0, n1, _n2, _n3, n4, n5, n6 = await store_notifications(
        service,
        owner,
        (T.TASK_DUE, 0, False, False),  # before `created.from`
        (T.TASK_DUE, 1, False, False),
        (T.TICKET_ASSIGNED, 2, False, False),  # another type
        (T.TASK_DUE, 3, True, False),  # read
        (T.TASK_DUE, 4, False, False),
        (T.TASK_DUE, 5, True, True),  # archived
        (T.TASK_OVERDUE, 6, False, False),
    )
    await store_notifications(service, uid("other"), (T.TASK_DUE, 4, False, False))
    where = {
        "unreadOnly": True,
        "types": ["TASK_DUE", "TASK_OVERDUE"],
        "created": {"from": at(1), "to": at(7)},
    }

    first = await service.inbox(owner, filter=where, first=2)
    assert ids(first) == [n6, n4]
    assert first["totalCount"] == 3 and first["unreadCount"] == 5  # unread of the whole inbox
    assert first["pageInfo"]["hasNextPage"] is True
    after = first["pageInfo"]["endCursor"]
    second = await service.inbox(owner, filter=where, first=2, after=after)
    assert ids(second) == [n1] and second["totalCount"] == 3
    assert second["pageInfo"]["hasNextPage"] is False
    assert second["pageInfo"]["hasPreviousPage"] is True

    half_open = {**where, "created": {"from": at(1), "to": at(6)}}  # `to` itself excluded
    assert ids(await service.inbox(owner, filter=half_open)) == [n4, n1]
    everything = await service.inbox(owner)  # no filter: the inbox, read and unread, any type
    assert everything["totalCount"] == 6 and n5 not in ids(everything) and n0 in ids(everything)
    archive = await service.inbox(owner, filter={"archived": True, "types": ["TASK_DUE"]})
    assert ids(archive) == [n5]


async def test_my_notifications_refuses_a_reversed_range_naming_its_end(service: Service) -> None:
    where = {"created": {"from": at(2), "to": at(1)}}
    body = await service.query(
        "query($f: NotificationFilterInput) { myNotifications(filter: $f) { totalCount } }",
        {"f": where},
        sub=uid("sales"),
        roles=("SALES",),
    )
    assert refused_fields(body) == [("filter.created.to", "OUT_OF_RANGE")]


async def test_deliveries_filter_by_statuses_and_channels_pages_to_its_second_page(
    service: Service,
) -> None:
    target = uid("sales")
    C, S = Channel, DeliveryStatus
    d0, d1, d2, d3, d4, d5 = await store_deliveries(
        service,
        target,
        (C.EMAIL, S.SENT, 0),
        (C.SMS, S.DEAD, 1),
        (C.WEBHOOK, S.SENT, 2),
        (C.EMAIL, S.FAILED, 3),
        (C.EMAIL, S.PENDING, 4),
        (C.SMS, S.SENT, 5),
    )
    await store_deliveries(service, uid("sales"), (C.EMAIL, S.SENT, 3))
    where = {"target": target, "statuses": ["SENT", "DEAD"], "channels": ["EMAIL", "SMS"]}

    first = await deliveries(service, filter=where, first=2)
    assert ids(first) == [d5, d1] and first["totalCount"] == 3
    assert first["pageInfo"]["hasNextPage"] is True
    after = first["pageInfo"]["endCursor"]
    second = await deliveries(service, filter=where, first=2, after=after)
    assert ids(second) == [d0] and second["totalCount"] == 3
    assert second["pageInfo"]["hasNextPage"] is False
    assert second["pageInfo"]["hasPreviousPage"] is True

    due = await deliveries(service, filter={"target": target, "statuses": ["FAILED", "PENDING"]})
    assert ids(due) == [d4, d3]
    hooks = await deliveries(service, filter={"target": target, "channels": ["WEBHOOK"]})
    assert ids(hooks) == [d2]
    window = {"target": target, "created": {"from": at(1), "to": at(3)}}
    assert ids(await deliveries(service, filter=window)) == [d2, d1]
    unfiltered = await deliveries(service, filter={"target": target, "statuses": []})
    assert unfiltered["totalCount"] == 6  # an empty list narrows nothing


async def test_deliveries_refuse_a_reversed_range_naming_its_end(service: Service) -> None:
    where = {"created": {"from": at(2), "to": at(1)}}
    body = await service.query(DELIVERIES, {"filter": where}, sub=uid("admin"), roles=("ADMIN",))
    assert refused_fields(body) == [("filter.created.to", "OUT_OF_RANGE")]
