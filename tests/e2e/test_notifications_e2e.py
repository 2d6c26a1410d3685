"""Notifications through the gateway: a subscription client receives the notice of a customer
assignment within one second of the mutation that triggered it; an import or a bulk update
tells each new owner once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aio_pika
import orjson
import pytest
from aio_pika.abc import AbstractIncomingMessage

from tests.harness import SystemHandle, observer, serve_system
from tests.integration.notification.ws_client import subscribe
from tests.support import auth_headers, eventually, token, unique

pytestmark = pytest.mark.e2e

ADMIN = auth_headers(sub="alice", roles=("ADMIN",), team="east")


@pytest.fixture
async def system(mongodb_uri: str, amqp_url: str) -> AsyncIterator[SystemHandle]:
    async with serve_system(mongodb_uri, amqp_url) as system:
        yield system


async def test_subscription_through_the_gateway_within_a_second(system: SystemHandle) -> None:
    owner = unique("bob")
    created = await system.gql(
        'mutation { createCustomer(input: {kind: ENTERPRISE, name: "深圳前海微众"}) { id } }'
    )
    assert "errors" not in created, created
    customer_id = created["data"]["createCustomer"]["id"]
    url = f"{system.gateway}/graphql"
    event_seen: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    connection = await aio_pika.connect_robust(system.amqp_url)
    async with connection, subscribe(url, token(sub=owner, roles=("SALES",))) as live:
        # Observe the triggering event on the bus, as any other subscriber would.
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(system.exchange, "customer.assigned.v1")

        async def on_event(message: AbstractIncomingMessage) -> None:
            if not event_seen.done() and orjson.loads(message.body)["subject"] == customer_id:
                event_seen.set_result(time.monotonic())

        await queue.consume(on_event, no_ack=True)
        await asyncio.sleep(0.3)  # let the gateway open its upstream subscription
        assigned = await system.gql(
            'mutation($id: ID!, $o: ID!) { assignCustomer(id: $id, ownerId: $o, team: "east") '
            "{ ownerId } }",
            {"id": customer_id, "o": owner},
        )
        assert "errors" not in assigned, assigned
        payload = await asyncio.wait_for(live.next(), timeout=10)
        arrived = time.monotonic()
        elapsed = arrived - await asyncio.wait_for(event_seen, timeout=10)
    assert "errors" not in payload, payload
    node = payload["data"]["notificationReceived"]
    assert node["recipientId"] == owner and node["customerId"] == customer_id
    assert node["type"] == "CUSTOMER_ASSIGNED"
    assert node["title"] == "新客户分配给您：深圳前海微众"
    print(f"event-to-subscriber latency through the gateway: {elapsed:.3f}s")
    # A push, not a poll: it arrives while the socket is open. The 1 s target itself is measured
    # by bench/notification (p50/p95 over 1,000 events); a timed assertion here would only
    # measure how loaded the CI machine is.
    assert elapsed < 5.0, f"notification arrived {elapsed:.3f}s after the event"
    unread = await system.gql(
        "{ unreadNotificationCount }", headers=auth_headers(sub=owner, roles=("SALES",))
    )
    assert unread == {"data": {"unreadNotificationCount": 1}}


IMPORT = "mutation($f: Upload!) { importCustomers(file: $f) { id } }"
JOB = "query($id: ID!) { importJob(id: $id) { status created } }"
INBOX = """{ myNotifications(first: 10) { totalCount edges { node {
  type customerId title body link batch { kind id count } } } } }"""
LISTED = """query($o: ID!, $from: DateTime!) {
  customers(first: 50, filter: {ownerId: $o, created: {from: $from}},
    orderBy: {field: CREATED_AT, direction: ASC}) {
    edges { node { id } } } }"""
BULK = """mutation($ids: [ID!]!, $o: ID!) {
  bulkUpdateCustomers(ids: $ids, change: {ownerId: $o, team: "east"}) { succeeded } }"""


async def upload(system: SystemHandle, csv_text: str) -> str:
    operations = {"query": IMPORT, "variables": {"f": None}}
    response = await system.http.post(
        system.graphql,
        data={"operations": orjson.dumps(operations).decode(), "map": '{"0":["variables.f"]}'},
        files={"0": ("customers.csv", csv_text.encode(), "text/csv")},
        headers=ADMIN,
    )
    body = response.json()
    assert "errors" not in body, body
    return str(body["data"]["importCustomers"]["id"])


async def collapsed_notice(system: SystemHandle, user: str, count: int) -> dict[str, Any]:
    """`user`'s only notice once it counts `count` changes."""
    me = auth_headers(sub=user, roles=("SALES",))

    async def counted() -> dict[str, Any] | None:
        page = (await system.ok(INBOX, headers=me))["myNotifications"]
        nodes = [e["node"] for e in page["edges"]]
        done = nodes and nodes[0]["batch"] and nodes[0]["batch"]["count"] >= count
        return page if done else None

    page = await eventually(counted, timeout=90)
    assert page["totalCount"] == 1, page
    node: dict[str, Any] = page["edges"][0]["node"]
    return node


