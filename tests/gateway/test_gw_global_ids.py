"""Global object identification, the ids themselves: the `Node` interface the gateway adds to
the public schema (or leaves out), `nodeId` on every entity type built from its key (fetched
where the key fields are), and malformed or foreign ids refused before any subgraph is asked.
Resolving `node` / `nodes`: `test_gw_global_ids_nodes`; the subgraphs: `gw_global_ids_support`."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import httpx
import pytest
from graphql import GraphQLInterfaceType, GraphQLObjectType
from gw_global_ids_support import (
    ask,
    entity_queries,
    node_id,
    posts_subgraph,
    served_subgraphs,
    users_subgraph,
)
from gw_sdl import LINK, SdlSubgraph, sdl_engine
from gw_support import gql

from crm_gateway.composition.compose import SubgraphSDL, compose
from crm_gateway.composition.nodes import add_global_ids
from crm_gateway.execution.engine import Engine
from crm_gateway.metrics import GatewayMetrics
from crm_gateway.transport.client import SubgraphClient


@pytest.fixture
async def sdl_subgraphs() -> AsyncIterator[dict[str, SdlSubgraph]]:
    yield served_subgraphs()


@pytest.fixture
async def engine(sdl_subgraphs: dict[str, SdlSubgraph]) -> AsyncIterator[Engine]:
    async with sdl_engine(sdl_subgraphs) as served:
        yield served


# ---------------------------------------------------------------- composition


def test_every_entity_type_implements_node_and_keeps_its_id(engine: Engine) -> None:
    schema = engine.schema
    node = schema.get_type("Node")
    assert isinstance(node, GraphQLInterfaceType)
    assert {name: str(f.type) for name, f in node.fields.items()} == {"nodeId": "ID!"}
    implementing = {t.name for t in schema.get_possible_types(node)}
    assert implementing == {"User", "Org", "Post"}  # Region has no key: no node
    for name in implementing:
        object_type = schema.get_type(name)
        assert isinstance(object_type, GraphQLObjectType)
        assert str(object_type.fields["nodeId"].type) == "ID!"
    user = schema.get_type("User")
    assert isinstance(user, GraphQLObjectType) and str(user.fields["id"].type) == "ID!"
    query = schema.query_type
    assert query is not None
    assert str(query.fields["node"].type) == "Node"
    assert {n: str(a.type) for n, a in query.fields["node"].args.items()} == {"nodeId": "ID!"}
    assert str(query.fields["nodes"].type) == "[Node]!"
    assert {n: str(a.type) for n, a in query.fields["nodes"].args.items()} == {"nodeIds": "[ID!]!"}
    owners = {n: (t.subgraph, t.key.fields) for n, t in engine.supergraph.node_types.items()}
    assert owners == {
        "User": ("users", "email"),
        "Org": ("users", "code region { name }"),
        "Post": ("posts", "id"),
    }


def test_a_supergraph_with_its_own_node_is_left_as_it_is() -> None:
    sdl = """
    type Query { node(id: ID!): Node }
    interface Node { id: ID! }
    type Thing implements Node @key(fields: "id") { id: ID! }
    """
    supergraph = compose([SubgraphSDL("things", "http://things", LINK + sdl)])
    assert add_global_ids(supergraph) == "the supergraph already defines Node, Query.node"
    assert supergraph.node_types == {}
    assert "nodeId" not in supergraph.types["Thing"].fields
    assert "nodes" not in supergraph.types["Query"].fields


async def test_global_object_identification_can_be_turned_off() -> None:
    sdls = [
        SubgraphSDL(name, f"http://{name}", LINK + sub.sdl)
        for name, sub in (("users", users_subgraph()), ("posts", posts_subgraph()))
    ]
    client = SubgraphClient(timeout_seconds=1, metrics=GatewayMetrics())
    try:
        engine = Engine(compose(sdls), client, global_ids=False)
    finally:
        await client.aclose()
    assert engine.schema.get_type("Node") is None
    query = engine.schema.query_type
    assert query is not None and "node" not in query.fields
    assert engine.supergraph.node_types == {}


# ---------------------------------------------------------------- encoding: nodeId


def test_node_id_fetches_the_key_fields_where_they_are(engine: Engine) -> None:
    plan = engine.prepare("{ posts { author { nodeId } } }", None).plan.describe()
    # posts knows users by `id` only: `email`, the key of User's global id, comes from users
    assert [(step["subgraph"], step["entity"]) for step in plan] == [
        ("posts", False),
        ("users", True),
    ]
    assert "author { id __typename }" in str(plan[0]["operation"])
    assert "... on User { email }" in str(plan[1]["operation"])


async def test_toys_node_ids_below_unions_interfaces_and_provides(
    client: httpx.AsyncClient,
) -> None:
    product = node_id("Product", {"upc": "p1"})
    answer = await gql(
        client,
        """{
          topProducts(first: 1) { nodeId upc }
          search(text: "x") { ... on Node { nodeId } ... on Category { id } }
          accounts { __typename ... on Node { nodeId } ... on Admin { level } }
          latestReviews { author { nodeId username } }
        }""",
    )
    assert answer == {
        "data": {
            "topProducts": [{"nodeId": product, "upc": "p1"}],
            "search": [
                {"nodeId": product},
                {"id": "c1"},  # a Category has no key: no global id
                {"nodeId": node_id("Product", {"upc": "p2"})},
            ],
            "accounts": [
                {"__typename": "User", "nodeId": node_id("User", {"id": "u2"})},
                {"__typename": "Admin", "level": 9},
            ],
            "latestReviews": [
                {"author": {"nodeId": node_id("User", {"id": "u1"}), "username": "provided-u1"}}
            ],
        }
    }


# ---------------------------------------------------------------- decoding: refused ids


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("not base64 !", "Not a valid node id"),
        (base64.b64encode(b"no colon").decode(), "Not a valid node id"),
        (node_id("Region", {"name": "north"}), "The node id does not name a type with global ids"),
        (node_id("Nope", {"id": "1"}), "The node id does not name a type with global ids"),
        (node_id("User", {"id": "u1"}), "Not a valid node id"),  # not the key of the id
        (node_id("User", {"email": {"$ne": None}}), "Not a valid node id"),
        (node_id("User", {"email": "ann@x", "role": "ADMIN"}), "Not a valid node id"),
        (node_id("Org", {"code": "o1", "region": "north"}), "Not a valid node id"),
    ],
)
async def test_bad_ids_are_null_with_a_typed_error(
    engine: Engine, sdl_subgraphs: dict[str, SdlSubgraph], bad: str, message: str
) -> None:
    answer = await ask(engine, "query($id: ID!) { node(nodeId: $id) { nodeId } }", id=bad)
    assert answer["data"] == {"node": None}
    (error,) = answer["errors"]
    assert error["path"] == ["node"] and error["message"] == message
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fieldErrors"] == [
        {"field": "nodeId", "code": "INVALID_NODE_ID", "message": message}
    ]
    assert not any(entity_queries(s) for s in sdl_subgraphs.values())  # nothing reached them


async def test_bad_ids_in_a_list_fail_alone(engine: Engine) -> None:
    good = node_id("Post", {"id": "p1"})
    answer = await ask(engine, f'{{ nodes(nodeIds: ["{good}", "garbled"]) {{ nodeId }} }}')
    assert answer["data"] == {"nodes": [{"nodeId": good}, None]}
    (error,) = answer["errors"]
    assert error["path"] == ["nodes", 1]
    assert error["extensions"]["fieldErrors"][0]["field"] == "nodeIds[1]"


async def test_too_many_ids_are_refused(
    engine: Engine, sdl_subgraphs: dict[str, SdlSubgraph]
) -> None:
    ids = [node_id("Post", {"id": f"p{i}"}) for i in range(101)]
    answer = await ask(engine, "query($ids: [ID!]!) { nodes(nodeIds: $ids) { nodeId } }", ids=ids)
    assert answer["data"] is None
    assert answer["errors"][0]["extensions"]["fieldErrors"][0]["code"] == "TOO_MANY"
    assert not any(entity_queries(s) for s in sdl_subgraphs.values())
