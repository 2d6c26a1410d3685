"""Edge protection over real HTTP: limits, cost, request size, batching, APQ, safelist, rate
limits, CORS, compression, introspection and suggestions off by default."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from gw_support import Gateway, Served, gateway_settings, gql, make_token, start_gateway

from crm_gateway.settings import GatewaySettings


def sha(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


@pytest.fixture(scope="module")
async def guarded(subgraphs: dict[str, Served]) -> AsyncIterator[Gateway]:
    handle = await start_gateway(
        gateway_settings(
            subgraphs,
            max_depth=4,
            max_aliases=3,
            max_root_fields=3,
            max_tokens=120,
            max_cost=60,
            max_request_bytes=3000,
            max_batch=3,
            cors_origins=("https://app.example.com",),
            compression_min_bytes=100,
            introspection=False,
        )
    )
    yield handle
    await handle.served.stop()


@pytest.fixture
async def http(guarded: Gateway, token: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=guarded.base, headers={"authorization": f"Bearer {token}"}, timeout=30
    ) as client:
        yield client


def limit_of(result: dict[str, Any]) -> tuple[str, str]:
    extensions = result["errors"][0]["extensions"]
    return extensions["code"], extensions.get("limit", "")


async def test_depth_limit(http: httpx.AsyncClient) -> None:
    ok = "{ topProducts(first: 1) { reviews { author { id } } } }"  # depth 4
    assert (await gql(http, ok))["data"]["topProducts"][0]["reviews"][0]["author"]["id"]
    deep = "{ topProducts(first: 1) { reviews { author { reviews { id } } } } }"
    result = await gql(http, deep)
    assert "data" not in result
    assert limit_of(result) == ("BAD_REQUEST", "depth")
    assert result["errors"][0]["extensions"]["actual"] == 5


async def test_alias_and_root_field_limits(http: httpx.AsyncClient) -> None:
    aliases = "{ a: me { id } b: me { id } c: me { id } d: me { id } }"
    assert limit_of(await gql(http, aliases)) == ("BAD_REQUEST", "aliases")
    roots = "{ me { id } warehouseName latestReviews { id } accounts { id } }"
    assert limit_of(await gql(http, roots)) == ("BAD_REQUEST", "rootFields")
    three = "{ me { id } warehouseName latestReviews { id } }"
    assert "errors" not in await gql(http, three)


async def test_token_limit(http: httpx.AsyncClient) -> None:
    fields = " ".join(["id"] * 150)
    result = await gql(http, f"{{ me {{ {fields} }} }}")
    assert limit_of(result) == ("BAD_REQUEST", "tokens")


async def test_cost_uses_list_size_arguments_and_variables(http: httpx.AsyncClient) -> None:
    # cost = first * (1 + 1 + 1): topProducts, upc, name per product
    assert "errors" not in await gql(http, "{ topProducts(first: 3) { upc name } }")
    result = await gql(http, "{ topProducts(first: 30) { upc name } }")
    assert limit_of(result) == ("BAD_REQUEST", "cost")
    assert result["errors"][0]["extensions"]["actual"] == 90
    query = "query($n: Int!) { topProducts(first: $n) { upc name } }"
    assert "errors" not in await gql(http, query, {"n": 3})
    assert limit_of(await gql(http, query, {"n": 30})) == ("BAD_REQUEST", "cost")
    # a list without a size argument counts the default list size (10):
    # first * (1 + 10 * (1 + 1 + 1)) = 31 for one product, 62 for two
    assert "errors" not in await gql(http, "{ topProducts(first: 1) { reviews { id body } } }")
    result = await gql(http, "{ topProducts(first: 2) { reviews { id body } } }")
    assert limit_of(result) == ("BAD_REQUEST", "cost")
    assert result["errors"][0]["extensions"]["actual"] == 62


async def test_request_size_limit(http: httpx.AsyncClient) -> None:
    padding = "#" + "x" * 4000 + "\n"
    response = await http.post("/graphql", json={"query": padding + "{ me { id } }"})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["limit"] == "requestSize"


async def test_batches_are_capped(http: httpx.AsyncClient) -> None:
    batch = [{"query": "{ me { id } }"}, {"query": "{ warehouseName }"}]
    response = await http.post("/graphql", json=batch)
    assert response.json() == [{"data": {"me": {"id": "u1"}}}, {"data": {"warehouseName": "Main"}}]
    response = await http.post("/graphql", json=batch * 2)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["limit"] == "batch"


async def test_introspection_and_suggestions_are_off(http: httpx.AsyncClient) -> None:
    result = await gql(http, "{ __schema { queryType { name } } }")
    assert result["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    result = await gql(http, "{ topProduct { upc } }")
    message = result["errors"][0]["message"]
    assert "topProduct" in message and "Did you mean" not in message
    defaults = GatewaySettings()  # development: introspection on (production: test_gw_edge_modes)
    assert defaults.introspection is True and defaults.field_suggestions is False


async def test_automatic_persisted_queries(http: httpx.AsyncClient) -> None:
    query = "query Apq { me { id name } }"
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha(query)}}
    miss = (await http.post("/graphql", json={"extensions": extensions})).json()
    assert miss["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    registered = await http.post("/graphql", json={"query": query, "extensions": extensions})
    assert registered.json() == {"data": {"me": {"id": "u1", "name": "Name u1"}}}
    hit = await http.post("/graphql", json={"extensions": extensions})
    assert hit.json() == registered.json()
    got = await http.get("/graphql", params={"extensions": orjson.dumps(extensions).decode()})
    assert got.json() == registered.json()
    wrong = {"persistedQuery": {"version": 1, "sha256Hash": sha("{ me { id } }")}}
    mismatch = (await http.post("/graphql", json={"query": query, "extensions": wrong})).json()
    assert mismatch["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_safelist_only_runs_registered_operations(
    subgraphs: dict[str, Served], token: str, tmp_path: Path
) -> None:
    listed = "query Listed { me { id } }"
    manifest = tmp_path / "manifest.json"
    manifest.write_bytes(
        orjson.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "operations": [
                    {"id": sha(listed), "name": "Listed", "type": "query", "body": listed}
                ],
            }
        )
    )
    handle = await start_gateway(gateway_settings(subgraphs, safelist_file=str(manifest)))
    try:
        async with httpx.AsyncClient(
            base_url=handle.base, headers={"authorization": f"Bearer {token}"}
        ) as client:
            by_hash = {"persistedQuery": {"version": 1, "sha256Hash": sha(listed)}}
            assert (await gql(client, listed))["data"] == {"me": {"id": "u1"}}
            response = await client.post("/graphql", json={"extensions": by_hash})
            assert response.json() == {"data": {"me": {"id": "u1"}}}
            other = await gql(client, "{ me { id name } }")
            assert other["errors"][0]["extensions"]["code"] == "FORBIDDEN"
            unknown = {"persistedQuery": {"version": 1, "sha256Hash": sha("{ me { name } }")}}
            response = await client.post("/graphql", json={"extensions": unknown})
            assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    finally:
        await handle.served.stop()


async def test_rate_limits_per_user_and_per_client(subgraphs: dict[str, Served]) -> None:
    handle = await start_gateway(
        gateway_settings(subgraphs, rate_limit_user=3, rate_limit_client=5)
    )
    alice = {"authorization": f"Bearer {make_token(sub='alice')}"}
    bob = {"authorization": f"Bearer {make_token(sub='bob')}"}
    query = {"query": "{ warehouseName }"}
    try:
        async with httpx.AsyncClient(base_url=handle.base) as client:
            for _ in range(3):
                assert (await client.post("/graphql", json=query, headers=alice)).status_code == 200
            limited = await client.post("/graphql", json=query, headers=alice)
            assert limited.status_code == 429
            assert 1 <= int(limited.headers["retry-after"]) <= 20
            error = limited.json()["errors"][0]
            assert error["extensions"]["code"] == "RATE_LIMITED"
            assert error["extensions"]["scope"] == "user"
            assert (await client.post("/graphql", json=query, headers=bob)).status_code == 200
            # per client id: bob with the mobile app's id, then other users with it
            mobile = {"x-client-id": "ios-app"}
            carol = {"authorization": f"Bearer {make_token(sub='carol')}", **mobile}
            dave = {"authorization": f"Bearer {make_token(sub='dave')}", **mobile}
            statuses = [
                (await client.post("/graphql", json=query, headers=who)).status_code
                for who in (carol, carol, carol, dave, dave, dave)
            ]
            assert statuses == [200, 200, 200, 200, 200, 429]
            assert handle.runtime.metrics.rate_limited.value(scope="client") == 1
    finally:
        await handle.served.stop()


async def test_cors_preflight_and_compression(guarded: Gateway, token: str) -> None:
    async with httpx.AsyncClient(base_url=guarded.base) as client:
        preflight = await client.options(
            "/graphql",
            headers={
                "origin": "https://app.example.com",
                "access-control-request-method": "POST",
                "access-control-request-headers": "authorization,content-type",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://app.example.com"
        foreign = await client.options(
            "/graphql",
            headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
        )
        assert "access-control-allow-origin" not in foreign.headers
        response = await client.post(
            "/graphql",
            json={"query": "{ topProducts(first: 3) { upc name price weight } }"},
            headers={"authorization": f"Bearer {token}", "accept-encoding": "gzip"},
        )
        assert response.headers["content-encoding"] == "gzip"
        assert len(response.json()["data"]["topProducts"]) == 3
        raw = await client.post(
            "/graphql",
            json={"query": "{ warehouseName }"},
            headers={"authorization": f"Bearer {token}", "accept-encoding": "gzip"},
        )
        assert "content-encoding" not in raw.headers  # below the minimum size
