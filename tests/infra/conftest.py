"""Fixtures shared by the embedded-server tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from tests.support import unique


@pytest.fixture
async def db(mongodb_uri: str, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """A database of its own (named after the test module), dropped afterwards."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri, tz_aware=True)
    prefix = request.module.__name__.rpartition(".")[2].removeprefix("test_mongo_")
    database = client[unique(prefix)]
    yield database
    await client.drop_database(database.name)
    await client.close()
