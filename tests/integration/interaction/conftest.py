"""One interaction service per test module, served over real HTTP against the embedded
MongoDB and the project-local RabbitMQ, its database commands recorded."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from pymongo import AsyncMongoClient

from crm_interaction.app import create_app
from crm_kit.bus import EventBus
from crm_kit.mongo import Document
from tests.integration.interaction.harness import CommandLog, Service
from tests.support import serve_app, service_settings, wait_ready


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def service(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Service]:
    settings = service_settings("interaction", mongodb_uri, amqp_url)
    commands = CommandLog()
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongodb_uri, tz_aware=True)
    bus = EventBus(amqp_url, settings.events_exchange)
    app = create_app(settings, mongo_listeners=[commands])
    try:
        async with serve_app(app, settings.port) as url, httpx.AsyncClient(timeout=30) as http:
            await wait_ready(url)  # the consumer is bound before anything is published
            await bus.connect()
            yield Service(
                url=url,
                app=app,
                settings=settings,
                db=client[settings.mongodb_database],
                commands=commands,
                bus=bus,
                http=http,
            )
    finally:
        await bus.close()
        await client.close()
