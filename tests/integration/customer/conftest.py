"""The customer service for the master-data tests (`svc`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.harness import serve_service
from tests.integration.customer.master_data import Service


@pytest.fixture
async def svc(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Service]:
    async with serve_service("customer", mongodb_uri, amqp_url) as handle:
        yield Service.of(handle)
