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

    def __init__(
        self, url: str, exchange: str = "crm.events", *, publish_timeout: float = 10.0
    ) -> None:
        self.url = url
        self.exchange_name = exchange
        self.publish_timeout = publish_timeout
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._lock = asyncio.Lock()

    @property
    def connected(self) -> bool:
        """True while the connection is up (False during a robust reconnect)."""
        connection = self._connection
        return connection is not None and not connection.is_closed and connection.connected.is_set()

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

    async def _publisher(self) -> AbstractExchange:
        """The exchange on a live confirmed channel; a channel that died (and was not restored
        by the robust connection) is replaced by a new one."""
        if self._connection is None:
            await self.connect()
        async with self._lock:
            assert self._connection is not None
            channel = self._channel
            if self._exchange is None or channel is None or channel.is_closed:
                if not self.connected:
                    raise ConnectionError("not connected to the broker")
                self._channel = await self._connection.channel(publisher_confirms=True)
                self._exchange = await declare_topology(self._channel, self.exchange_name)
            return self._exchange

    def _drop_publisher(self) -> None:
        channel, self._channel, self._exchange = self._channel, None, None
        if channel is not None and not channel.is_closed:
            task = asyncio.ensure_future(channel.close())
            task.add_done_callback(lambda t: t.cancelled() or t.exception())

    async def publish_raw(
        self, body: bytes, routing_key: str, message_id: str, event_type: str
    ) -> None:
        """Publish with a broker confirm; raises when not confirmed within `publish_timeout`
        (also while the connection is being re-established)."""
        try:
            async with asyncio.timeout(self.publish_timeout):
                exchange = await self._publisher()
                await self._publish(exchange, body, routing_key, message_id, event_type)
        except Exception:
            if self.connected:
                # the connection is fine, so the channel is not: start over with a new one
                self._drop_publisher()
            raise

    async def _publish(
        self,
        exchange: AbstractExchange,
        body: bytes,
        routing_key: str,
        message_id: str,
        event_type: str,
    ) -> None:
        message = aio_pika.Message(
            body,
            content_type=CONTENT_TYPE,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=message_id,
            type=event_type,
        )
        # mandatory + an alternate exchange: an event nobody subscribes to is parked in
        # `<exchange>.unrouted` instead of vanishing.
        await exchange.publish(message, routing_key=routing_key, mandatory=True)

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
