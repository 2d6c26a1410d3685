"""At-least-once consumption with exactly-once effect.

Each event is applied inside a MongoDB transaction that also inserts an idempotency record
`_id = "<consumer>:<event id>"` into `inbox`; a redelivered event finds the record and is
acknowledged without being applied again. Failures (including exceeding the per-event time
limit) are retried through a TTL delay queue a bounded number of times, then parked in the
dead-letter queue. Queues are quorum queues with a delivery limit (see `crm_kit.topology`).

Shutdown: stop taking messages, let in-flight ones finish within a grace period, cancel the
rest (their transactions roll back) and close the channel, which returns every unacknowledged
message to the queue for the next consumer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue
from opentelemetry.trace import SpanKind

from crm_kit.bus import CONTENT_TYPE, EventBus
from crm_kit.events import CloudEvent, utcnow
from crm_kit.group_commit import GroupCommit, Waiting
from crm_kit.telemetry import span_from_traceparent
from crm_kit.topology import QueueKind, QueueNames, declare_consumer_queues
from crm_kit.uow import Transaction, UnitOfWork

_log = logging.getLogger(__name__)

INBOX_COLLECTION = "inbox"
ATTEMPT_HEADER = "x-crm-attempt"
ERROR_HEADER = "x-crm-last-error"

type EventHandler = Callable[[CloudEvent, Transaction], Awaitable[None]]
type EventFilter = Callable[[CloudEvent], bool]


@dataclass(frozen=True, slots=True)
class Intake:
    """Which events of its bound types a consumer applies, and how many per transaction.

    `accepts` (None: all): the others are acknowledged untouched, without a transaction —
    another queue of the service, an `EventLane`, applies them. `group_size` above 1: the
    events delivered together are applied up to that many in one transaction
    (`crm_kit.group_commit`); those of a failed group, one by one."""

    accepts: EventFilter | None = None
    group_size: int = 1


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
        delivery_limit: int = 0,
        shutdown_grace_seconds: float | None = None,
        concurrency: int = 8,
        intake: Intake = Intake(),
    ) -> None:
        """`concurrency`: events handled at once (of up to `prefetch` delivered). The time
        limit counts from when an event's handling starts, not while it waits for a slot: a
        backlog queued behind a slow database must not turn into time-outs, retries and, after
        `max_attempts`, good events in the dead-letter queue. `intake`: see `Intake`."""
        self.name = name
        self.queues = QueueNames.for_consumer(name)
        self._bus = bus
        self._uow = uow
        self._handlers = dict(handlers)
        self._accepts = intake.accepts
        self._prefetch = prefetch
        self._max_attempts = max_attempts
        self._retry_delay_ms = retry_delay_ms
        self._timeout = handler_timeout_seconds
        self._delivery_limit = delivery_limit or max(2 * max_attempts, 5)
        self._grace = (
            handler_timeout_seconds if shutdown_grace_seconds is None else (shutdown_grace_seconds)
        )
        self.queue_kinds: dict[str, QueueKind] = {}
        self.watch_interval = 5.0
        self.restarts_total = 0
        self._channel: AbstractChannel | None = None
        self._queue: AbstractQueue | None = None
        self._consumer_tag: str | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(max(1, min(concurrency, prefetch)))
        self._group: GroupCommit[EventHandler] | None = (
            GroupCommit(self._apply_group, intake.group_size) if intake.group_size > 1 else None
        )
        self.applied_total = 0
        self.duplicates_total = 0
        self.dead_lettered_total = 0
        self.retried_total = 0
        self.timeouts_total = 0

    async def start(self) -> None:
        channel = await self._bus.channel(self._prefetch)
        self._channel = channel
        exchange = await channel.get_exchange(self._bus.exchange_name, ensure=True)
        declared = await declare_consumer_queues(
            self._bus.url,
            channel,
            self.queues,
            delivery_limit=self._delivery_limit,
            retry_delay_ms=self._retry_delay_ms,
        )
        self.queue_kinds = {name: kind for name, (_q, kind) in declared.items()}
        queue, _kind = declared[self.queues.main]
        for routing_key in self._handlers:
            await queue.bind(exchange, routing_key=routing_key)
        self._queue = queue
        self._consumer_tag = await queue.consume(self._on_message)

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    @property
    def consuming(self) -> bool:
        return self._consumer_tag is not None and self._channel is not None

    async def check(self) -> bool:
        """False when our channel is gone: closed by the broker, or not restored after a
        reconnect of the robust connection."""
        channel = self._channel
        return channel is not None and not channel.is_closed

    async def watch(self, stop: asyncio.Event, connected: Callable[[], bool]) -> None:
        """Restart consumption when the broker connection is up but our consumer is not
        (a channel the robust connection failed to restore), so no manual restart is needed."""
        failures = 0
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.watch_interval)
            if stop.is_set() or not connected():
                failures = 0
                continue
            failures = 0 if await self.check() else failures + 1
            if failures < 2:
                continue
            _log.warning("consumer lost its channel; starting it again")
            self.restarts_total += 1
            try:
                await self.stop()
                await self.start()
                failures = 0
            except Exception as exc:
                _log.warning("consumer restart failed: %s", f"{type(exc).__name__}: {exc}"[:200])

    async def stop(self) -> None:
        """Stop taking messages, finish in-flight ones (up to the grace period), return the
        rest to the queue by closing the channel without acknowledging them."""
        if self._queue is not None and self._consumer_tag is not None:
            try:
                await self._queue.cancel(self._consumer_tag)
            except Exception:
                _log.debug("cancel consumer failed", exc_info=True)
        if self._in_flight:
            _, pending = await asyncio.wait(set(self._in_flight), timeout=self._grace)
            if pending:
                _log.warning(
                    "shutdown: returning unfinished messages to the queue",
                    extra={"fields": {"unfinished": len(pending)}},
                )
                for task in pending:
                    task.cancel()
                await asyncio.wait(pending, timeout=5)
        if self._channel is not None and not self._channel.is_closed:
            try:
                await self._channel.close()
            except Exception:
                _log.debug("closing the consumer channel failed", exc_info=True)
        self._queue = self._channel = None
        self._consumer_tag = None

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            await self._process(message)
        except asyncio.CancelledError:
            raise
        except Exception:
            # Typically the channel went away mid-way (broker restart): the message was not
            # acknowledged, so the broker delivers it again and the inbox absorbs the repeat.
            _log.warning("message handling interrupted; it will be redelivered", exc_info=True)
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
        if handler is None or (self._accepts is not None and not self._accepts(event)):
            await message.ack()
            return
        attempt = _attempt_of(message)
        with span_from_traceparent(
            f"consume {event.type}",
            event.traceparent,
            SpanKind.CONSUMER,
            {"messaging.system": "rabbitmq", "messaging.message.id": event.id},
        ):
            if self._group is not None and await self._group.apply(event, handler):
                await message.ack()
                return
            try:
                async with self._slots:
                    await asyncio.wait_for(self._apply(event, handler), timeout=self._timeout)
            except TimeoutError:
                self.timeouts_total += 1
                timeout = TimeoutError(f"handler exceeded its {self._timeout:g}s time limit")
                await self._retry_or_dead_letter(message, event, attempt, timeout)
                return
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

    async def _apply_group(self, group: Sequence[Waiting[EventHandler]]) -> None:
        """Every event of `group` not applied before, in one transaction (as `_apply`)."""
        inbox = self._uow.db[INBOX_COLLECTION]
        keyed = {f"{self.name}:{w.event.id}": w for w in group}

        async def work(tx: Transaction) -> int:
            cursor = inbox.find({"_id": {"$in": list(keyed)}}, {"_id": 1}, session=tx.session)
            seen = {str(d["_id"]) async for d in cursor}
            fresh = [(key, w) for key, w in keyed.items() if key not in seen]
            if fresh:
                await inbox.insert_many(
                    [{"_id": key, "type": w.event.type, "at": utcnow()} for key, w in fresh],
                    session=tx.session,
                )
            for _, waiting in fresh:
                await waiting.handler(waiting.event, tx)
            return len(fresh)

        applied = await asyncio.wait_for(self._uow.run(work), timeout=self._timeout)
        self.applied_total += applied
        self.duplicates_total += len(group) - applied

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
        self.retried_total += 1

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
