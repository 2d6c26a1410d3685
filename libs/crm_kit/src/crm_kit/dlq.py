"""Dead-letter queue inspection and replay (used by `python -m crm_dev.dlq`).

Inspection takes messages without acknowledging them and closes the channel, so every
message returns to the queue. Replay republishes a parked message into the service's work
queue with a fresh attempt count (publisher-confirmed) and only then removes it from the DLQ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aio_pika
import orjson
from aio_pika.abc import AbstractIncomingMessage

from crm_kit.bus import CONTENT_TYPE
from crm_kit.consumer import ATTEMPT_HEADER, ERROR_HEADER
from crm_kit.topology import QueueNames


@dataclass(frozen=True, slots=True)
class QueueDepth:
    queue: str
    messages: int
    consumers: int


@dataclass(frozen=True, slots=True)
class ParkedMessage:
    message_id: str
    type: str
    subject: str
    attempts: int | None
    last_error: str
    routing_key: str
    body: bytes

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.message_id,
            "type": self.type,
            "subject": self.subject,
            "attempts": self.attempts,
            "lastError": self.last_error,
            "originalRoutingKey": self.routing_key,
        }


def _parked(message: AbstractIncomingMessage) -> ParkedMessage:
    headers = dict(message.headers or {})
    subject = ""
    try:
        doc = orjson.loads(message.body)
        if isinstance(doc, dict):
            subject = str(doc.get("subject") or "")
    except orjson.JSONDecodeError:
        pass
    attempts = headers.get(ATTEMPT_HEADER)
    error = headers.get(ERROR_HEADER)
    if error is None and headers.get("x-death"):
        error = "dead-lettered by the broker (delivery limit exceeded)"
    return ParkedMessage(
        message_id=str(message.message_id or ""),
        type=str(message.type or ""),
        subject=subject,
        attempts=attempts if isinstance(attempts, int) else None,
        last_error=str(error or ""),
        routing_key=str(headers.get("x-crm-original-routing-key") or message.routing_key or ""),
        body=message.body,
    )


async def depths(url: str, service: str) -> list[QueueDepth]:
    names = QueueNames.for_consumer(service)
    connection = await aio_pika.connect(url, timeout=10)
    try:
        result = []
        for queue_name in (names.main, names.retry, names.dead):
            channel = await connection.channel()
            try:
                queue = await channel.declare_queue(queue_name, durable=True, passive=True)
            except aio_pika.exceptions.ChannelClosed:
                result.append(QueueDepth(queue_name, -1, 0))
                continue
            declared = queue.declaration_result
            result.append(
                QueueDepth(queue_name, declared.message_count or 0, declared.consumer_count or 0)
            )
            await channel.close()
        return result
    finally:
        await connection.close()


async def peek(url: str, service: str, limit: int = 100) -> list[ParkedMessage]:
    """Up to `limit` parked messages, left in the queue."""
    names = QueueNames.for_consumer(service)
    connection = await aio_pika.connect(url, timeout=10)
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(names.dead, durable=True, passive=True)
        found: list[ParkedMessage] = []
        while len(found) < limit:
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                break
            found.append(_parked(message))
        return found  # closing the channel returns every taken message to the queue
    finally:
        await connection.close()


async def replay(
    url: str, service: str, ids: set[str] | None = None, limit: int = 1000
) -> list[ParkedMessage]:
    """Move parked messages (all, or those whose message id is in `ids`) back to the work
    queue; returns what was moved."""
    names = QueueNames.for_consumer(service)
    connection = await aio_pika.connect(url, timeout=10)
    moved: list[ParkedMessage] = []
    try:
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.declare_queue(names.dead, durable=True, passive=True)
        seen = 0
        while seen < limit:
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                break
            seen += 1
            parked = _parked(message)
            if ids is not None and parked.message_id not in ids:
                continue  # left unacknowledged: returns to the DLQ when the channel closes
            headers = {
                k: v
                for k, v in (message.headers or {}).items()
                if k not in (ATTEMPT_HEADER, "x-death", "x-first-death-queue")
                and not k.startswith("x-first-death")
                and not k.startswith("x-last-death")
            }
            headers[ATTEMPT_HEADER] = 1
            headers["x-crm-replayed"] = True
            await channel.default_exchange.publish(
                aio_pika.Message(
                    message.body,
                    headers=headers,
                    content_type=message.content_type or CONTENT_TYPE,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    message_id=message.message_id,
                    type=message.type,
                ),
                routing_key=names.main,
            )
            await message.ack()
            moved.append(parked)
        return moved
    finally:
        await connection.close()
