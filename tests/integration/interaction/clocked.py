"""Two replicas of the interaction service on one database, with a clock the test controls,
and a queue capturing the events they publish."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import orjson
from aio_pika.abc import AbstractIncomingMessage

from crm_dev.ports import free_port
from tests.harness import serve_service
from tests.integration.interaction.harness import CommandLog, Service

# Monday 2026-11-23 09:00 in Asia/Shanghai: the start of a working day.
START = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


@dataclass
class FakeClock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Captured:
    """Every event (of the bound types) seen on the exchange, in arrival order."""

    events: list[dict[str, Any]] = field(default_factory=list)

    def of(self, type_: str, subject: str | None = None) -> list[dict[str, Any]]:
        return [
            e
            for e in self.events
            if e["type"] == type_ and (subject is None or e["subject"] == subject)
        ]


@dataclass
class Replicas:
    a: Service  # replica b serves the same database and exchange on another port
    clock: FakeClock
    captured: Captured

    async def settle(self, seconds: float = 0.5) -> None:
        """Let both schedulers poll several times and the relay publish."""
        await asyncio.sleep(seconds)


@asynccontextmanager
async def replicas(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Replicas]:
    clock = FakeClock()
    commands = CommandLog()
    captured = Captured()
    options: dict[str, Any] = {
        "clock": clock,
        "scheduler_poll_seconds": 0.05,
        "scheduler_lease_seconds": 30,
    }
    async with (
        serve_service(
            "interaction", mongodb_uri, amqp_url, mongo_listeners=[commands], **options
        ) as a,
        serve_service(
            "interaction",
            mongodb_uri,
            amqp_url,
            settings=a.settings,
            port=free_port(),
            mongo_listeners=[commands],
            **options,
        ),
        captured_events(amqp_url, a.exchange, captured),
    ):
        await a.bus.connect()
        yield Replicas(Service.of(a, commands=commands), clock, captured)


@asynccontextmanager
async def captured_events(amqp_url: str, exchange: str, captured: Captured) -> AsyncIterator[None]:
    """Every ticket, task and purchase event on `exchange`, parsed, into `captured`."""
    connection = await aio_pika.connect_robust(amqp_url)

    async def on_message(message: AbstractIncomingMessage) -> None:
        async with message.process():
            captured.events.append(orjson.loads(message.body))

    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        for key in ("ticket.#", "task.#", "purchase.#"):
            await queue.bind(await channel.get_exchange(exchange), routing_key=key)
        await queue.consume(on_message)
        yield
    finally:
        await connection.close()
