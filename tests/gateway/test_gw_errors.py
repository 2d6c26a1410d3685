"""Faults and errors: subgraph down or slow, error pass-through and masking, auth, headers."""

from __future__ import annotations

import httpx
import orjson
import pytest
from gw_support import (
    Gateway,
    Served,
    gateway_settings,
    gql,
    make_token,
    serve_subgraph,
    start_gateway,
)

from crm_kit.auth import issue_dev_token


@pytest.fixture
async def stoppable(subgraphs: dict[str, Served]) -> dict[str, Served]:
    """Own inventory subgraph (so it can be stopped) plus the shared others."""
    own = dict(subgraphs)
    own["inventory"] = await serve_subgraph("inventory")
    return own


async def test_partial_results_when_a_subgraph_is_stopped(
    stoppable: dict[str, Served], token: str
) -> None:
    gateway = await start_gateway(gateway_settings(stoppable))
    inventory = stoppable["inventory"]
    try:
        async with httpx.AsyncClient(
            base_url=gateway.base, headers={"authorization": f"Bearer {token}"}
        ) as http:
            assert (await http.get("/readyz")).status_code == 200
            await inventory.stop()

            ready = await http.get("/readyz")
            assert ready.status_code == 503
            body = ready.json()
            assert body["subgraphs"]["inventory"]["reachable"] is False
            assert body["subgraphs"]["products"]["reachable"] is True

            # nullable field: the list survives, the missing field is null with one error
            result = await gql(
                http, "{ topProducts(first: 2) { name shippingEstimate } me { name } }"
            )
            assert result["data"] == {
                "topProducts": [
                    {"name": "Product 1", "shippingEstimate": None},
                    {"name": "Product 2", "shippingEstimate": None},
                ],
                "me": {"name": "Name u1"},
            }
            assert result["errors"] == [
                {
                    "message": "Subgraph 'inventory' is unavailable",
                    "path": ["topProducts", 0, "shippingEstimate"],
                    "extensions": {
                        "code": "INTERNAL_SERVER_ERROR",
                        "serviceName": "inventory",
                        "retryable": True,
                    },
                }
            ]

            # non-null field: null bubbles to the nearest nullable parent (product)
            result = await gql(http, '{ product(upc: "p1") { name inStock } me { name } }')
            assert result["data"] == {"product": None, "me": {"name": "Name u1"}}
            assert [e["path"] for e in result["errors"]] == [["product", "inStock"]]

            # a root field owned by the stopped subgraph
            result = await gql(http, "{ warehouseName me { name } }")
            assert result["data"] is None  # warehouseName is String!: null reaches the root
            assert result["errors"][0]["path"] == ["warehouseName"]
            assert result["errors"][0]["extensions"]["serviceName"] == "inventory"

            # back up on the same port: the gateway recovers
            stoppable["inventory"] = await serve_subgraph("inventory", inventory.port)
            assert (await http.get("/readyz")).status_code == 200
            result = await gql(http, "{ topProducts(first: 1) { shippingEstimate } }")
            assert result == {"data": {"topProducts": [{"shippingEstimate": 2}]}}
    finally:
        await gateway.served.stop()
        await stoppable["inventory"].stop()


async def test_slow_subgraph_times_out_into_partial_data(client: httpx.AsyncClient) -> None:
    result = await gql(client, "{ slow warehouseName }")  # gateway timeout 1 s, `slow` takes 1.5 s
    assert result["data"] == {"slow": None, "warehouseName": "Main"}
    assert result["errors"] == [
        {
            "message": "Subgraph 'reviews' is unavailable",
            "path": ["slow"],
            "extensions": {
                "code": "INTERNAL_SERVER_ERROR",
                "serviceName": "reviews",
                "retryable": True,
            },
        }
    ]


async def test_error_codes_pass_through_and_are_repathed(client: httpx.AsyncClient) -> None:
    result = await gql(client, '{ product(upc: "missing") { name } }')
    assert result["data"] == {"product": None}
    error = result["errors"][0]
    assert error["path"] == ["product"]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["extensions"]["id"] == "missing"

    result = await gql(client, "{ topProducts(first: 2) { upc reviews { forbiddenNote } } }")
    paths = sorted(tuple(e["path"]) for e in result["errors"])
    assert paths == [
        ("topProducts", i, "reviews", j, "forbiddenNote") for i in range(2) for j in range(2)
    ]
    assert {e["extensions"]["code"] for e in result["errors"]} == {"FORBIDDEN"}
    assert {e["extensions"]["serviceName"] for e in result["errors"]} == {"reviews"}
    assert result["data"]["topProducts"][1]["reviews"][0] == {"forbiddenNote": None}

    result = await gql(client, 'mutation { renameProduct(upc: "p1", name: " ") { name } }')
    assert result["data"] is None
    error = result["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fieldErrors"] == [
        {"field": "name", "code": "REQUIRED", "message": "empty"}
    ]


async def test_unexpected_subgraph_errors_are_masked(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ broken me { id } }"}, headers={"x-request-id": "req-42"}
    )
    assert response.status_code == 200
    assert "pymongo" not in response.text and "10.0.0.5" not in response.text
    result = response.json()
    assert result["data"] == {"broken": None, "me": {"id": "u1"}}
    assert result["errors"] == [
        {
            "message": "Internal server error",
            "path": ["broken"],
            "extensions": {
                "code": "INTERNAL_SERVER_ERROR",
                "requestId": "req-42",
                "serviceName": "products",
            },
        }
    ]


