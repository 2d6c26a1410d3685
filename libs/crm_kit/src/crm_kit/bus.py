"""RabbitMQ connection, topology and confirmed publishing on the `crm.events` exchange."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractRobustConnection,
)

from crm_kit.events import CloudEvent

_log = logging.getLogger(__name__)
CONTENT_TYPE = "application/cloudevents+json"


def unrouted_name(exchange: str) -> str:
    return f"{exchange}.unrouted"


class EventBus:
    """One robust connection per process; a confirmed channel for publishing."""

    def __init__(self, url: str, exchange: str = "crm.events") -> None:
        self.url = url
        self.exchange_name = exchange
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._lock = asyncio.Lock()

    @property
    def connected(self) -> bool:
        return self._connection is not None and not self._connection.is_closed

    async def connect(self) -> None:
        async with self._lock:
            if self._connection is None:
                self._connection = await aio_pika.connect_robust(
                    self.url, timeout=5, reconnect_interval=1
                )
                self._channel = await self._connection.channel(publisher_confirms=True)
                self._exchange = await declare_topology(self._channel, self.exchange_name)

    async def channel(self, prefetch: int) -> AbstractChannel:
        if self._connection is None:
            await self.connect()
        assert self._connection is not None
        channel = await self._connection.channel(publisher_confirms=True)
        await channel.set_qos(prefetch_count=prefetch)
        return channel

    async def publish(self, event: CloudEvent) -> None:
        await self.publish_raw(event.to_json(), event.type, event.id, event.type)

    async def publish_raw(
        self, body: bytes, routing_key: str, message_id: str, event_type: str
    ) -> None:
        if self._exchange is None:
            await self.connect()
        assert self._exchange is not None
        message = aio_pika.Message(
            body,
            content_type=CONTENT_TYPE,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=message_id,
            type=event_type,
        )
        # mandatory + an alternate exchange: an event nobody subscribes to is parked in
        # `<exchange>.unrouted` instead of vanishing.
        await self._exchange.publish(message, routing_key=routing_key, mandatory=True, timeout=10)

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
        self._connection = self._channel = None
        self._exchange = None


async def declare_topology(channel: AbstractChannel, exchange: str) -> AbstractExchange:
    unrouted = unrouted_name(exchange)
    alt = await channel.declare_exchange(unrouted, aio_pika.ExchangeType.FANOUT, durable=True)
    queue = await channel.declare_queue(
        unrouted, durable=True, arguments={"x-max-length": 100_000, "x-overflow": "drop-head"}
    )
    await queue.bind(alt)
    arguments: dict[str, Any] = {"alternate-exchange": unrouted}
    return await channel.declare_exchange(
        exchange, aio_pika.ExchangeType.TOPIC, durable=True, arguments=arguments
    )
