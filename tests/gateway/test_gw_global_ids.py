"""Global object identification: the `Node` interface the gateway adds to the public schema,
`nodeId` on every entity type, and `node` / `nodes` resolved through `_entities` at the type's
owning subgraph (subgraphs written as SDL in `gw_sdl`, served over HTTP)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from graphql import GraphQLError, GraphQLInterfaceType, GraphQLObjectType
from gw_sdl import LINK, SdlSubgraph, sdl_engine
from gw_support import Served, gql

from crm_gateway.composition.compose import SubgraphSDL, compose
from crm_gateway.composition.nodes import add_global_ids
from crm_gateway.execution.engine import Engine
from crm_gateway.execution.global_ids import encode_global_id
from crm_gateway.execution.state import RequestContext
from crm_gateway.metrics import GatewayMetrics
from crm_gateway.transport.client import SubgraphClient

ORG: dict[str, Any] = {"code": "o1", "region": {"name": "north"}, "title": "Org One"}
ORGS: dict[tuple[str, str], dict[str, Any]] = {("o1", "north"): ORG}
USERS: dict[str, dict[str, Any]] = {
    "u1": {"id": "u1", "email": "ann@x", "name": "Ann", "org": ORG},
    "u2": {"id": "u2", "email": "bob@x", "name": "Bob", "org": None},
}
POSTS: dict[str, dict[str, Any]] = {"p1": {"id": "p1", "title": "Hello", "author": {"id": "u1"}}}


def _user(rep: dict[str, Any]) -> dict[str, Any] | None:
    if "id" in rep:
        return USERS.get(rep["id"])
    return next((u for u in USERS.values() if u["email"] == rep.get("email")), None)


def _post(rep: dict[str, Any]) -> dict[str, Any] | None:
    if rep["id"] == "secret":  # what a subgraph's access check answers
        raise GraphQLError("Not allowed", extensions={"code": "FORBIDDEN"})
    return POSTS.get(rep["id"])


def users_subgraph() -> SdlSubgraph:
    # User's first key is `email`: posts only knows users by `id`
    return SdlSubgraph(
        """
        type Query { users: [User!]! }
        type User @key(fields: "email") @key(fields: "id") {
          id: ID!
          email: String!
          name: String!
          org: Org
        }
        type Org @key(fields: "code region { name }") {
          code: String!
          region: Region!
          title: String!
        }
        type Region { name: String! }
        """,
        root={"users": list(USERS.values())},
        entities={
            "User": _user,
            "Org": lambda rep: ORGS.get((rep["code"], rep["region"]["name"])),
        },
    )


def posts_subgraph() -> SdlSubgraph:
    return SdlSubgraph(
        """
        type Query { posts: [Post!]! }
        type Post @key(fields: "id") { id: ID! title: String! author: User! }
        type User @key(fields: "id") { id: ID! posts: [Post!]! }
        """,
        root={"posts": list(POSTS.values())},
        entities={
            "Post": _post,
            "User": lambda rep: {
                "id": rep["id"],
                "posts": [p for p in POSTS.values() if p["author"]["id"] == rep["id"]],
            },
        },
    )


@pytest.fixture
async def sdl_subgraphs() -> AsyncIterator[dict[str, SdlSubgraph]]:
    yield {"users": users_subgraph(), "posts": posts_subgraph()}


@pytest.fixture
async def engine(sdl_subgraphs: dict[str, SdlSubgraph]) -> AsyncIterator[Engine]:
    async with sdl_engine(sdl_subgraphs) as served:
        yield served


async def ask(engine: Engine, query: str, **variables: Any) -> dict[str, Any]:
    return await engine.run(query, None, variables, RequestContext({}, {}, "rid"))


def entity_queries(subgraph: SdlSubgraph) -> list[str]:
    return [q for q in subgraph.queries if "_entities" in q]


def node_id(type_name: str, key: dict[str, Any]) -> str:
    raw = type_name.encode() + b":" + orjson.dumps(key)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


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


# ---------------------------------------------------------------- planning


def test_node_id_fetches_the_key_fields_where_they_are(engine: Engine) -> None:
    plan = engine.prepare("{ posts { author { nodeId } } }", None).plan.describe()
    # posts knows users by `id` only: `email`, the key of User's global id, comes from users
    assert [(step["subgraph"], step["entity"]) for step in plan] == [
        ("posts", False),
        ("users", True),
    ]
    assert "author { id __typename }" in str(plan[0]["operation"])
    assert "... on User { email }" in str(plan[1]["operation"])


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


# ---------------------------------------------------------------- the strawberry toys (gw_toys)


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
