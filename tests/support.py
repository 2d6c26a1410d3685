"""The one place for test helpers: unique ids, tokens, serving an ASGI app over real HTTP,
GraphQL calls and their answers (`ok`, error codes, field-error codes), polling.

Standing up a whole service or the system is `tests.harness`."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.types import ASGIApp

from crm_dev.ports import free_port
from crm_kit.auth import issue_dev_token
from crm_kit.errors import BadUserInput, FieldError
from crm_kit.settings import DEFAULT_DEV_JWT_SECRET, AuthSettings, ServiceSettings


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def uid(prefix: str) -> str:
    """Like `unique`, joined by a dash (`bob-1f2e3d4c`)."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


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


def ok(body: dict[str, Any]) -> Any:
    """The data of a GraphQL answer that must have no errors."""
    assert "errors" not in body, body
    return body["data"]


def error_code(body: dict[str, Any]) -> str | None:
    """The code of the first error of a GraphQL answer (None without errors)."""
    errors = body.get("errors") or []
    code: str | None = errors[0]["extensions"]["code"] if errors else None
    return code


def error_codes(body: dict[str, Any]) -> set[str]:
    """The codes of every error of a GraphQL answer."""
    return {e["extensions"]["code"] for e in body.get("errors", [])}


FieldErrors = BadUserInput | pytest.ExceptionInfo[BadUserInput] | Iterable[FieldError]


def _field_errors(error: FieldErrors) -> list[FieldError]:
    if isinstance(error, pytest.ExceptionInfo):
        error = error.value
    if isinstance(error, BadUserInput):
        return list(error.field_errors)
    return list(error)


def field_codes(error: FieldErrors) -> dict[str, str]:
    """field -> code of a BadUserInput (raised, caught by pytest.raises, or its field errors)."""
    return {e.field: e.code for e in _field_errors(error)}


def field_code_list(error: FieldErrors) -> list[str]:
    """The codes of a BadUserInput's field errors, in order."""
    return [e.code for e in _field_errors(error)]
