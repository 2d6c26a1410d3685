"""Planning: batching per subgraph per step, dedupe, @provides/@requires, concurrency, cache."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import gw_toys
import httpx
import pytest
from graphql import parse
from gw_support import Gateway, Served, gql, make_token, serve

from crm_gateway.composition.compose import SubgraphSDL, compose
from crm_gateway.execution.engine import Engine
from crm_gateway.execution.state import RequestContext
from crm_gateway.metrics import GatewayMetrics
from crm_gateway.transport.client import SubgraphClient

QUERY_360 = """query Top($n: Int!) { topProducts(first: $n) {
    name inStock shippingEstimate reviews { body author { name } } } }"""


def subgraph_requests_total(metrics_text: str, subgraph: str) -> float:
    match = re.search(
        rf'^gateway_subgraph_requests_total{{subgraph="{subgraph}"}} (\S+)$', metrics_text, re.M
    )
    return float(match.group(1)) if match else 0.0


# 120 items: far more than one, well within the 1 s subgraph timeout on a busy CI machine
@pytest.mark.parametrize("items", [3, 120])
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


async def test_independent_fetches_run_concurrently() -> None:
    """Each subgraph answers after 0.3 s: products first; reviews and inventory overlap;
    accounts (authors of the reviews) waits for reviews."""
    spans: dict[str, list[tuple[float, float]]] = {}

    def delayed(name: str, app: Any) -> Any:
        async def wrapper(scope: Any, receive: Any, send: Any) -> None:
            begun = time.perf_counter()
            await asyncio.sleep(0.3)
            await app(scope, receive, send)
            spans.setdefault(name, []).append((begun, time.perf_counter()))

        return wrapper

    served = {
        name: await serve(
            delayed(name, gw_toys.subgraph_app(name, gw_toys.Recorder())), lifespan="off"
        )
        for name in gw_toys.SCHEMAS
    }
    sdls = [
        SubgraphSDL(n, served[n][0], s.execute_sync("{ _service { sdl } }").data["_service"]["sdl"])  # type: ignore[index]
        for n, s in gw_toys.SCHEMAS.items()
    ]
    client = SubgraphClient(timeout_seconds=10, metrics=GatewayMetrics())
    engine = Engine(compose(sdls), client)
    try:
        result = await engine.run(QUERY_360, None, {"n": 3}, RequestContext({}, {}, "rid"))
    finally:
        await client.aclose()
        for _, _, server, task in served.values():
            server.should_exit = True
            await asyncio.wait_for(task, 10)
    assert "errors" not in result, result
    assert {name: len(found) for name, found in spans.items()} == {
        "products": 1,
        "reviews": 1,
        "inventory": 1,
        "accounts": 1,
    }
    (products,), (reviews,), (inventory,), (accounts,) = (
        spans[n] for n in ("products", "reviews", "inventory", "accounts")
    )
    assert products[1] <= min(reviews[0], inventory[0])  # step 1, then step 2
    assert reviews[0] < inventory[1] and inventory[0] < reviews[1]  # step 2 overlaps
    assert accounts[0] >= reviews[1]  # step 3 waits for the reviews
    assert parse(QUERY_360)  # the query itself is valid


async def test_identical_query_fetches_in_flight_share_one_request(
    gateway: Gateway, subgraphs: dict[str, Served], token: str
) -> None:
    other = make_token(sub="u-2")
    reviews = subgraphs["reviews"]

    async def ask(bearer: str, ms: int = 300) -> dict[str, Any]:
        async with httpx.AsyncClient(
            base_url=gateway.base, headers={"authorization": f"Bearer {bearer}"}
        ) as http:
            return await gql(http, "query($ms: Int!) { nap(ms: $ms) }", {"ms": ms})

    results = await asyncio.gather(*(ask(token) for _ in range(6)), ask(other), ask(other))
    assert [r["data"]["nap"] for r in results] == [token[-6:]] * 6 + [other[-6:]] * 2
    # one request per distinct (body, authorization): callers never share another user's answer
    assert len(reviews.recorder.requests) == 2
    reviews.recorder.reset()
    await asyncio.gather(ask(token, 10), ask(token, 20))  # different variables: not shared
    assert len(reviews.recorder.requests) == 2
    async with httpx.AsyncClient(base_url=gateway.base) as http:
        metrics = (await http.get("/metrics")).text
    assert re.search(
        r'^gateway_subgraph_deduplicated_total{subgraph="reviews"} [1-9]', metrics, re.M
    )
