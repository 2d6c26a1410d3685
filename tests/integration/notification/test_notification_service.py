"""The notification subgraph against the embedded MongoDB and a real RabbitMQ, over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import orjson
import pytest
import pytest_asyncio

from tests.harness import serve_service
from tests.integration.notification.service_support import (
    ENTITIES,
    MARK_READ,
    MY_NOTIFICATIONS,
    CommandRecorder,
    Service,
    assigned,
    notify,
)
from tests.support import eventually, gql, uid

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def service(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Service]:
    recorder = CommandRecorder()
    async with serve_service(
        "notification", mongodb_uri, amqp_url, mongo_listeners=[recorder]
    ) as handle:
        yield Service.of(handle, recorder=recorder)


async def test_assignment_puts_a_notification_in_the_new_owners_inbox(service: Service) -> None:
    owner, customer = uid("sales"), uid("c")
    await service.publish(assigned(customer, owner, uid("mgr"), "北京华夏科技有限公司"))

    async def arrived() -> dict[str, Any] | None:
        inbox = await service.inbox(owner)
        return inbox if inbox["totalCount"] == 1 else None

    inbox = await eventually(arrived, timeout=30)
    node = inbox["edges"][0]["node"]
    assert node["type"] == "CUSTOMER_ASSIGNED"
    assert node["channel"] == "IN_APP"
    assert node["recipientId"] == owner
    assert node["customerId"] == customer
    assert node["title"] == "新客户分配给您：北京华夏科技有限公司"
    assert "北京华夏科技有限公司" in node["body"]
    assert node["read"] is False and node["readAt"] is None
    assert node["createdAt"].endswith("+00:00")
    assert inbox["unreadCount"] == 1
    # nobody else sees it
    assert (await service.inbox(uid("other")))["totalCount"] == 0


async def test_delivery_is_announced_on_the_bus(service: Service, amqp_url: str) -> None:
    owner, customer = uid("sales"), uid("c")
    connection = await aio_pika.connect_robust(amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(service.settings.events_exchange, "notification.delivered.v1")
        await service.publish(assigned(customer, owner, uid("mgr")))

        async def delivered() -> dict[str, Any] | None:
            message = await queue.get(no_ack=True, fail=False)
            while message is not None:
                envelope: dict[str, Any] = orjson.loads(message.body)
                if envelope["data"]["notification"]["recipientId"] == owner:
                    return envelope
                message = await queue.get(no_ack=True, fail=False)
            return None

        envelope = await eventually(delivered, timeout=30)
    [node] = [e["node"] for e in (await service.inbox(owner))["edges"]]
    assert envelope["type"] == "notification.delivered.v1"
    assert envelope["specversion"] == "1.0"
    assert envelope["subject"] == customer
    assert envelope["source"] == f"crm/{service.settings.service_name}"
    assert envelope["data"] == {
        "notification": {
            "id": node["id"],
            "recipientId": owner,
            "type": "CUSTOMER_ASSIGNED",
            "channel": "IN_APP",
            "customerId": customer,
        }
    }


async def test_assigning_a_customer_to_yourself_notifies_nobody(service: Service) -> None:
    me = uid("sales")
    event = assigned(uid("c"), me, actor=me)
    await service.publish(event)
    await service.applied(event)
    inbox = await service.inbox(me)
    assert inbox["totalCount"] == 0 and inbox["edges"] == []
    assert await service.count("notifications", {"source_event_id": event.id}) == 0


async def test_the_same_event_twice_creates_one_notification(service: Service) -> None:
    owner = uid("sales")
    event = assigned(uid("c"), owner, uid("mgr"))
    consumer = service.app.state.runtime.consumer
    duplicates_before = consumer.duplicates_total
    await service.publish(event)
    await service.publish(event)

    async def both_seen() -> bool:
        return bool(consumer.duplicates_total > duplicates_before)

    await eventually(both_seen, timeout=30)
    await service.applied(event)
    inbox = await service.inbox(owner)
    assert inbox["totalCount"] == 1
    assert inbox["unreadCount"] == 1


async def test_a_replay_past_the_idempotency_record_still_creates_one(service: Service) -> None:
    """The notification id derives from the event id: even without the inbox record (say it
    was purged), a redelivered event neither duplicates the notice nor re-announces it."""
    owner = uid("sales")
    event = assigned(uid("c"), owner, uid("mgr"))
    await service.publish(event)
    await service.applied(event)
    db = service.app.state.runtime.db
    await db["inbox"].delete_one({"_id": f"{service.settings.service_name}:{event.id}"})
    outbox_before = await service.count("outbox", {"subject": event.subject})

    await service.publish(event)
    await service.applied(event)

    assert (await service.inbox(owner))["totalCount"] == 1
    assert await service.count("outbox", {"subject": event.subject}) == outbox_before == 1


async def test_inbox_is_newest_first_and_pages_with_cursors(service: Service) -> None:
    owner = uid("sales")
    ids = {await notify(service, owner, name=f"客户{i}") for i in range(3)}
    await asyncio.sleep(0)

    first = await service.inbox(owner, first=2)
    assert first["totalCount"] == 3
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    assert first["pageInfo"]["endCursor"] == first["edges"][-1]["cursor"]
    second = await service.inbox(owner, first=2, after=first["pageInfo"]["endCursor"])
    assert second["pageInfo"]["hasNextPage"] is False
    assert second["pageInfo"]["hasPreviousPage"] is True

    nodes = [e["node"] for e in first["edges"] + second["edges"]]
    assert {n["id"] for n in nodes} == ids and len(nodes) == 3
    created = [n["createdAt"] for n in nodes]
    assert created == sorted(created, reverse=True)


async def test_mark_read_changes_only_the_callers_own_notifications(service: Service) -> None:
    alice, bob = uid("alice"), uid("bob")
    a1, a2, a3 = [await notify(service, alice) for _ in range(3)]
    b1 = await notify(service, bob)

    async def mark(user: str, **variables: Any) -> dict[str, Any]:
        body = await service.query(MARK_READ, variables, sub=user, roles=("SALES",))
        assert "errors" not in body, body
        result: dict[str, Any] = body["data"]["markNotificationsRead"]
        return result

    assert await mark(alice, ids=[a1]) == {"changedCount": 1, "unreadCount": 2}
    assert await mark(alice, ids=[a1]) == {"changedCount": 0, "unreadCount": 2}
    # Bob cannot touch Alice's notifications, even knowing their ids.
    assert await mark(bob, ids=[a2, a3]) == {"changedCount": 0, "unreadCount": 1}
    assert (await service.inbox(alice))["unreadCount"] == 2
    # Alice's "all" leaves Bob's alone.
    assert await mark(alice, all=True) == {"changedCount": 2, "unreadCount": 0}
    assert (await service.inbox(bob))["unreadCount"] == 1

    unread = await service.inbox(alice, filter={"unreadOnly": True})
    assert unread["edges"] == [] and unread["totalCount"] == 0
    everything = await service.inbox(alice)
    assert all(e["node"]["read"] and e["node"]["readAt"] for e in everything["edges"])
    [bobs] = (await service.inbox(bob))["edges"]
    assert bobs["node"]["id"] == b1 and bobs["node"]["read"] is False


async def test_customer_notifications_through_entities(service: Service) -> None:
    manager, alice, bob = uid("mgr"), uid("alice"), uid("bob")
    customer, quiet = uid("c"), uid("c")
    for owner in (alice, bob):  # assigned to Alice, then reassigned to Bob
        event = assigned(customer, owner, manager)
        await service.publish(event)
        await service.applied(event)
    reps = [{"__typename": "Customer", "id": customer}, {"__typename": "Customer", "id": quiet}]

    async def entities(**who: Any) -> list[dict[str, Any]]:
        body = await service.query(ENTITIES, {"reps": reps}, **who)
        assert "errors" not in body, body
        result: list[dict[str, Any]] = body["data"]["_entities"]
        return result

    as_admin = await entities(sub=uid("admin"), roles=("ADMIN",))
    assert [e["id"] for e in as_admin] == [customer, quiet]
    assert as_admin[0]["notifications"]["totalCount"] == 2
    assert as_admin[0]["notifications"]["unreadCount"] == 2
    assert {e["node"]["recipientId"] for e in as_admin[0]["notifications"]["edges"]} == {
        alice,
        bob,
    }
    assert as_admin[1]["notifications"] == {
        "totalCount": 0,
        "unreadCount": 0,
        "pageInfo": {"hasNextPage": False},
        "edges": [],
    }
    as_manager = await entities(sub=uid("m"), roles=("MANAGER",))
    assert as_manager[0]["notifications"]["totalCount"] == 2

    as_alice = await entities(sub=alice, roles=("SALES",))
    assert [e["node"]["recipientId"] for e in as_alice[0]["notifications"]["edges"]] == [alice]
    assert as_alice[0]["notifications"]["totalCount"] == 1

    as_stranger = await entities(sub=uid("x"), roles=("SALES",))
    assert as_stranger[0]["notifications"]["totalCount"] == 0


async def test_entities_for_many_customers_cost_one_query_per_field(service: Service) -> None:
    owner = uid("sales")
    customers = [uid("c") for _ in range(50)]
    for customer in customers[:3]:
        await notify(service, owner, customer=customer)
    reps = [{"__typename": "Customer", "id": c} for c in customers]

    service.recorder.commands.clear()
    body = await service.query(ENTITIES, {"reps": reps, "first": 1}, sub=owner, roles=("SALES",))

    assert "errors" not in body, body
    result = body["data"]["_entities"]
    assert [e["id"] for e in result] == customers
    assert [e["notifications"]["totalCount"] for e in result] == [1, 1, 1] + [0] * 47
    assert [len(e["notifications"]["edges"]) for e in result] == [1, 1, 1] + [0] * 47
    # one aggregation for the pages, one each for totalCount and unreadCount; no finds
    assert service.recorder.on("notifications") == ["aggregate"] * 3


async def test_without_a_valid_token_nothing_is_readable(service: Service) -> None:
    reps = [{"__typename": "Customer", "id": "c-1"}]
    for query, variables in (
        (MY_NOTIFICATIONS, {}),
        (MARK_READ, {"all": True}),
        (ENTITIES, {"reps": reps}),
        ("{ unreadNotificationCount }", {}),
    ):
        body = await gql(service.http, service.graphql, query, variables, headers={})
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", body
        assert not (body.get("data") or {}).get("myNotifications")
    bad = {"Authorization": "Bearer not-a-jwt"}
    body = await gql(service.http, service.graphql, MY_NOTIFICATIONS, {}, headers=bad)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert body["data"] is None


async def test_bad_arguments_are_bad_user_input(service: Service) -> None:
    user = uid("sales")

    async def error_of(query: str, variables: dict[str, Any]) -> dict[str, Any]:
        body = await service.query(query, variables, sub=user, roles=("SALES",))
        extensions: dict[str, Any] = body["errors"][0]["extensions"]
        return extensions

    too_many = await error_of(MY_NOTIFICATIONS, {"first": 1000})
    assert too_many["code"] == "BAD_USER_INPUT"
    assert too_many["fieldErrors"][0]["field"] == "first"
    cursor = await error_of(MY_NOTIFICATIONS, {"after": "not-a-cursor"})
    assert cursor["fieldErrors"][0]["code"] == "INVALID_CURSOR"
    nothing = await error_of(MARK_READ, {})
    assert nothing["code"] == "BAD_USER_INPUT"
    assert nothing["fieldErrors"][0]["field"] == "ids"


async def test_unread_count_query_and_health(service: Service) -> None:
    owner = uid("sales")
    await notify(service, owner)
    body = await service.query("{ unreadNotificationCount }", sub=owner, roles=("SALES",))
    assert body == {"data": {"unreadNotificationCount": 1}}
    ready = await service.http.get(f"{service.url}/readyz")
    assert ready.status_code == 200
    checks = ready.json()["checks"]
    assert checks["mongodb"] is checks["rabbitmq"] is checks["workers"] is True
    assert all(checks.values()), checks  # and whatever else crm_kit probes


async def test_webhooks_are_admin_only_and_never_target_private_addresses(
    service: Service,
) -> None:
    """This service runs with the default settings: WEBHOOK_ALLOW_PRIVATE is off."""
    create = """mutation($url: String!) { createWebhookSubscription(
        input: {url: $url, eventTypes: ["customer.created.v1"]}) { secret } }"""
    as_sales = await service.query(
        create, {"url": "https://example.com/h"}, sub="s", roles=("SALES",)
    )
    assert as_sales["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for url in (
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.0.0.8/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
    ):
        body = await service.query(create, {"url": url}, sub=uid("admin"), roles=("ADMIN",))
        [error] = body["errors"]
        assert error["extensions"]["fieldErrors"][0]["code"] == "UNSAFE_URL", (url, body)
    log = "{ notificationDeliveries { totalCount } }"
    denied = await service.query(log, sub="s", roles=("MANAGER",))
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
