"""One interaction service per test module, served over real HTTP against the embedded
MongoDB and the project-local RabbitMQ, its database commands recorded."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.harness import serve_service
from tests.integration.interaction.harness import CommandLog, Service


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def service(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Service]:
    commands = CommandLog()
    async with serve_service(
        "interaction", mongodb_uri, amqp_url, mongo_listeners=[commands]
    ) as handle:
        await handle.bus.connect()  # the consumer is bound (ready) before anything is published
        yield Service.of(handle, commands=commands)
