"""Planning: batching per subgraph per step, dedupe, @provides/@requires, concurrency, cache."""

from __future__ import annotations

import asyncio
import re
import time

import gw_toys
import httpx
import pytest
from graphql import parse
from gw_support import Gateway, Served, gql

from crm_gateway.compose import SubgraphSDL, compose
from crm_gateway.engine import Engine
from crm_gateway.executor import RequestContext
from crm_gateway.metrics import GatewayMetrics
from crm_gateway.subgraph_client import SubgraphClient

QUERY_360 = """query Top($n: Int!) { topProducts(first: $n) {
    name inStock shippingEstimate reviews { body author { name } } } }"""


def subgraph_requests_total(metrics_text: str, subgraph: str) -> float:
    match = re.search(
        rf'^gateway_subgraph_requests_total{{subgraph="{subgraph}"}} (\S+)$', metrics_text, re.M
    )
    return float(match.group(1)) if match else 0.0


@pytest.mark.parametrize("items", [3, 300])
async def test_subgraph_requests_do_not_grow_with_list_size(
    items: int, client: httpx.AsyncClient, subgraphs: dict[str, Served]
) -> None:
    before = (await client.get("/metrics")).text
    result = await gql(client, QUERY_360, {"n": items})
    after = (await client.get("/metrics")).text
    assert "errors" not in result, result
    products = result["data"]["topProducts"]
    assert len(products) == items
    assert all(len(p["reviews"]) == 2 and p["reviews"][1]["author"]["name"] for p in products)
    counts = {name: len(s.recorder.requests) for name, s in subgraphs.items()}
    # one root fetch + one _entities request per subgraph per step, whatever the list size
    assert counts == {"products": 1, "reviews": 1, "inventory": 1, "accounts": 1}
    for name in ("reviews", "inventory", "accounts"):
        assert len(subgraphs[name].recorder.entity_calls) == 1
    # every product is represented once; authors (4 distinct users) are deduplicated
    assert len(subgraphs["reviews"].recorder.representations()) == items
    assert len(subgraphs["inventory"].recorder.representations()) == items
    authors = subgraphs["accounts"].recorder.representations()
    assert len(authors) == len({a["id"] for a in authors}) <= 4
    # the gateway's own counter agrees
    for name, count in counts.items():
        assert subgraph_requests_total(after, name) - subgraph_requests_total(before, name) == count


async def test_requires_fields_are_sent_in_representations(
    client: httpx.AsyncClient, subgraphs: dict[str, Served]
) -> None:
    await gql(client, "{ topProducts(first: 2) { shippingEstimate } }")
    reps = subgraphs["inventory"].recorder.representations()
    assert reps == [
        {"__typename": "Product", "upc": "p1", "price": 10, "weight": 1},
        {"__typename": "Product", "upc": "p2", "price": 20, "weight": 2},
    ]
    assert subgraphs["reviews"].recorder.requests == []


async def test_provides_avoids_a_hop(
    client: httpx.AsyncClient, subgraphs: dict[str, Served]
) -> None:
    result = await gql(client, "{ latestReviews { author { username } } }")
    assert result == {"data": {"latestReviews": [{"author": {"username": "provided-u1"}}]}}
    assert subgraphs["accounts"].recorder.requests == []
    result = await gql(client, "{ latestReviews { author { username name } } }")
    assert result["data"]["latestReviews"][0]["author"] == {
        "username": "provided-u1",
        "name": "Name u1",
    }
    assert len(subgraphs["accounts"].recorder.entity_calls) == 1


async def test_plan_is_cached_by_normalised_document(gateway: Gateway) -> None:
    engine = gateway.runtime.engine
    assert engine is not None
    first = engine.prepare("query A { me { id } }", "A")
    second = engine.prepare("query A {\n  me {\n    id\n  }\n}  # comment", "A")
    assert first is second
    assert engine.prepare("query A { me { id name } }", "A").plan is not first.plan


async def test_plan_shape_for_nested_hops(gateway: Gateway) -> None:
    engine = gateway.runtime.engine
    assert engine is not None
    plan = engine.prepare(QUERY_360, None).plan
    described = {(f["subgraph"], tuple(f["paths"][0])): f for f in plan.describe()}
    root = described[("products", ())]
    reviews = described[("reviews", ("topProducts",))]
    inventory = described[("inventory", ("topProducts",))]
    accounts = described[("accounts", ("topProducts", "reviews", "author"))]
    assert reviews["dependsOn"] == inventory["dependsOn"] == [root["id"]]  # independent
    assert accounts["dependsOn"] == [reviews["id"]]  # nested step
    assert len(plan.steps) == 1 and len(plan.fetches) == 4
    assert all(len(f["paths"]) == 1 for f in plan.describe())
    assert "price weight" in str(root["operation"])


async def test_sibling_entity_fetches_share_one_request_per_subgraph(
    client: httpx.AsyncClient, subgraphs: dict[str, Served]
) -> None:
    result = await gql(
        client,
        """{ a: topProducts(first: 2) { reviewCount reviews { forbiddenNote } }
             b: topProducts(first: 3) { inStock reviewCount }
             c: product(upc: "p5") { inStock } }""",
    )
    counts = {name: len(s.recorder.requests) for name, s in subgraphs.items()}
    assert counts == {"products": 1, "reviews": 1, "inventory": 1, "accounts": 0}
    data = result["data"]
    assert [p["reviewCount"] for p in data["a"]] == [2, 2]
    assert [p["inStock"] for p in data["b"]] == [True, False, True]
    assert data["c"] == {"inStock": True}
    # errors inside an aliased `_entities` call still land on the client's paths
    assert sorted(tuple(e["path"]) for e in result["errors"]) == [
        ("a", i, "reviews", j, "forbiddenNote") for i in range(2) for j in range(2)
    ]
    query = subgraphs["inventory"].recorder.requests[0]["query"]
    assert query.count("_entities(") == 2


async def test_independent_fetches_run_concurrently(subgraphs: dict[str, Served]) -> None:
    """Each subgraph answers after 0.5 s: reviews and inventory overlap, accounts waits."""
    transports = {
        name: httpx.ASGITransport(app=gw_toys.subgraph_app(name, gw_toys.Recorder()))
        for name in gw_toys.SCHEMAS
    }
    in_flight = 0
    peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            await asyncio.sleep(0.5)
            return await transports[request.url.host].handle_async_request(request)
        finally:
            in_flight -= 1

    sdls = [
        SubgraphSDL(
            n, f"http://{n}/graphql", s.execute_sync("{ _service { sdl } }").data["_service"]["sdl"]
        )  # type: ignore[index]
        for n, s in gw_toys.SCHEMAS.items()
    ]
    client = SubgraphClient(
        timeout_seconds=5, metrics=GatewayMetrics(), transport=httpx.MockTransport(handler)
    )
    engine = Engine(compose(sdls), client)
    started = time.perf_counter()
    result = await engine.run(QUERY_360, None, {"n": 3}, RequestContext({}, {}, "rid"))
    elapsed = time.perf_counter() - started
    await client.aclose()
    assert "errors" not in result, result
    assert peak == 2  # reviews + inventory at the same time
    assert 1.5 <= elapsed < 1.95  # 3 sequential steps of 0.5 s, not 4
    assert parse(QUERY_360)  # the query itself is valid
