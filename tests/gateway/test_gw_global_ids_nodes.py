"""Global object identification, resolving ids: `node` and `nodes` are a gateway lookup, then
`_entities` at each type's owning subgraph (one call per subgraph, the order kept, a key
fetched once however often it is selected), the rest of the selection as for any entity, and a
refusal of the owner left as a null node with its error. The ids themselves:
`test_gw_global_ids`; the subgraphs: `gw_global_ids_support`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from gw_global_ids_support import ask, entity_queries, node_id, served_subgraphs
from gw_sdl import SdlSubgraph, sdl_engine
from gw_support import Served, gql

from crm_gateway.execution.engine import Engine
from crm_gateway.execution.global_ids import encode_global_id


@pytest.fixture
async def sdl_subgraphs() -> AsyncIterator[dict[str, SdlSubgraph]]:
    yield served_subgraphs()


@pytest.fixture
async def engine(sdl_subgraphs: dict[str, SdlSubgraph]) -> AsyncIterator[Engine]:
    async with sdl_engine(sdl_subgraphs) as served:
        yield served


# ---------------------------------------------------------------- planning


def test_node_is_a_gateway_lookup_then_entities_at_each_owner(engine: Engine) -> None:
    query = "query($id: ID!) { node(nodeId: $id) { nodeId ... on User { name posts { title } } } }"
    lookup, users, post, user_posts = engine.prepare(query, None).plan.describe()
    assert (lookup["subgraph"], lookup["operation"], lookup["dependsOn"]) == ("@gateway", "", [])
    # every type an id may name, at its owning subgraph, after the lookup
    assert (users["subgraph"], users["paths"], users["dependsOn"]) == ("users", [["node"]], [0])
    assert "... on User { __typename email name id }" in str(users["operation"])
    assert "... on Org { __typename code region { name } }" in str(users["operation"])
    assert (post["subgraph"], post["dependsOn"]) == ("posts", [0])
    assert "... on Post { __typename id }" in str(post["operation"])
    # then the rest of the selection, as for any entity
    assert (user_posts["subgraph"], user_posts["dependsOn"]) == ("posts", [users["id"]])
    assert "... on User { posts { title } }" in str(user_posts["operation"])


# ---------------------------------------------------------------- execution


async def test_node_round_trip_for_every_entity_type(
    engine: Engine, sdl_subgraphs: dict[str, SdlSubgraph]
) -> None:
    listed = await ask(
        engine, "{ users { nodeId id org { nodeId title } } posts { nodeId id author { nodeId } } }"
    )
    assert "errors" not in listed, listed
    ann, bob = listed["data"]["users"]
    post = listed["data"]["posts"][0]
    assert ann["nodeId"] == node_id("User", {"email": "ann@x"})
    assert ann["nodeId"] == encode_global_id("User", {"email": "ann@x"})
    assert ann["id"] == "u1"  # the type's own id is unchanged
    assert ann["org"]["nodeId"] == node_id("Org", {"code": "o1", "region": {"name": "north"}})
    assert post["author"]["nodeId"] == ann["nodeId"]
    query = """query($id: ID!) { node(nodeId: $id) { __typename nodeId
      ... on User { id name posts { title } } ... on Org { title } ... on Post { title } } }"""
    found = []
    for object_id in (ann["nodeId"], bob["nodeId"], ann["org"]["nodeId"], post["nodeId"]):
        answer = await ask(engine, query, id=object_id)
        assert "errors" not in answer, answer
        found.append(answer["data"]["node"])
    assert found == [
        {
            "__typename": "User",
            "nodeId": ann["nodeId"],
            "id": "u1",
            "name": "Ann",
            "posts": [{"title": "Hello"}],  # from the other subgraph, as for any entity
        },
        {"__typename": "User", "nodeId": bob["nodeId"], "id": "u2", "name": "Bob", "posts": []},
        {"__typename": "Org", "nodeId": ann["org"]["nodeId"], "title": "Org One"},
        {"__typename": "Post", "nodeId": post["nodeId"], "title": "Hello"},
    ]


async def test_nodes_batch_per_subgraph_and_keep_the_order(
    engine: Engine, sdl_subgraphs: dict[str, SdlSubgraph]
) -> None:
    ann = node_id("User", {"email": "ann@x"})
    bob = node_id("User", {"email": "bob@x"})
    org = node_id("Org", {"code": "o1", "region": {"name": "north"}})
    post = node_id("Post", {"id": "p1"})
    nobody = node_id("User", {"email": "nobody@x"})
    query = """query($ids: [ID!]!) { nodes(nodeIds: $ids) { __typename nodeId
      ... on User { name } ... on Org { title } ... on Post { title } } }"""
    answer = await ask(engine, query, ids=[ann, post, bob, org, ann, nobody])
    assert "errors" not in answer, answer
    names = [
        n and (n["__typename"], n.get("name") or n.get("title")) for n in answer["data"]["nodes"]
    ]
    assert names == [
        ("User", "Ann"),
        ("Post", "Hello"),
        ("User", "Bob"),
        ("Org", "Org One"),
        ("User", "Ann"),
        None,  # a well-formed id of nothing: null, as the subgraph answers
    ]
    # one `_entities` call per subgraph, with every representation for it (duplicates once)
    (users_call,) = entity_queries(sdl_subgraphs["users"])
    (posts_call,) = entity_queries(sdl_subgraphs["posts"])
    assert "... on User" in users_call and "... on Org" in users_call
    assert "... on Post" in posts_call


async def test_skipped_lookups_send_nothing(
    engine: Engine, sdl_subgraphs: dict[str, SdlSubgraph]
) -> None:
    query = """query($id: ID!, $no: Boolean!) {
      node(nodeId: $id) @include(if: $no) { nodeId }
      ... @skip(if: true) { again: node(nodeId: $id) { nodeId } }
      posts { id }
    }"""
    answer = await ask(engine, query, id=node_id("Post", {"id": "p1"}), no=False)
    assert answer == {"data": {"posts": [{"id": "p1"}]}}
    assert not any(entity_queries(s) for s in sdl_subgraphs.values())


async def test_a_refusal_of_the_owning_subgraph_leaves_the_node_null(engine: Engine) -> None:
    query = "query($id: ID!) { node(nodeId: $id) { nodeId ... on Post { title } } }"
    answer = await ask(engine, query, id=node_id("Post", {"id": "secret"}))
    assert answer["data"] == {"node": None}
    (error,) = answer["errors"]
    assert error["path"] == ["node"]
    assert error["extensions"] == {"code": "FORBIDDEN", "serviceName": "posts"}


async def test_a_node_selected_in_two_places_is_looked_up_once(
    engine: Engine, sdl_subgraphs: dict[str, SdlSubgraph]
) -> None:
    query = """query($id: ID!, $one: Boolean!, $two: Boolean!) {
      node(nodeId: $id) @include(if: $one) { ... on User { name } }
      ... @include(if: $two) { node(nodeId: $id) { ... on User { posts { title } } } }
    }"""
    ann = node_id("User", {"email": "ann@x"})
    both = await ask(engine, query, id=ann, one=True, two=True)
    assert both == {"data": {"node": {"name": "Ann", "posts": [{"title": "Hello"}]}}}
    assert len(entity_queries(sdl_subgraphs["users"])) == 1
    second = await ask(engine, query, id=ann, one=False, two=True)
    assert second == {"data": {"node": {"posts": [{"title": "Hello"}]}}}
    neither = await ask(engine, query, id=ann, one=False, two=False)
    assert neither == {"data": {}}
    assert len(entity_queries(sdl_subgraphs["users"])) == 2  # none for the last one


# ---------------------------------------------------------------- the strawberry toys (gw_toys)


async def test_toys_node_round_trip_across_subgraphs_with_requires(
    client: httpx.AsyncClient, subgraphs: dict[str, Served]
) -> None:
    query = """query($id: ID!) { node(nodeId: $id) { nodeId
      ... on Product { name reviewCount inStock shippingEstimate } } }"""
    product = node_id("Product", {"upc": "p3"})
    answer = await gql(client, query, {"id": product})
    assert answer == {
        "data": {
            "node": {
                "nodeId": product,
                "name": "Product 3",
                "reviewCount": 2,
                "inStock": True,
                "shippingEstimate": 0,  # @requires(price weight), from products first
            }
        }
    }
    (products_call,) = subgraphs["products"].recorder.entity_calls
    assert products_call["variables"]["representations"] == [{"__typename": "Product", "upc": "p3"}]
    (inventory_call,) = subgraphs["inventory"].recorder.entity_calls
    (rep,) = inventory_call["variables"]["representations"]
    assert rep == {"__typename": "Product", "upc": "p3", "price": 30, "weight": 3}


async def test_toys_nodes_batch_one_call_per_owner(
    client: httpx.AsyncClient, subgraphs: dict[str, Served]
) -> None:
    ids = [node_id("Product", {"upc": f"p{i}"}) for i in (1, 2)] + [node_id("User", {"id": "u7"})]
    query = """query($ids: [ID!]!) { nodes(nodeIds: $ids) { __typename
      ... on Product { name } ... on User { userName: name } } }"""
    answer = await gql(client, query, {"ids": ids})
    assert answer["data"]["nodes"] == [
        {"__typename": "Product", "name": "Product 1"},
        {"__typename": "Product", "name": "Product 2"},
        {"__typename": "User", "userName": "Name u7"},
    ]
    assert len(subgraphs["products"].recorder.entity_calls) == 1
    assert len(subgraphs["accounts"].recorder.entity_calls) == 1
    assert subgraphs["reviews"].recorder.requests == []
