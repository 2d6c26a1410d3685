"""The subgraphs and helpers of the global-id tests (`test_gw_global_ids*`): users (User keyed
first by `email`, Org by a nested key) and posts (Post; a FORBIDDEN entity `secret`), written as
SDL in `gw_sdl`, and how a node id is built and a query run."""

from __future__ import annotations

import base64
from typing import Any

import orjson
from graphql import GraphQLError
from gw_sdl import SdlSubgraph

from crm_gateway.execution.engine import Engine
from crm_gateway.execution.state import RequestContext

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


def served_subgraphs() -> dict[str, SdlSubgraph]:
    """A fresh pair (each records the queries it was sent)."""
    return {"users": users_subgraph(), "posts": posts_subgraph()}


async def ask(engine: Engine, query: str, **variables: Any) -> dict[str, Any]:
    return await engine.run(query, None, variables, RequestContext({}, {}, "rid"))


def entity_queries(subgraph: SdlSubgraph) -> list[str]:
    return [q for q in subgraph.queries if "_entities" in q]


def node_id(type_name: str, key: dict[str, Any]) -> str:
    raw = type_name.encode() + b":" + orjson.dumps(key)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
