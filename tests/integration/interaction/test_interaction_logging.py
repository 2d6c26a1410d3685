"""logInteraction over HTTP: validation, auth, unknown customers, idempotency, the event."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import orjson
import pytest
import pytest_asyncio
from aio_pika.abc import AbstractQueue

from tests.integration.interaction.harness import Service
from tests.support import auth_headers, error_code, eventually

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

LOG = """
mutation Log($input: LogInteractionInput!) {
  logInteraction(input: $input) {
    id customerId channel direction subject content occurredAt durationSeconds loggedBy createdAt
  }
}
"""
GET = "query Get($id: ID!) { interaction(id: $id) { id content customerId } }"


def payload(customer_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "input": {
            "customerId": customer_id,
            "channel": "WECHAT",
            "direction": "INBOUND",
            "subject": "续约咨询",
            "content": "客户询问明年的续约价格。",
            "durationSeconds": 300,
            **overrides,
        }
    }


@pytest_asyncio.fixture(loop_scope="session")
async def logged_events(service: Service, amqp_url: str) -> AsyncIterator[AbstractQueue]:
    """A temporary queue bound to `crm.events` for interaction.logged.v1."""
    connection = await aio_pika.connect_robust(amqp_url)
    channel = await connection.channel()
    exchange = await channel.get_exchange(service.settings.events_exchange)
    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
    await queue.bind(exchange, routing_key="interaction.logged.v1")
    try:
        yield queue
    finally:
        await connection.close()


async def test_log_interaction_stores_returns_and_publishes(
    service: Service, logged_events: AbstractQueue
) -> None:
    customer_id = await service.new_customer()
    occurred = (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=250000)
    body = await service.query(
        LOG,
        payload(customer_id, occurredAt=occurred.isoformat()),
        headers=auth_headers(sub="carol", roles=("SERVICE",)),  # SALES: own customers only
    )
    assert "errors" not in body, body
    logged = body["data"]["logInteraction"]
    assert logged["customerId"] == customer_id
    assert (logged["channel"], logged["direction"], logged["loggedBy"]) == (
        "WECHAT",
        "INBOUND",
        "carol",
    )
    assert datetime.fromisoformat(logged["occurredAt"]) == occurred
    assert len(logged["id"]) == 32 and not logged["id"].isdigit()

    fetched = await service.query(GET, {"id": logged["id"]})
    assert fetched["data"]["interaction"]["content"] == "客户询问明年的续约价格。"

    async def next_event() -> dict[str, Any] | None:
        message = await logged_events.get(no_ack=True, fail=False)
        if message is None:
            return None
        envelope: dict[str, Any] = orjson.loads(message.body)
        return envelope if envelope["data"]["interaction"]["id"] == logged["id"] else None

    envelope = await eventually(next_event)
    assert envelope["type"] == "interaction.logged.v1"
    assert envelope["subject"] == customer_id
    assert envelope["source"] == f"crm/{service.settings.service_name}"
    assert envelope["data"]["interaction"]["channel"] == "WECHAT"
    assert envelope["data"]["interaction"]["occurredAt"] == occurred.isoformat(
        timespec="milliseconds"
    ).replace("+00:00", "Z")
    assert "content" not in envelope["data"]["interaction"]
    assert "续约价格" not in message_text(envelope)


def message_text(envelope: dict[str, Any]) -> str:
    return orjson.dumps(envelope).decode()


async def test_log_right_after_customer_creation_waits_for_the_projection(
    service: Service,
) -> None:
    customer_id = uuid.uuid4().hex
    await service.publish_customer("customer.created.v1", customer_id, 1)
    body = await service.query(LOG, payload(customer_id))  # no wait for the projection
    assert "errors" not in body, body
    assert body["data"]["logInteraction"]["customerId"] == customer_id


async def test_invalid_input_is_bad_user_input_with_field_errors(service: Service) -> None:
    customer_id = await service.new_customer()
    future = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    body = await service.query(
        LOG,
        payload(
            customer_id,
            content="x" * 10_001,
            subject="s" * 201,
            occurredAt=future,
            durationSeconds=-1,
        ),
    )
    assert error_code(body) == "BAD_USER_INPUT"
    fields = {e["field"]: e["code"] for e in body["errors"][0]["extensions"]["fieldErrors"]}
    assert fields == {
        "content": "TOO_LONG",
        "subject": "TOO_LONG",
        "occurredAt": "IN_FUTURE",
        "durationSeconds": "OUT_OF_RANGE",
    }
    assert await service.db["interactions"].count_documents({"customerId": customer_id}) == 0


@pytest.mark.parametrize("bad", [{"channel": "FAX"}, {"occurredAt": "yesterday"}])
async def test_uncoercible_variables_are_bad_user_input(
    service: Service, bad: dict[str, str]
) -> None:
    body = await service.query(LOG, payload("whatever", **bad))
    assert error_code(body) == "BAD_USER_INPUT"


async def test_an_inline_invalid_enum_is_bad_user_input(service: Service) -> None:
    body = await service.query(
        'mutation { logInteraction(input: {customerId: "x", channel: FAX, '
        'direction: INBOUND, content: "c"}) { id } }'
    )
    assert error_code(body) == "BAD_USER_INPUT"


async def test_unknown_customer_is_not_found_after_a_bounded_wait(service: Service) -> None:
    started = time.monotonic()
    body = await service.query(LOG, payload(uuid.uuid4().hex))
    elapsed = time.monotonic() - started
    assert error_code(body) == "NOT_FOUND"
    assert 1.5 <= elapsed < 5


async def test_unknown_interaction_is_not_found(service: Service) -> None:
    body = await service.query(GET, {"id": uuid.uuid4().hex})
    assert error_code(body) == "NOT_FOUND"
    assert body["data"] == {"interaction": None}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-jwt"}, {"Authorization": "Basic YWxpY2U6eA=="}],
)
async def test_missing_or_invalid_token_is_unauthenticated(
    service: Service, headers: dict[str, str]
) -> None:
    customer_id = await service.new_customer()
    body = await service.query(LOG, payload(customer_id), headers=headers)
    assert error_code(body) == "UNAUTHENTICATED"
    assert await service.db["interactions"].count_documents({"customerId": customer_id}) == 0


async def test_analyst_may_read_but_not_log(service: Service) -> None:
    customer_id = await service.new_customer()
    analyst = auth_headers(sub="ana", roles=("ANALYST",))
    body = await service.query(LOG, payload(customer_id), headers=analyst)
    assert error_code(body) == "FORBIDDEN"
    logged = await service.query(LOG, payload(customer_id))
    read = await service.query(GET, {"id": logged["data"]["logInteraction"]["id"]}, analyst)
    assert error_code(read) == "FORBIDDEN"  # no personal details for ANALYST


async def test_same_idempotency_key_returns_the_first_interaction(service: Service) -> None:
    customer_id = await service.new_customer()
    request = payload(customer_id, idempotencyKey="retry-7f3a")
    first, second = await asyncio.gather(service.query(LOG, request), service.query(LOG, request))
    third = await service.query(LOG, request)
    ids = {b["data"]["logInteraction"]["id"] for b in (first, second, third)}
    assert len(ids) == 1, (first, second, third)
    assert await service.db["interactions"].count_documents({"customerId": customer_id}) == 1

    other_caller = await service.query(LOG, request, headers=auth_headers(sub="dave"))
    assert other_caller["data"]["logInteraction"]["id"] not in ids

    changed = await service.query(
        LOG, payload(customer_id, idempotencyKey="retry-7f3a", content="different")
    )
    assert error_code(changed) == "CONFLICT"
    assert changed["errors"][0]["extensions"]["conflictingId"] in ids
    assert await service.db["interactions"].count_documents({"customerId": customer_id}) == 2
