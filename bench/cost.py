"""Cost model: database commands and subgraph requests per GraphQL operation.

The four subgraphs and the gateway run in this process (real HTTP on loopback ports, the
real broker and MongoDB), each service with a PyMongo command listener. A small ASGI wrapper
marks the work done while serving an HTTP request, so only commands issued on behalf of a
request are counted (the outbox relay, consumers and schedulers poll in the background and
are not part of an operation's cost). Subgraph requests come from the gateway's /metrics.

These counts do not depend on machine noise: they are the figures to hold constant as the
data grows (`tests/e2e/test_cost_model.py` asserts them at two data sizes).
"""

from __future__ import annotations

import contextvars
import re
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from pymongo import monitoring
from starlette.types import ASGIApp, Receive, Scope, Send

from crm_customer.app import create_app as customer_app
from crm_dev.ports import free_port
from crm_gateway.app import create_app as gateway_app
from crm_gateway.settings import GatewaySettings
from crm_interaction.app import create_app as interaction_app
from crm_kit.settings import ServiceSettings
from crm_notification.app import create_app as notification_app
from crm_sales.app import create_app as sales_app
from tests.support import serve_app, service_settings, unique, wait_ready

_IN_REQUEST: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "bench_in_request", default=False
)
SERVICES = ("customer", "interaction", "notification", "sales")
EXPLAINABLE = frozenset({"find", "aggregate", "count"})
COMMAND_SHAPE = frozenset(
    {*EXPLAINABLE, "filter", "sort", "hint", "limit", "skip", "projection", "pipeline", "query"}
)


class CommandCounter(monitoring.CommandListener):
    """Commands a service sends while serving requests: (command, collection) → count."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.last: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}  # → (db, command)

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if _IN_REQUEST.get():
            target = event.command.get(event.command_name)
            key = (event.command_name, target if isinstance(target, str) else "")
            self.counts[key] += 1
            if event.command_name in EXPLAINABLE:
                shape = {k: v for k, v in event.command.items() if k in COMMAND_SHAPE}
                self.last[key] = (event.database_name, shape)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


class _MarkRequests:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.state = getattr(app, "state", None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = _IN_REQUEST.set(scope["type"] == "http")
        try:
            await self.app(scope, receive, send)
        finally:
            _IN_REQUEST.reset(token)


@dataclass
class Cost:
    db_commands: dict[str, int]  # per service
    subgraph_requests: int
    commands: dict[str, int] = field(default_factory=dict)  # "service: cmd collection" → n
    shapes: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict, compare=False)

    @property
    def total_db_commands(self) -> int:
        return sum(self.db_commands.values())

    def key(self) -> tuple[int, tuple[tuple[str, int], ...]]:
        return self.subgraph_requests, tuple(sorted(self.commands.items()))


@dataclass
class CostSystem:
    gateway: str
    http: httpx.AsyncClient
    counters: dict[str, CommandCounter]
    settings: dict[str, ServiceSettings]
    headers: dict[str, str] = field(default_factory=dict)

    async def subgraph_requests(self) -> int:
        text = (await self.http.get(f"{self.gateway}/metrics")).text
        found = re.findall(r"^gateway_subgraph_requests_total\{[^}]*\} (\d+(?:\.\d+)?)", text, re.M)
        return sum(int(float(v)) for v in found)

    async def cost(self, query: str, variables: dict[str, Any]) -> Cost:
        """Cost of one operation (the cheaper of two runs: a transient retry is not cost)."""
        runs = [await self._once_retrying(query, variables) for _ in range(2)]
        return min(runs, key=lambda c: (c.subgraph_requests, c.total_db_commands))

    async def _once_retrying(self, query: str, variables: dict[str, Any]) -> Cost:
        for attempt in range(3):
            try:
                return await self._once(query, variables)
            except RuntimeError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _once(self, query: str, variables: dict[str, Any]) -> Cost:
        before = {n: Counter(c.counts) for n, c in self.counters.items()}
        requests_before = await self.subgraph_requests()
        response = await self.http.post(
            f"{self.gateway}/graphql",
            json={"query": query, "variables": variables},
            headers=self.headers,
        )
        body = response.json()
        if body.get("errors"):
            raise RuntimeError(f"cost probe failed: {body['errors'][0]}")
        requests = await self.subgraph_requests() - requests_before
        per_service: dict[str, int] = {}
        commands: dict[str, int] = {}
        shapes: dict[str, tuple[str, dict[str, Any]]] = {}
        for name, counter in self.counters.items():
            delta = counter.counts - before[name]
            per_service[name] = sum(delta.values())
            for (cmd, coll), n in delta.items():
                commands[f"{name}: {cmd} {coll}"] = n
                if (cmd, coll) in counter.last:
                    shapes[f"{name}: {cmd} {coll}"] = counter.last[(cmd, coll)]
        return Cost(per_service, requests, commands, shapes)


@asynccontextmanager
async def cost_system(
    mongodb_uri: str,
    amqp_url: str,
    databases: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> AsyncIterator[CostSystem]:
    """The whole system in-process with command counters; `databases` maps a service to
    the database it should use (default: a fresh one per service)."""
    exchange = unique("crm.events.cost")
    counters = {name: CommandCounter() for name in SERVICES}
    factories: dict[str, Callable[..., ASGIApp]] = {
        "customer": customer_app,
        "interaction": interaction_app,
        "notification": notification_app,
        "sales": sales_app,
    }
    async with AsyncExitStack() as stack:
        urls: dict[str, str] = {}
        all_settings: dict[str, ServiceSettings] = {}
        for name in SERVICES:
            overrides: dict[str, Any] = {"events_exchange": exchange, "log_level": "WARNING"}
            if databases and name in databases:
                overrides["mongodb_database"] = databases[name]
            settings = service_settings(name, mongodb_uri, amqp_url, **overrides)
            all_settings[name] = settings
            app = _MarkRequests(factories[name](settings, mongo_listeners=[counters[name]]))
            base = await stack.enter_async_context(serve_app(app))
            await wait_ready(base, timeout=60)
            urls[name] = f"{base}/graphql"
        # generous timeouts: a loaded machine must not turn a count into an error
        gateway = GatewaySettings(
            port=free_port(), subgraphs=tuple(urls.items()), subgraph_timeout_seconds=60.0
        )
        base = await stack.enter_async_context(serve_app(gateway_app(gateway)))
        await wait_ready(base, timeout=60)
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=60))
        yield CostSystem(base, http, counters, all_settings, headers or {})
