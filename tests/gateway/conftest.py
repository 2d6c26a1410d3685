"""Fixtures: toy subgraphs and a gateway served over real HTTP (uvicorn, ephemeral ports)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent))

import gw_toys
from gw_support import Gateway, Served, gateway_settings, make_token, serve_subgraph, start_gateway


@pytest.fixture(scope="session")
async def subgraphs() -> AsyncIterator[dict[str, Served]]:
    served = {name: await serve_subgraph(name) for name in gw_toys.SCHEMAS}
    yield served
    for item in served.values():
        await item.stop()


@pytest.fixture(scope="session")
async def gateway(subgraphs: dict[str, Served]) -> AsyncIterator[Gateway]:
    handle = await start_gateway(gateway_settings(subgraphs))
    yield handle
    await handle.served.stop()


@pytest.fixture(autouse=True)
def _reset_recorders(request: pytest.FixtureRequest) -> Iterator[None]:
    if "subgraphs" in request.fixturenames:
        for item in request.getfixturevalue("subgraphs").values():
            item.recorder.reset()
        gw_toys.MUTATION_LOG.clear()
    yield


@pytest.fixture(scope="session")
def token() -> str:
    return make_token()


@pytest.fixture
async def client(gateway: Gateway, token: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=gateway.base, headers={"authorization": f"Bearer {token}"}, timeout=30
    ) as http:
        yield http
