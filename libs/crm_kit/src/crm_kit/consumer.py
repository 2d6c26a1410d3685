"""At-least-once consumption with exactly-once effect.

Each event is applied inside a MongoDB transaction that also inserts an idempotency record
`_id = "<consumer>:<event id>"` into `inbox`; a redelivered event hits the duplicate `_id`
and is acknowledged without being applied again. Failures are retried through a delay
queue a bounded number of times, then parked in the dead-letter queue.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue
from opentelemetry.trace import SpanKind

from crm_kit.bus import CONTENT_TYPE, EventBus
from crm_kit.events import CloudEvent, utcnow
from crm_kit.telemetry import span_from_traceparent
from crm_kit.uow import Transaction, UnitOfWork

_log = logging.getLogger(__name__)

INBOX_COLLECTION = "inbox"
ATTEMPT_HEADER = "x-crm-attempt"
ERROR_HEADER = "x-crm-last-error"

type EventHandler = Callable[[CloudEvent, Transaction], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class QueueNames:
    main: str
    retry: str
    dead: str

    @classmethod
    def for_consumer(cls, name: str) -> QueueNames:
        return cls(main=f"{name}.events", retry=f"{name}.events.retry", dead=f"{name}.events.dlq")


def _attempt_of(message: AbstractIncomingMessage) -> int:
    raw = (message.headers or {}).get(ATTEMPT_HEADER, 1)
    return raw if isinstance(raw, int) and raw > 0 else 1


class EventConsumer:
    """Binds one durable queue per service to the routing keys it has handlers for."""

    def __init__(
        self,
        name: str,
        bus: EventBus,
        uow: UnitOfWork,
        handlers: Mapping[str, EventHandler],
        *,
        prefetch: int = 32,
        max_attempts: int = 5,
        retry_delay_ms: int = 1000,
        handler_timeout_seconds: float = 30.0,
    ) -> None:
        self.name = name
        self.queues = QueueNames.for_consumer(name)
        self._bus = bus
        self._uow = uow
        self._handlers = dict(handlers)
        self._prefetch = prefetch
        self._max_attempts = max_attempts
        self._retry_delay_ms = retry_delay_ms
        self._timeout = handler_timeout_seconds
        self._channel: AbstractChannel | None = None
        self._queue: AbstractQueue | None = None
        self._consumer_tag: str | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        self.applied_total = 0
        self.duplicates_total = 0
        self.dead_lettered_total = 0

    async def start(self) -> None:
        channel = await self._bus.channel(self._prefetch)
        self._channel = channel
        exchange = await channel.get_exchange(self._bus.exchange_name, ensure=True)
        await channel.declare_queue(self.queues.dead, durable=True)
        await channel.declare_queue(
            self.queues.retry,
            durable=True,
            arguments={
                "x-message-ttl": self._retry_delay_ms,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": self.queues.main,
            },
        )
        queue = await channel.declare_queue(
            self.queues.main,
            durable=True,
            arguments={
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": self.queues.dead,
            },
        )
        for routing_key in self._handlers:
            await queue.bind(exchange, routing_key=routing_key)
        self._queue = queue
        self._consumer_tag = await queue.consume(self._on_message)

    async def stop(self) -> None:
        """Stop taking messages, let in-flight ones finish, close the channel."""
        if self._queue is not None and self._consumer_tag is not None:
            try:
                await self._queue.cancel(self._consumer_tag)
            except Exception:
                _log.debug("cancel consumer failed", exc_info=True)
        if self._in_flight:
            await asyncio.wait(self._in_flight, timeout=self._timeout)
        if self._channel is not None and not self._channel.is_closed:
            await self._channel.close()
        self._queue = self._channel = None
        self._consumer_tag = None

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            await self._process(message)
        finally:
            if task is not None:
                self._in_flight.discard(task)

    async def _process(self, message: AbstractIncomingMessage) -> None:
        try:
            event = CloudEvent.from_json(message.body)
        except Exception as exc:
            await self._dead_letter(message, f"unparseable: {exc}")
            return
        handler = self._handlers.get(event.type)
        if handler is None:
            await message.ack()
            return
        attempt = _attempt_of(message)
        with span_from_traceparent(
            f"consume {event.type}",
            event.traceparent,
            SpanKind.CONSUMER,
            {"messaging.system": "rabbitmq", "messaging.message.id": event.id},
        ):
            try:
                await asyncio.wait_for(self._apply(event, handler), timeout=self._timeout)
            except Exception as exc:
                await self._retry_or_dead_letter(message, event, attempt, exc)
                return
        await message.ack()

    async def _apply(self, event: CloudEvent, handler: EventHandler) -> None:
        inbox = self._uow.db[INBOX_COLLECTION]
        key = f"{self.name}:{event.id}"

        async def work(tx: Transaction) -> bool:
            # Look before inserting: on MongoDB a duplicate-key error aborts the whole
            # transaction. Two concurrent deliveries both passing the check is harmless: the
            # second insert fails, its transaction rolls back, and the retry sees the record.
            if await inbox.find_one({"_id": key}, {"_id": 1}, session=tx.session):
                return False
            await inbox.insert_one(
                {"_id": key, "type": event.type, "at": utcnow()}, session=tx.session
            )
            await handler(event, tx)
            return True

        applied = await self._uow.run(work)
        if applied:
            self.applied_total += 1
        else:
            self.duplicates_total += 1

    async def _retry_or_dead_letter(
        self, message: AbstractIncomingMessage, event: CloudEvent, attempt: int, exc: Exception
    ) -> None:
        reason = f"{type(exc).__name__}: {str(exc)[:200]}"
        if attempt >= self._max_attempts:
            _log.error(
                "event dead-lettered",
                extra={"fields": {"event_id": event.id, "type": event.type, "attempts": attempt}},
            )
            await self._dead_letter(message, reason)
            return
        _log.warning(
            "event handling failed; will retry",
            extra={"fields": {"event_id": event.id, "type": event.type, "attempt": attempt}},
        )
        await self._republish(message, self.queues.retry, attempt + 1, reason)
        await message.ack()

    async def _dead_letter(self, message: AbstractIncomingMessage, reason: str) -> None:
        attempt = _attempt_of(message)
        await self._republish(message, self.queues.dead, attempt, reason)
        await message.ack()
        self.dead_lettered_total += 1

    async def _republish(
        self, message: AbstractIncomingMessage, queue: str, attempt: int, reason: str
    ) -> None:
        assert self._channel is not None
        headers = dict(message.headers or {})
        headers[ATTEMPT_HEADER] = attempt
        headers[ERROR_HEADER] = reason
        headers["x-crm-original-routing-key"] = message.routing_key or ""
        await self._channel.default_exchange.publish(
            aio_pika.Message(
                message.body,
                headers=headers,
                content_type=message.content_type or CONTENT_TYPE,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=message.message_id,
                type=message.type,
            ),
            routing_key=queue,
        )
