"""Observability: OpenTelemetry spans per request and per subgraph fetch, the query plan in
`extensions` on request when debugging is enabled, Prometheus metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from gw_support import Gateway, Served, gateway_settings, gql, start_gateway
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture(scope="module")
async def debug_gateway(subgraphs: dict[str, Served]) -> AsyncIterator[Gateway]:
    handle = await start_gateway(gateway_settings(subgraphs, debug_query_plan=True))
    yield handle
    await handle.served.stop()


QUERY = "query TopWithStock { topProducts(first: 2) { name inStock reviews { body } } }"


async def test_spans_per_request_and_subgraph_fetch(
    spans: InMemorySpanExporter, gateway: Gateway, client: httpx.AsyncClient
) -> None:
    spans.clear()
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    response = await client.post(
        "/graphql",
        json={"query": QUERY, "operationName": "TopWithStock"},
        headers={"traceparent": traceparent},
    )
    assert "errors" not in response.json()
    finished = spans.get_finished_spans()
    request = [s for s in finished if s.name == "graphql.request"]
    assert len(request) == 1
    assert request[0].attributes is not None
    assert request[0].attributes["graphql.operation.name"] == "TopWithStock"
    assert format(request[0].context.trace_id, "032x") == "4bf92f3577b34da6a3ce929d0e0e4736"
    fetches = [s for s in finished if s.name.startswith("subgraph ")]
    assert sorted(s.name for s in fetches) == [
        "subgraph inventory",
        "subgraph products",
        "subgraph reviews",
    ]
    for span in fetches:
        assert span.parent is not None and span.parent.span_id == request[0].context.span_id
        assert span.attributes is not None
        assert str(span.attributes["graphql.operation.name"]).startswith("TopWithStock__")


async def test_query_plan_in_extensions_only_when_enabled_and_asked(
    debug_gateway: Gateway, client: httpx.AsyncClient, token: str
) -> None:
    async with httpx.AsyncClient(
        base_url=debug_gateway.base, headers={"authorization": f"Bearer {token}"}
    ) as http:
        asked = await gql(http, QUERY, headers={"x-gateway-debug": "plan"})
        plan = asked["extensions"]["queryPlan"]
        assert plan[0]["subgraph"] == "products"
        assert {step["subgraph"] for step in plan} == {"products", "inventory", "reviews"}
        assert all(step["entity"] for step in plan[1:])
        assert "_entities" in plan[1]["operation"]
        assert "extensions" not in await gql(http, QUERY)
    # the shared gateway fixture has debugging off: the header is ignored
    assert "extensions" not in await gql(client, QUERY, headers={"x-gateway-debug": "plan"})


async def test_metrics_count_requests_per_subgraph(
    gateway: Gateway, client: httpx.AsyncClient
) -> None:
    await gql(client, QUERY)
    text = (await client.get("/metrics")).text
    assert 'gateway_subgraph_requests_total{subgraph="inventory"}' in text
    assert "gateway_request_duration_seconds_bucket" in text


async def test_server_timing_separates_subgraph_time_from_gateway_overhead(
    subgraphs: dict[str, Served], token: str
) -> None:
    gateway = await start_gateway(gateway_settings(subgraphs, server_timing=True))
    try:
        async with httpx.AsyncClient(
            base_url=gateway.base, headers={"authorization": f"Bearer {token}"}
        ) as http:
            # one step: reviews' nap (80 ms) and products' topProducts run concurrently
            response = await http.post(
                "/graphql", json={"query": "{ nap(ms: 80) topProducts(first: 1) { upc } }"}
            )
    finally:
        await gateway.served.stop()
    assert response.json()["data"]["nap"]
    timing = {
        part.split(";dur=")[0].strip(): float(part.split(";dur=")[1])
        for part in response.headers["server-timing"].split(",")
    }
    assert timing["subgraphs"] >= 80  # the slowest fetch of the step
    assert timing["subgraphs"] <= timing["gateway"]
