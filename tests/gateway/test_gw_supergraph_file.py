# ruff: noqa: E501 -- the fixture keeps the one-line directive definitions of composition
"""Supergraph input from a composed `join__` supergraph SDL file (as rover produces)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from gw_support import Served, gateway_settings, gql, start_gateway

from crm_gateway.composition.api_schema import print_api_sdl
from crm_gateway.composition.supergraph import CompositionError
from crm_gateway.composition.supergraph_sdl import load_supergraph_sdl

SUPERGRAPH = """
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)
  @link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)
{
  query: Query
}

directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE
directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE
directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA
directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION

scalar join__FieldSet
scalar link__Import
enum link__Purpose { SECURITY EXECUTION }

enum join__Graph {
  INVENTORY @join__graph(name: "inventory", url: "{inventory}")
  PRODUCTS @join__graph(name: "products", url: "{products}")
  REVIEWS @join__graph(name: "reviews", url: "{reviews}")
}

type Product
  @join__type(graph: INVENTORY, key: "upc")
  @join__type(graph: PRODUCTS, key: "upc")
  @join__type(graph: REVIEWS, key: "upc")
{
  upc: String!
  name: String @join__field(graph: PRODUCTS)
  price: Int @join__field(graph: INVENTORY, external: true) @join__field(graph: PRODUCTS)
  weight: Int @join__field(graph: INVENTORY, external: true) @join__field(graph: PRODUCTS)
  internalCode: String @inaccessible @join__field(graph: PRODUCTS)
  inStock: Boolean! @join__field(graph: INVENTORY)
  shippingEstimate: Int @join__field(graph: INVENTORY, requires: "price weight")
  reviews: [Review!]! @join__field(graph: REVIEWS)
  reviewCount: Int! @join__field(graph: REVIEWS)
}

type Query
  @join__type(graph: INVENTORY)
  @join__type(graph: PRODUCTS)
  @join__type(graph: REVIEWS)
{
  topProducts(first: Int! = 3): [Product!]! @join__field(graph: PRODUCTS)
  product(upc: String!): Product @join__field(graph: PRODUCTS)
  latestReviews: [Review!]! @join__field(graph: REVIEWS)
  warehouseName: String! @join__field(graph: INVENTORY)
}

type Review @join__type(graph: REVIEWS) {
  id: ID!
  body: String!
  author: User! @join__field(graph: REVIEWS, provides: "username")
}

type User @join__type(graph: REVIEWS, key: "id") {
  id: ID!
  username: String @join__field(graph: REVIEWS, external: true)
}
"""


def render(subgraphs: dict[str, Served]) -> str:
    text = SUPERGRAPH
    for name in ("inventory", "products", "reviews"):
        text = text.replace("{" + name + "}", subgraphs[name].url)
    return text


def test_join_supergraph_is_read_into_the_model() -> None:
    supergraph = load_supergraph_sdl(SUPERGRAPH)
    assert set(supergraph.subgraphs) == {"inventory", "products", "reviews"}
    product = supergraph.types["Product"]
    assert product.subgraphs == ["inventory", "products", "reviews"]
    assert [k.fields for k in product.keys["reviews"]] == ["upc"]
    price = product.fields["price"]
    assert price.resolving_subgraphs() == ["products"]
    assert price.sources["inventory"].external is True
    assert product.fields["shippingEstimate"].sources["inventory"].requires == "price weight"
    assert product.fields["upc"].resolving_subgraphs() == ["inventory", "products", "reviews"]
    sdl = print_api_sdl(supergraph)
    assert "internalCode" not in sdl and "join__" not in sdl and "link__" not in sdl


def test_not_a_supergraph_is_refused_readably() -> None:
    with pytest.raises(CompositionError, match="no join__Graph enum"):
        load_supergraph_sdl("type Query { a: Int }")
    with pytest.raises(CompositionError, match="does not parse"):
        load_supergraph_sdl("type Query {")


async def test_gateway_serves_a_supergraph_file(
    subgraphs: dict[str, Served], token: str, tmp_path: Path
) -> None:
    path = tmp_path / "supergraph.graphql"
    path.write_text(render(subgraphs), encoding="utf-8")
    gateway = await start_gateway(gateway_settings({}, supergraph_file=str(path)))
    try:
        async with httpx.AsyncClient(
            base_url=gateway.base, headers={"authorization": f"Bearer {token}"}
        ) as http:
            result = await gql(
                http,
                """{ topProducts(first: 2) { name shippingEstimate reviews { author { username } } }
                    warehouseName }""",
            )
            assert "errors" not in result, result
            assert result["data"]["warehouseName"] == "Main"
            assert result["data"]["topProducts"][1] == {
                "name": "Product 2",
                "shippingEstimate": 4,
                "reviews": [
                    {"author": {"username": "provided-u2"}},
                    {"author": {"username": "provided-u3"}},
                ],
            }
            assert [r["upc"] for r in subgraphs["inventory"].recorder.representations()] == [
                "p1",
                "p2",
            ]
            ready = await http.get("/readyz")
            assert ready.status_code == 200
            assert ready.json()["supergraph"]["source"] == f"file:{path}"
            assert set(ready.json()["subgraphs"]) == {"inventory", "products", "reviews"}
    finally:
        await gateway.served.stop()
