"""Helpers for integration and end-to-end tests: run ASGI apps over real HTTP."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from starlette.types import ASGIApp

from crm_dev.ports import free_port
from crm_kit.auth import issue_dev_token
from crm_kit.settings import DEFAULT_DEV_JWT_SECRET, AuthSettings, ServiceSettings


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def service_settings(
    name: str, mongodb_uri: str, amqp_url: str, port: int | None = None, **overrides: Any
) -> ServiceSettings:
    """Settings with a unique service name, database and queues, so tests never collide."""
    service = unique(name)
    values: dict[str, Any] = {
        "service_name": service,
        "port": port or free_port(),
        "mongodb_uri": mongodb_uri,
        "mongodb_database": service,
        "amqp_url": amqp_url,
        "outbox_poll_seconds": 0.05,
        "log_format": "text",
        "auth": AuthSettings(),
    }
    values.update(overrides)
    return ServiceSettings(**values)


def token(sub: str = "alice", roles: tuple[str, ...] = ("ADMIN",), team: str = "east") -> str:
    return issue_dev_token(DEFAULT_DEV_JWT_SECRET, sub=sub, roles=list(roles), team=team)


def auth_headers(**kwargs: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(**kwargs)}"}


@asynccontextmanager
async def serve_app(app: ASGIApp, port: int | None = None) -> AsyncIterator[str]:
    """Serve an ASGI app with uvicorn on a loopback port; yields its base URL."""
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("server exited during start-up")
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def wait_ready(base_url: str, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    async with httpx.AsyncClient() as client:
        while True:
            try:
                response = await client.get(f"{base_url}/readyz")
                if response.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{base_url} not ready after {timeout}s")
            await asyncio.sleep(0.1)


@dataclass(frozen=True)
class ServedSystem:
    gateway: str  # the gateway's base URL
    subgraphs: dict[str, str]  # service name -> its /graphql URL
    exchange: str


@asynccontextmanager
async def serve_system(
    mongodb_uri: str,
    amqp_url: str,
    services: Sequence[str] = ("customer", "interaction", "notification"),
    *,
    auth: AuthSettings | None = None,
    **gateway: Any,
) -> AsyncIterator[ServedSystem]:
    """The named services (each with its own database and queues, all on one fresh events
    exchange) and the gateway over them, served in-process and ready. `auth` applies to every
    process; `gateway` overrides GatewaySettings fields."""
    from crm_customer.app import create_app as customer_app
    from crm_gateway.app import create_app as gateway_app
    from crm_gateway.settings import GatewaySettings
    from crm_interaction.app import create_app as interaction_app
    from crm_notification.app import create_app as notification_app

    factories: dict[str, Callable[[ServiceSettings], ASGIApp]] = {
        "customer": customer_app,
        "interaction": interaction_app,
        "notification": notification_app,
    }
    exchange = unique("crm.events")
    shared: dict[str, Any] = {} if auth is None else {"auth": auth}
    async with AsyncExitStack() as stack:
        urls: dict[str, str] = {}
        for name in services:
            settings = service_settings(
                name, mongodb_uri, amqp_url, events_exchange=exchange, **shared
            )
            base = await stack.enter_async_context(serve_app(factories[name](settings)))
            await wait_ready(base)
            urls[name] = f"{base}/graphql"
        app = gateway_app(
            GatewaySettings(port=free_port(), subgraphs=tuple(urls.items()), **shared | gateway)
        )
        base = await stack.enter_async_context(serve_app(app))
        await wait_ready(base)
        yield ServedSystem(base, urls, exchange)


async def gql(
    client: httpx.AsyncClient,
    url: str,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    response = await client.post(
        url,
        json={"query": query, "variables": variables or {}},
        headers=headers if headers is not None else auth_headers(),
    )
    body: dict[str, Any] = response.json()
    return body


async def eventually(probe: Any, timeout: float = 15.0, interval: float = 0.1) -> Any:
    """Poll an async probe until it returns a truthy value (returned) or time runs out."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await probe()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value {value!r})")
        await asyncio.sleep(interval)
