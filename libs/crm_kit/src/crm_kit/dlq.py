"""Dead letters of a service's event queue: the queues' depths, the parked messages with their
last error, and their replay (the one implementation behind `python -m crm_dev.dlq` and
`deploy/tools/replay_dead_letters.py`).

Looking takes messages without acknowledging them and hands them back, so every message stays
in the dead-letter queue. Replay moves parked messages one at a time into the service's work
queue `<service>.events` (through the default exchange, so only this service's consumer sees
them again), persistent and publisher-confirmed, with a fresh attempt count; a dead letter is
acknowledged only after the broker confirmed its copy, so a crash mid-way can duplicate a
message (consumers are idempotent) but never lose one. Messages not selected are handed back
to the dead-letter queue in their order. Queues are opened passively: nothing here declares or
changes them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import orjson
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue

from crm_kit.bus import CONTENT_TYPE
from crm_kit.consumer import ATTEMPT_HEADER, ERROR_HEADER
from crm_kit.topology import QueueNames

REPLAYED_HEADER = "x-crm-replayed"
REPLAYED_FROM_HEADER = "x-crm-replayed-from"
DEAD_LETTER_ERROR_HEADER = "x-crm-dead-letter-error"  # the last error, kept for the record
ORIGINAL_ROUTING_KEY_HEADER = "x-crm-original-routing-key"
BROKER_DEAD_LETTERED = "dead-lettered by the broker (delivery limit exceeded)"
TIMEOUT_S = 10


@dataclass(frozen=True, slots=True)
class QueueDepth:
    queue: str
    messages: int  # -1: the queue does not exist
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


@dataclass(slots=True)
class Replay:
    """What a replay moved back to the work queue and what it left in the dead-letter queue."""

    moved: list[ParkedMessage] = field(default_factory=list)
    left: list[ParkedMessage] = field(default_factory=list)


type Selection = Callable[[ParkedMessage], bool]


def by_ids(ids: Collection[str] | None) -> Selection:
    """Messages whose message id (the event id) is in `ids`; every message when None."""
    return lambda parked: ids is None or parked.message_id in ids


def by_type(event_type: str) -> Selection:
    """Messages of one CloudEvents type; every message when empty."""
    return lambda parked: not event_type or parked.type == event_type


def nothing(parked: ParkedMessage) -> bool:
    """Select no message (a dry run: see what would be replayed)."""
    return False


def _body(message: AbstractIncomingMessage) -> dict[str, Any]:
    try:
        doc = orjson.loads(message.body)
    except orjson.JSONDecodeError:
        return {}
    return doc if isinstance(doc, dict) else {}


def _parked(message: AbstractIncomingMessage) -> ParkedMessage:
    headers = dict(message.headers or {})
    body = _body(message)
    attempts = headers.get(ATTEMPT_HEADER)
    error = headers.get(ERROR_HEADER)
    if error is None and headers.get("x-death"):
        error = BROKER_DEAD_LETTERED
    return ParkedMessage(
        message_id=str(message.message_id or ""),
        type=str(message.type or body.get("type") or ""),
        subject=str(body.get("subject") or ""),
        attempts=attempts if isinstance(attempts, int) else None,
        last_error=str(error or ""),
        routing_key=str(headers.get(ORIGINAL_ROUTING_KEY_HEADER) or message.routing_key or ""),
        body=message.body,
    )


def _is_death_header(name: str) -> bool:
    return name == "x-death" or name.startswith(("x-first-death", "x-last-death"))


def _replayed_copy(message: AbstractIncomingMessage, source: str) -> aio_pika.Message:
    """The message as it goes back: attempt 1, the broker's death records dropped, the last
    error and the queue it came from kept for the record."""
    headers = {k: v for k, v in (message.headers or {}).items() if not _is_death_header(k)}
    headers[DEAD_LETTER_ERROR_HEADER] = headers.pop(ERROR_HEADER, "")
    headers[ATTEMPT_HEADER] = 1
    headers[REPLAYED_HEADER] = True
    headers[REPLAYED_FROM_HEADER] = source
    return aio_pika.Message(
        message.body,
        headers=headers,
        content_type=message.content_type or CONTENT_TYPE,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=message.message_id,
        type=message.type,
    )


async def _depth(channel: AbstractChannel, queue_name: str) -> QueueDepth:
    try:
        queue = await channel.declare_queue(queue_name, durable=True, passive=True)
    except aio_pika.exceptions.ChannelClosed:
        return QueueDepth(queue_name, -1, 0)
    declared = queue.declaration_result
    await channel.close()
    return QueueDepth(queue_name, declared.message_count or 0, declared.consumer_count or 0)


async def depths(url: str, service: str) -> list[QueueDepth]:
    """Depths of the service's work, retry and dead-letter queues."""
    names = QueueNames.for_consumer(service)
    connection = await aio_pika.connect(url, timeout=TIMEOUT_S)
    try:
        return [
            await _depth(await connection.channel(), name)
            for name in (names.main, names.retry, names.dead)
        ]
    finally:
        await connection.close()


async def _taken(queue: AbstractQueue, limit: int | None) -> list[AbstractIncomingMessage]:
    """Up to `limit` messages taken without acknowledgement (all of them when None)."""
    taken: list[AbstractIncomingMessage] = []
    while limit is None or len(taken) < limit:
        message = await queue.get(no_ack=False, fail=False)
        if message is None:
            break
        taken.append(message)
    return taken


async def peek(url: str, service: str, limit: int = 100) -> list[ParkedMessage]:
    """Up to `limit` parked messages with their last error, left in the queue."""
    names = QueueNames.for_consumer(service)
    connection = await aio_pika.connect(url, timeout=TIMEOUT_S)
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(names.dead, durable=True, passive=True)
        # closing the connection returns every taken message to the queue
        return [_parked(m) for m in await _taken(queue, limit)]
    finally:
        await connection.close()


async def replay_selected(
    url: str,
    service: str,
    select: Selection,
    *,
    look_at: int | None = None,
    at_most: int | None = None,
) -> Replay:
    """Move the selected parked messages back to the work queue: look at up to `look_at`
    messages (all when None), move up to `at_most` of them (no bound when None)."""
    names = QueueNames.for_consumer(service)
    result = Replay()
    connection = await aio_pika.connect(url, timeout=TIMEOUT_S)
    try:
        channel = await connection.channel(publisher_confirms=True)
        source = await channel.declare_queue(names.dead, durable=True, passive=True)
        await channel.declare_queue(names.main, durable=True, passive=True)  # must exist
        held: list[AbstractIncomingMessage] = []
        while at_most is None or len(result.moved) < at_most:
            if look_at is not None and len(result.moved) + len(held) >= look_at:
                break
            message = await source.get(no_ack=False, fail=False)
            if message is None:
                break
            parked = _parked(message)
            if not select(parked):
                held.append(message)
                result.left.append(parked)
                continue
            await channel.default_exchange.publish(
                _replayed_copy(message, names.dead), routing_key=names.main
            )  # confirmed by the broker before the dead letter goes
            await message.ack()
            result.moved.append(parked)
        for message in reversed(held):  # back in their order
            await message.nack(requeue=True)
        return result
    finally:
        await connection.close()


async def replay(
    url: str, service: str, ids: Collection[str] | None = None, limit: int = 1000
) -> list[ParkedMessage]:
    """Move parked messages (all, or those whose message id is in `ids`) back to the work
    queue, looking at up to `limit` of them; returns what was moved."""
    return (await replay_selected(url, service, by_ids(ids), look_at=limit)).moved