async def test_masked_errors_keep_retryable_and_typed_errors_keep_their_extensions(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ flaky me { id } }"}, headers={"x-request-id": "req-7"}
    )
    result = response.json()
    assert result["data"] == {"flaky": None, "me": {"id": "u1"}}
    assert result["errors"] == [
        {
            "message": "Internal server error",
            "path": ["flaky"],
            "extensions": {
                "code": "INTERNAL_SERVER_ERROR",
                "requestId": "req-7",
                "retryable": True,
                "serviceName": "products",
            },
        }
    ]
    result = await gql(client, 'mutation { createConflicting(upc: "p9") { upc } }')
    assert result["data"] is None
    assert result["errors"][0]["extensions"] == {
        "code": "CONFLICT",
        "conflictingId": "p1",
        "serviceName": "products",
    }
    assert result["errors"][0]["path"] == ["createConflicting"]


async def test_trusted_proxy_hops_keep_the_proxys_forwarded_for(
    subgraphs: dict[str, Served], token: str
) -> None:
    gateway = await start_gateway(gateway_settings(subgraphs, trusted_proxy_hops=1))
    try:
        async with httpx.AsyncClient(
            base_url=gateway.base, headers={"authorization": f"Bearer {token}"}
        ) as http:
            result = await gql(
                http, "{ whoami }", headers={"x-forwarded-for": "6.6.6.6, 203.0.113.9"}
            )
    finally:
        await gateway.served.stop()
    seen = orjson.loads(result["data"]["whoami"])
    # the spoofed first entry is dropped; the ingress's entry and the peer are kept
    assert seen["x-forwarded-for"] == "203.0.113.9, 127.0.0.1"


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Basic abc",
        "Bearer not-a-jwt",
        f"Bearer {issue_dev_token('another-secret-0123456789abcdef0123', sub='x', roles=[])}",
        f"Bearer {make_token(ttl_seconds=-3600)}",
    ],
)
async def test_requests_without_a_valid_token_are_refused(
    gateway: Gateway, subgraphs: dict[str, Served], authorization: str | None
) -> None:
    headers = {"authorization": authorization} if authorization else {}
    async with httpx.AsyncClient(base_url=gateway.base) as http:
        response = await http.post("/graphql", json={"query": "{ me { id } }"}, headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert all(not s.recorder.requests for s in subgraphs.values())


async def test_headers_are_forwarded_and_request_id_generated(
    client: httpx.AsyncClient, token: str, subgraphs: dict[str, Served]
) -> None:
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    response = await client.post(
        "/graphql",
        json={"query": "{ whoami }"},
        headers={
            "x-request-id": "abc-123",
            "traceparent": traceparent,
            "accept-language": "en-US,en;q=0.9",
            "x-forwarded-for": "6.6.6.6",  # the client's own claim: not trusted by default
        },
    )
    assert response.headers["x-request-id"] == "abc-123"
    seen = orjson.loads(response.json()["data"]["whoami"])
    forwarded_trace = seen.pop("traceparent")
    assert seen == {
        "authorization": f"Bearer {token}",
        "x-request-id": "abc-123",
        "accept-language": "en-US,en;q=0.9",
        "x-forwarded-for": "127.0.0.1",  # the peer the gateway saw
    }
    # the same trace (the parent span is the gateway's own when a tracer provider is set)
    assert forwarded_trace.split("-")[1] == traceparent.split("-")[1]
    response = await client.post("/graphql", json={"query": "{ whoami }"})
    generated = response.headers["x-request-id"]
    assert len(generated) >= 16
    assert orjson.loads(response.json()["data"]["whoami"])["x-request-id"] == generated


async def test_health_readiness_and_metrics(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["supergraph"]["loaded"] is True
    assert set(ready.json()["subgraphs"]) == {"products", "reviews", "inventory", "accounts"}
    await gql(client, "{ me { id } }")
    text = (await client.get("/metrics")).text
    assert 'gateway_subgraph_requests_total{subgraph="accounts"}' in text
    assert 'gateway_subgraph_request_duration_seconds_bucket{subgraph="accounts",le="+Inf"}' in text
    assert "gateway_request_duration_seconds_count" in text


async def test_introspection_can_be_disabled(subgraphs: dict[str, Served], token: str) -> None:
    gateway = await start_gateway(gateway_settings(subgraphs, introspection=False))
    try:
        async with httpx.AsyncClient(
            base_url=gateway.base, headers={"authorization": f"Bearer {token}"}
        ) as http:
            result = await gql(http, "{ __schema { types { name } } }")
            assert result["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
            assert "data" not in result
            assert await gql(http, "{ me { __typename id } }") == {
                "data": {"me": {"__typename": "User", "id": "u1"}}
            }
    finally:
        await gateway.served.stop()


async def test_gateway_waits_for_subgraphs_at_startup(token: str) -> None:
    import asyncio

    from gw_support import serve

    from crm_gateway.app import create_app
    from crm_gateway.runtime import GatewayRuntime

    late = await serve_subgraph("accounts")
    port = late.port
    await late.stop()  # the port is known but nothing listens yet
    settings = gateway_settings({"accounts": late})
    app = create_app(settings)
    _url, bound, server, task = await serve(app)
    runtime: GatewayRuntime = app.state.runtime
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{bound}") as http:
            await asyncio.sleep(0.3)
            ready = await http.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["supergraph"]["loaded"] is False
            response = await http.post(
                "/graphql",
                json={"query": "{ me { id } }"},
                headers={"authorization": f"Bearer {token}"},
            )
            assert response.status_code == 503
            late = await serve_subgraph("accounts", port)
            assert await runtime.wait_loaded(10)
            assert (await http.get("/readyz")).status_code == 200
    finally:
        server.should_exit = True
        await task
        await late.stop()
