"""One sales service per test module, served over real HTTP against the embedded MongoDB and
the project-local RabbitMQ."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.integration.sales.harness import Sales, serve_sales


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def service(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Sales]:
    async with serve_sales(mongodb_uri, amqp_url) as sales:
        yield sales
