"""Failure handling and live changes: bounded retries (queries only), the circuit breaker,
per-subgraph timeouts, supergraph hot reload under load, JWKS key rotation."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gw_toys
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from gw_support import Served, gateway_settings, gql, serve, start_gateway
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from test_gw_supergraph_file import SUPERGRAPH

from crm_gateway.edge.ratelimit import RateLimiter
from crm_gateway.transport.circuit import CircuitBreaker
from crm_kit.settings import AuthSettings

# ---------------------------------------------------------------------------- pure logic


def test_circuit_breaker_lets_one_trial_through_while_open() -> None:
    breaker = CircuitBreaker(2)
    breaker.failure("a")
    assert not breaker.is_open("a") and breaker.allow("a")
    breaker.failure("a")
    assert breaker.is_open("a")
    assert breaker.allow("a")  # the trial
    assert not breaker.allow("a") and not breaker.allow("a")  # others fail fast meanwhile
    breaker.failure("a")  # trial failed: still open, next trial allowed
    assert breaker.is_open("a") and breaker.allow("a")
    breaker.success("a")
    assert not breaker.is_open("a") and breaker.allow("a") and breaker.allow("a")
    assert breaker.allow("b")


def test_rate_limiter_refills_over_the_window() -> None:
    now = [0.0]
    limiter = RateLimiter(2, 10, clock=lambda: now[0])
    assert limiter.acquire("u") is None and limiter.acquire("u") is None
    wait = limiter.acquire("u")
    assert wait is not None and wait == pytest.approx(5.0)
    now[0] = 5.0
    assert limiter.acquire("u") is None
    assert limiter.acquire("v") is None  # keys are independent


# ---------------------------------------------------------------------------- flaky subgraph


@dataclass
class Flaky:
    """ASGI wrapper: answers `failures` GraphQL POSTs with a bare 503 (after `delay`)."""

    app: Any
    failures: int = 0
    delay: float = 0.0
    reached: int = 0  # POSTs that got here (failed or passed on)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            self.reached += 1
            if self.failures > 0:
                self.failures -= 1
                await asyncio.sleep(self.delay)
                await send({"type": "http.response.start", "status": 503, "headers": []})
                await send({"type": "http.response.body", "body": b"upstream unavailable"})
                return
        await self.app(scope, receive, send)


@pytest.fixture
async def flaky_products(
    subgraphs: dict[str, Served],
) -> AsyncIterator[tuple[Flaky, dict[str, Served]]]:
    flaky = Flaky(gw_toys.subgraph_app("products", gw_toys.Recorder()))
    url, port, server, task = await serve(flaky, lifespan="off")
    own = dict(subgraphs)
    own["products"] = Served(url, port, server, task)
    yield flaky, own
    await own["products"].stop()


async def test_queries_are_retried_mutations_are_not(
    flaky_products: tuple[Flaky, dict[str, Served]], token: str
) -> None:
    flaky, subgraphs = flaky_products
    gateway = await start_gateway(
        gateway_settings(subgraphs, subgraph_retries=1, circuit_failures=0)
    )
    metrics = gateway.runtime.metrics
    try:
        async with httpx.AsyncClient(
            base_url=gateway.base, headers={"authorization": f"Bearer {token}"}
        ) as http:
            flaky.failures = 1
            result = await gql(http, "{ topProducts(first: 1) { upc } }")
            assert result == {"data": {"topProducts": [{"upc": "p1"}]}}
            assert metrics.subgraph_retries.value(subgraph="products") == 1
            flaky.failures = 1
            log_before = list(gw_toys.MUTATION_LOG)
            result = await gql(http, 'mutation { createProduct(upc: "px", name: "X") { upc } }')
            assert result["data"] is None
            assert result["errors"][0]["extensions"]["serviceName"] == "products"
            assert metrics.subgraph_retries.value(subgraph="products") == 1  # no retry
            assert log_before == gw_toys.MUTATION_LOG
            flaky.failures = 2  # more failures than retries: partial data, error at the path
            result = await gql(http, "{ topProducts(first: 1) { upc } me { id } }")
            assert result["data"] is None or result["data"].get("me") == {"id": "u1"}
            assert result["errors"][0]["path"] == ["topProducts"]
    finally:
        await gateway.served.stop()


async def test_open_circuit_fails_fast_and_closes_when_the_subgraph_is_back(
    flaky_products: tuple[Flaky, dict[str, Served]], token: str
) -> None:
    flaky, subgraphs = flaky_products
    gateway = await start_gateway(
        gateway_settings(subgraphs, subgraph_retries=0, circuit_failures=2)
    )
    query = "{ me { id } topProducts(first: 1) { upc } }"
    try:
        async with httpx.AsyncClient(
            base_url=gateway.base, headers={"authorization": f"Bearer {token}"}
        ) as http:
            flaky.failures = 100
            flaky.delay = 0.3
            for _ in range(2):
                await gql(http, query)
            assert gateway.runtime.client.breaker.is_open("products")
            reached = flaky.reached
            # distinct fetches (identical ones in flight would share one request)
            varied = "query($n: Int!) { me { id } topProducts(first: $n) { upc } }"
            results = await asyncio.gather(*(gql(http, varied, {"n": n}) for n in range(1, 7)))
            assert flaky.reached - reached == 1  # one trial; five answered at once
            for result in results:
                assert result["data"] == {"me": {"id": "u1"}, "topProducts": None} or (
                    result["data"] is None
                )
                assert result["errors"][0]["path"] == ["topProducts"]
            assert gateway.runtime.metrics.circuit_open.value(subgraph="products") == 5
            flaky.failures = 0
            flaky.delay = 0
            recovered = await gql(http, query)
            assert recovered == {"data": {"me": {"id": "u1"}, "topProducts": [{"upc": "p1"}]}}
            assert not gateway.runtime.client.breaker.is_open("products")
    finally:
        await gateway.served.stop()


async def test_per_subgraph_timeout(subgraphs: dict[str, Served], token: str) -> None:
    gateway = await start_gateway(
        gateway_settings(
            subgraphs, subgraph_timeout_seconds=5.0, subgraph_timeouts=(("reviews", 0.3),)
        )
    )
    try:
        async with httpx.AsyncClient(
            base_url=gateway.base, headers={"authorization": f"Bearer {token}"}
        ) as http:
            started = time.perf_counter()
            result = await gql(http, "{ slow warehouseName }")
            elapsed = time.perf_counter() - started
            assert result["data"] == {"slow": None, "warehouseName": "Main"}
            assert result["errors"][0]["path"] == ["slow"]
            assert elapsed < 1.2  # the reviews field sleeps 1.5 s; its timeout is 0.3 s
    finally:
        await gateway.served.stop()


# ---------------------------------------------------------------------------- hot reload


def supergraph_text(subgraphs: dict[str, Served], *, with_stock: bool) -> str:
    text = SUPERGRAPH
    for name in ("inventory", "products", "reviews"):
        text = text.replace("{" + name + "}", subgraphs[name].url)
    if not with_stock:
        text = text.replace("  inStock: Boolean! @join__field(graph: INVENTORY)\n", "")
    return text


async def test_supergraph_file_hot_reload_without_dropping_requests(
    subgraphs: dict[str, Served], token: str, tmp_path: Path
) -> None:
    path = tmp_path / "supergraph.graphql"
    path.write_text(supergraph_text(subgraphs, with_stock=False))
    gateway = await start_gateway(
        gateway_settings(subgraphs, supergraph_file=str(path), supergraph_poll_seconds=0.05)
    )
    failures: list[Any] = []
    served = 0
    stop = asyncio.Event()
    try:
        async with httpx.AsyncClient(
            base_url=gateway.base, headers={"authorization": f"Bearer {token}"}
        ) as http:
            before = await gql(http, "{ topProducts(first: 1) { inStock } }")
            assert before["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"

            async def load() -> None:
                nonlocal served
                while not stop.is_set():
                    result = await gql(http, "{ topProducts(first: 2) { upc name } }")
                    served += 1
                    if result != {
                        "data": {
                            "topProducts": [
                                {"upc": "p1", "name": "Product 1"},
                                {"upc": "p2", "name": "Product 2"},
                            ]
                        }
                    }:
                        failures.append(result)

            workers = [asyncio.create_task(load()) for _ in range(4)]
            await asyncio.sleep(0.2)
            path.write_text(supergraph_text(subgraphs, with_stock=True))
            for _ in range(100):
                after = await gql(http, "{ topProducts(first: 1) { inStock } }")
                if "errors" not in after:
                    break
                await asyncio.sleep(0.05)
            assert after == {"data": {"topProducts": [{"inStock": True}]}}
            path.write_text("this is not a supergraph")  # a broken file keeps the old one
            await asyncio.sleep(0.3)
            stop.set()
            await asyncio.gather(*workers)
            assert (await gql(http, "{ topProducts(first: 1) { inStock } }")) == after
            ready = (await http.get("/readyz")).json()
            assert "does not parse" in ready["supergraph"]["error"]
        assert failures == []
        assert served > 10
        assert gateway.runtime.metrics.supergraph_reloads.value() == 1
    finally:
        await gateway.served.stop()


# ---------------------------------------------------------------------------- JWKS rotation


@dataclass
class _Keys:
    keys: list[dict[str, Any]]
    fetches: int = 0


def _rsa_key(kid: str) -> tuple[Any, dict[str, Any]]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_jwk: dict[str, Any] = jwt.algorithms.RSAAlgorithm.to_jwk(
        private.public_key(), as_dict=True
    )
    public_jwk.update({"kid": kid, "use": "sig", "alg": "RS256"})
    return private, public_jwk


def _token(private: Any, kid: str, sub: str) -> str:
    claims = {"sub": sub, "roles": ["SALES"], "exp": int(time.time()) + 600}
    return jwt.encode(claims, private, algorithm="RS256", headers={"kid": kid})


async def test_jwks_key_rotation_without_restart(subgraphs: dict[str, Served]) -> None:
    old_private, old_jwk = _rsa_key("2026-old")
    new_private, new_jwk = _rsa_key("2026-new")
    published = _Keys([old_jwk])

    async def jwks(request: Request) -> JSONResponse:
        published.fetches += 1
        return JSONResponse({"keys": published.keys})

    url, port, server, task = await serve(
        Starlette(routes=[Route("/jwks.json", jwks)]), lifespan="off"
    )
    jwks_server = Served(url, port, server, task)
    jwks_url = f"http://127.0.0.1:{port}/jwks.json"
    gateway = await start_gateway(
        gateway_settings(
            subgraphs,
            auth=AuthSettings(jwks_url=jwks_url, algorithms=("RS256",)),
            jwks_refresh_cooldown_seconds=0,
        )
    )

    async def ask(token: str, status: int = 200) -> dict[str, Any]:
        async with httpx.AsyncClient(
            base_url=gateway.base, headers={"authorization": f"Bearer {token}"}
        ) as http:
            return await gql(http, "{ warehouseName }", status=status)

    try:
        assert await ask(_token(old_private, "2026-old", "alice")) == {
            "data": {"warehouseName": "Main"}
        }
        assert await ask(_token(old_private, "2026-old", "bob")) == {
            "data": {"warehouseName": "Main"}
        }
        assert published.fetches == 1  # cached
        published.keys = [new_jwk]  # the issuer rotates and retires the old key
        assert await ask(_token(new_private, "2026-new", "alice")) == {
            "data": {"warehouseName": "Main"}
        }
        assert published.fetches == 2  # unknown kid: the set was fetched again
        retired = await ask(_token(old_private, "2026-old", "alice"), status=401)
        assert retired["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        # wrong key, known kid
        forged = await ask(_token(old_private, "2026-new", "mallory"), status=401)
        assert forged["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    finally:
        await gateway.served.stop()
        await jwks_server.stop()
