"""Two replicas of the interaction service on one database, with a clock the test controls,
and a queue capturing the events they publish."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import httpx
import orjson
from aio_pika.abc import AbstractIncomingMessage
from pymongo import AsyncMongoClient

from crm_interaction.app import create_app
from crm_kit.bus import EventBus
from crm_kit.mongo import Document
from tests.integration.interaction.harness import CommandLog, Service
from tests.support import serve_app, service_settings, wait_ready

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
    a: Service
    b_url: str
    clock: FakeClock
    captured: Captured

    async def settle(self, seconds: float = 0.5) -> None:
        """Let both schedulers poll several times and the relay publish."""
        await asyncio.sleep(seconds)


@asynccontextmanager
async def replicas(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Replicas]:
    settings = service_settings("interaction", mongodb_uri, amqp_url)
    clock = FakeClock()
    commands = CommandLog()
    captured = Captured()
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongodb_uri, tz_aware=True)
    bus = EventBus(amqp_url, settings.events_exchange)
    connection = await aio_pika.connect_robust(amqp_url)

    async def on_message(message: AbstractIncomingMessage) -> None:
        async with message.process():
            captured.events.append(orjson.loads(message.body))

    def app() -> Any:
        return create_app(
            settings,
            mongo_listeners=[commands],
            clock=clock,
            scheduler_poll_seconds=0.05,
            scheduler_lease_seconds=30,
        )

    try:
        async with AsyncExitStack() as stack:
            url_a = await stack.enter_async_context(serve_app(app_a := app(), settings.port))
            url_b = await stack.enter_async_context(serve_app(app()))
            await wait_ready(url_a)
            await wait_ready(url_b)
            channel = await connection.channel()
            exchange = await channel.get_exchange(settings.events_exchange)
            queue = await channel.declare_queue(exclusive=True, auto_delete=True)
            for key in ("ticket.#", "task.#", "purchase.#"):
                await queue.bind(exchange, routing_key=key)
            await queue.consume(on_message)
            await bus.connect()
            http = await stack.enter_async_context(httpx.AsyncClient(timeout=30))
            service = Service(
                url=url_a,
                app=app_a,
                settings=settings,
                db=client[settings.mongodb_database],
                commands=commands,
                bus=bus,
                http=http,
            )
            yield Replicas(service, url_b, clock, captured)
    finally:
        await connection.close()
        await bus.close()
        await client.close()
