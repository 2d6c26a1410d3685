"""Helpers for the gateway tests: serve ASGI apps with uvicorn, start gateways, send GraphQL."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from typing import Any

import gw_toys
import httpx
import uvicorn

from crm_gateway.app import create_app
from crm_gateway.runtime import GatewayRuntime
from crm_gateway.settings import GatewaySettings
from crm_kit.auth import issue_dev_token
from crm_kit.settings import DEFAULT_DEV_JWT_SECRET, AuthSettings


@dataclass
class Served:
    url: str
    port: int
    server: uvicorn.Server
    task: asyncio.Task[None]
    recorder: gw_toys.Recorder = field(default_factory=gw_toys.Recorder)

    async def stop(self) -> None:
        self.server.should_exit = True
        await asyncio.wait_for(self.task, 10)


async def serve(
    app: Any, port: int = 0, *, lifespan: str = "on"
) -> tuple[str, int, uvicorn.Server, asyncio.Task[None]]:
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan=lifespan,
        proxy_headers=False,  # as crm_gateway.__main__ runs it
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    return f"http://127.0.0.1:{bound}/graphql", bound, server, task


async def serve_subgraph(name: str, port: int = 0) -> Served:
    recorder = gw_toys.Recorder()
    url, bound, server, task = await serve(
        gw_toys.subgraph_app(name, recorder), port, lifespan="off"
    )
    return Served(url, bound, server, task, recorder)


@dataclass
class Gateway:
    url: str
    base: str
    runtime: GatewayRuntime
    served: Served
    app: Any = None


async def start_gateway(settings: GatewaySettings) -> Gateway:
    app = create_app(settings)
    url, bound, server, task = await serve(app)
    runtime: GatewayRuntime = app.state.runtime
    assert await runtime.wait_loaded(15), runtime.load_error
    return Gateway(url, f"http://127.0.0.1:{bound}", runtime, Served(url, bound, server, task), app)


def gateway_settings(subgraphs: dict[str, Served], **overrides: Any) -> GatewaySettings:
    base = GatewaySettings(
        subgraphs=tuple((name, s.url) for name, s in subgraphs.items()),
        subgraph_timeout_seconds=1.0,
        startup_backoff_max_seconds=0.2,
        introspection=True,
        supergraph_poll_seconds=0,  # hot reload is tested on its own
        auth=AuthSettings(),
    )
    return replace(base, **overrides)


def make_token(**overrides: Any) -> str:
    claims: dict[str, Any] = {"sub": "u-1", "roles": ["SALES"], "team": "east", "name": "Li Lei"}
    claims.update(overrides)
    return issue_dev_token(DEFAULT_DEV_JWT_SECRET, **claims)


async def gql(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
    headers: dict[str, str] | None = None,
    *,
    status: int = 200,
) -> dict[str, Any]:
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    if operation_name:
        body["operationName"] = operation_name
    response = await http.post("/graphql", json=body, headers=headers)
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result
