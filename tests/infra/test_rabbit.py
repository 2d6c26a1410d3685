"""The project-local RabbitMQ node: start time, stop/start, kill/start, durable data."""

from __future__ import annotations

import time

import aio_pika
import pytest

from crm_dev.testing import Broker

MAX_START_SECONDS = 15.0


def _embedded(broker: Broker) -> Broker:
    if broker.node is None:
        pytest.skip("AMQP_URL points at an external broker")
    return broker


async def _roundtrip(url: str, queue_name: str, body: bytes | None) -> bytes | None:
    """Declare a durable queue, optionally publish a persistent message, then get one."""
    connection = await aio_pika.connect_robust(url, timeout=10)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, durable=True)
        if body is not None:
            message = aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
            await channel.default_exchange.publish(message, routing_key=queue_name)
            return None
        got = await queue.get(timeout=5, fail=False)
        if got is None:
            return None
        await got.ack()
        return got.body


def test_broker_starts_quickly(broker: Broker) -> None:
    broker = _embedded(broker)
    print(f"broker start: {broker.start_seconds:.1f}s")
    assert broker.start_seconds < MAX_START_SECONDS


async def test_stop_and_start_keeps_durable_messages(broker: Broker) -> None:
    broker = _embedded(broker)
    await _roundtrip(broker.url, "infra.durable", b"survives a restart")
    broker.stop()
    assert not broker.running
    with pytest.raises(aio_pika.exceptions.AMQPConnectionError):
        await aio_pika.connect(broker.url, timeout=3)
    began = time.monotonic()
    broker.start()
    print(f"broker restart: {time.monotonic() - began:.1f}s")
    assert await _roundtrip(broker.url, "infra.durable", None) == b"survives a restart"


async def test_kill_then_start(broker: Broker) -> None:
    broker = _embedded(broker)
    broker.kill()
    assert not broker.running
    broker.start()
    assert await _roundtrip(broker.url, "infra.after-kill", b"x") is None
    assert await _roundtrip(broker.url, "infra.after-kill", None) == b"x"


def test_amqp_url_is_the_broker_url(amqp_url: str, broker: Broker) -> None:
    assert amqp_url == broker.url
    assert amqp_url.startswith("amqp://")