async def test_an_import_and_a_bulk_update_each_tell_the_new_owner_once(
    mongodb_uri: str, amqp_url: str
) -> None:
    owner, successor, rows = unique("bob"), unique("carol"), 12
    csv_text = "Kind,Name,Phones,Owner,Team\n" + "".join(
        f"INDIVIDUAL,导入客户{i},1390013{1000 + i},{owner},east\n" for i in range(rows)
    )
    chunks = {"CUSTOMER_IMPORT_BATCH_ROWS": "5"}  # three transactions of the import
    async with (
        serve_system(mongodb_uri, amqp_url, ("customer", "notification"), env=chunks) as system,
        observer(system.amqp_url, system.exchange, "customer.assigned.v1") as assigned_events,
    ):
        job = await upload(system, csv_text)
        node = await collapsed_notice(system, owner, rows)
        assert (await system.one(JOB, {"id": job})) == {"status": "COMPLETED", "created": rows}
        assert node["type"] == "CUSTOMERS_ASSIGNED" and node["customerId"] is None
        assert node["batch"] == {"kind": "IMPORT", "id": job, "count": rows}
        assert node["title"] == f"{rows} 位客户已通过导入分配给您"
        # subscribers such as an ERP still get one event per customer, each naming the import
        ours = [e for e in assigned_events if e["data"]["ownerId"] == owner]
        assert len(ours) == rows and {e["data"]["batch"]["id"] for e in ours} == {job}
        # the link's filter lists exactly the imported customers
        link = parse_qs(urlsplit(node["link"]).query)
        assert link["ownerId"] == [owner] and link["orderBy.field"] == ["CREATED_AT"]
        assert link["orderBy.direction"] == ["ASC"]
        listed = await system.one(LISTED, {"o": owner, "from": link["created.from"][0]})
        imported = {e["subject"] for e in ours}
        assert {e["node"]["id"] for e in listed["edges"]} == imported

        moved = sorted(imported)[:3]
        assert (await system.one(BULK, {"ids": moved, "o": successor}))["succeeded"] == 3
        node = await collapsed_notice(system, successor, 3)
        assert node["batch"]["kind"] == "BULK_UPDATE" and node["batch"]["count"] == 3
        assert node["title"] == "3 位客户已通过批量修改分配给您"


TASK = """mutation($c: ID!, $due: DateTime!, $who: String!) {
  createTask(input: {customerId: $c, title: "回访：确认报价", dueAt: $due, assigneeId: $who,
                     urgency: HIGH, reminderOffsets: [0]}) { id } }"""
DELIVERIES = """query($who: String!) { notificationDeliveries(filter: {target: $who}, first: 20) {
  edges { node { channel status } } } }"""


async def test_a_task_reminder_names_the_task_and_plans_no_mail_without_an_address(
    system: SystemHandle,
) -> None:
    assignee = unique("dan")  # has never set an e-mail address
    created = await system.ok(
        'mutation { createCustomer(input: {kind: ENTERPRISE, name: "云帆"}) { id } }'
    )
    customer_id = created["createCustomer"]["id"]
    due = datetime.now(UTC) + timedelta(seconds=3)

    async def task_created() -> bool:  # once interaction knows the customer (its projection)
        body = await system.gql(TASK, {"c": customer_id, "due": due.isoformat(), "who": assignee})
        return "errors" not in body

    await eventually(task_created, timeout=30)
    me = auth_headers(sub=assignee, roles=("SALES",))

    async def reminded() -> dict[str, Any] | None:
        page = (await system.ok(INBOX, headers=me))["myNotifications"]
        nodes = [e["node"] for e in page["edges"] if e["node"]["type"] == "TASK_DUE"]
        return nodes[0] if nodes else None

    node = await eventually(reminded, timeout=60)
    assert node["title"] == "任务到期提醒：回访：确认报价"
    assert node["body"].startswith("您负责的任务「回访：确认报价」（紧急程度：高）将于")
    # TASK_DUE goes in-app and by e-mail; without an address no e-mail is even planned
    deliveries = await system.one(DELIVERIES, {"who": assignee})
    assert deliveries["edges"] == []
