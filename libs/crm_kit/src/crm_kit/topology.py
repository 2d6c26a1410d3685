"""Consumer queue topology of one service.

- `<name>.events`: the work queue, a quorum queue with an explicit `x-delivery-limit` (RabbitMQ
  3.10 has no default): a message redelivered more often than that — e.g. one that crashes
  the consumer process each time — is dead-lettered by the broker through the service's
  dead-letter exchange `<name>.events.dlx` (at-least-once dead-lettering).
- `<name>.events.retry`: delayed retries; a TTL queue dead-lettering back into the work queue.
- `<name>.events.dlq`: parked messages, bound to `<name>.events.dlx`.

Queues declared by earlier versions (classic queues with other arguments) make a declaration
with new arguments fail with PRECONDITION_FAILED. Each queue is therefore probed on a throwaway
connection first: a queue that exists with other arguments is used as it is (declared
passively) and a warning explains how to migrate it; a broker without quorum queues gets
classic queues.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractQueue
from aiormq.exceptions import ChannelClosed, ChannelPreconditionFailed

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class QueueNames:
    main: str
    retry: str
    dead: str
    dlx: str = ""

    @classmethod
    def for_consumer(cls, name: str) -> QueueNames:
        return cls(
            main=f"{name}.events",
            retry=f"{name}.events.retry",
            dead=f"{name}.events.dlq",
            dlx=f"{name}.events.dlx",
        )


class QueueKind(StrEnum):
    QUORUM = "quorum"
    CLASSIC = "classic"  # the broker has no quorum queues
    EXISTING = "existing"  # declared earlier with other arguments; used as it is


@dataclass(frozen=True, slots=True)
class QueuePlan:
    name: str
    quorum: dict[str, Any]
    classic: dict[str, Any]


def plans(names: QueueNames, *, delivery_limit: int, retry_delay_ms: int) -> list[QueuePlan]:
    at_least_once = {"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}
    return [
        QueuePlan(names.dead, {"x-queue-type": "quorum"}, {}),
        QueuePlan(
            names.retry,
            {
                "x-queue-type": "quorum",
                "x-message-ttl": retry_delay_ms,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": names.main,
                **at_least_once,
            },
            {
                "x-message-ttl": retry_delay_ms,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": names.main,
            },
        ),
        QueuePlan(
            names.main,
            {
                "x-queue-type": "quorum",
                "x-delivery-limit": delivery_limit,
                "x-dead-letter-exchange": names.dlx,
                "x-dead-letter-routing-key": names.dead,
                **at_least_once,
            },
            {"x-dead-letter-exchange": names.dlx, "x-dead-letter-routing-key": names.dead},
        ),
    ]


async def probe(connection: AbstractConnection, plan: QueuePlan) -> QueueKind:
    """Declare the quorum form on a throwaway channel of a throwaway connection and see what
    the broker says (a refusal closes the channel, never the service's own)."""
    channel = await connection.channel()
    try:
        await channel.declare_queue(plan.name, durable=True, arguments=plan.quorum)
        return QueueKind.QUORUM
    except ChannelPreconditionFailed:
        pass
    except ChannelClosed as exc:
        _log.warning(
            "broker refused a quorum queue; using a classic queue",
            extra={"fields": {"queue": plan.name, "error": str(exc)[:200]}},
        )
        return QueueKind.CLASSIC
    finally:
        await _close(channel)
    # PRECONDITION_FAILED: the queue exists with other arguments. If it is absent after
    # all (a race), a classic declaration with the legacy arguments tells the same.
    channel = await connection.channel()
    try:
        await channel.declare_queue(plan.name, durable=True, passive=True)
    finally:
        await _close(channel)
    _log.warning(
        "queue exists with other arguments (an earlier classic queue?); using it as it is. "
        "To move to a quorum queue, stop the service, let `python -m crm_dev.dlq list` show "
        "it empty, delete the queue (rabbitmqctl delete_queue) and start again",
        extra={"fields": {"queue": plan.name}},
    )
    return QueueKind.EXISTING


async def _close(channel: AbstractChannel) -> None:
    """A probe channel may already be closed by the broker's refusal."""
    if not channel.is_closed:
        with contextlib.suppress(Exception):
            await channel.close()


async def declare(channel: AbstractChannel, plan: QueuePlan, kind: QueueKind) -> AbstractQueue:
    if kind is QueueKind.EXISTING:
        return await channel.declare_queue(plan.name, durable=True, passive=True)
    arguments = plan.quorum if kind is QueueKind.QUORUM else plan.classic
    return await channel.declare_queue(plan.name, durable=True, arguments=arguments)


async def declare_consumer_queues(
    url: str,
    channel: AbstractChannel,
    names: QueueNames,
    *,
    delivery_limit: int,
    retry_delay_ms: int,
) -> dict[str, tuple[AbstractQueue, QueueKind]]:
    """Declare the dead-letter exchange and the three queues; returns them by name."""
    dlx = await channel.declare_exchange(names.dlx, aio_pika.ExchangeType.DIRECT, durable=True)
    declared: dict[str, tuple[AbstractQueue, QueueKind]] = {}
    probing = await aio_pika.connect(url, timeout=5)  # one throwaway connection for all three
    try:
        for plan in plans(names, delivery_limit=delivery_limit, retry_delay_ms=retry_delay_ms):
            kind = await probe(probing, plan)
            declared[plan.name] = (await declare(channel, plan, kind), kind)
    finally:
        await probing.close()
    dead_queue, _ = declared[names.dead]
    await dead_queue.bind(dlx, routing_key=names.dead)
    return declared
