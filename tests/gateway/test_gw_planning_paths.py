"""Planning through entity ancestors, union members of shareable paths, and @external key
fields (subgraphs written as SDL in `gw_sdl`, served over HTTP)."""

from __future__ import annotations

import time
from typing import Any

from gw_sdl import SdlSubgraph, run, sdl_engine

from crm_gateway.execution.state import RequestContext

# ---------------------------------------------------------------- value type below an entity

ORDERS = {"o1": "east", "o2": "west", "o3": "east"}
REGION_CUSTOMERS = {"east": 2, "west": 1}


def orders_subgraph() -> SdlSubgraph:
    return SdlSubgraph(
        """
        type Query { orders: [Order!]! }
        type Order @key(fields: "id") @key(fields: "id channel") {
          id: ID!
          channel: String!
          region: Region @shareable
        }
        type Region @key(fields: "code") { code: ID! name: String! @shareable }
        """,
        root={
            "orders": [
                {"id": o, "channel": "web", "region": {"code": r, "name": r.title()}}
                for o, r in ORDERS.items()
            ]
        },
        entities={"Region": lambda rep: {"code": rep["code"], "name": rep["code"].title()}},
    )


def stats_subgraph() -> SdlSubgraph:
    # Region is a value type here (no @key): its `stats` can only be reached through Order
    return SdlSubgraph(
        """
        type Order @key(fields: "id channel") {
          id: ID!
          channel: String!
          region: Region @shareable
        }
        type Region { stats: RegionStats }
        type RegionStats { customers: Int }
        """,
        entities={
            "Order": lambda rep: {
                "region": {"stats": {"customers": REGION_CUSTOMERS[ORDERS[rep["id"]]]}}
            }
        },
    )


async def test_value_type_field_is_fetched_through_the_enclosing_entity() -> None:
    stats = stats_subgraph()
    async with sdl_engine({"orders": orders_subgraph(), "stats": stats}) as engine:
        result = await run(engine, "{ orders { id region { code stats { customers } } } }")
    assert result == {
        "data": {
            "orders": [
                {"id": "o1", "region": {"code": "east", "stats": {"customers": 2}}},
                {"id": "o2", "region": {"code": "west", "stats": {"customers": 1}}},
                {"id": "o3", "region": {"code": "east", "stats": {"customers": 2}}},
            ]
        }
    }
    # one `_entities` call on Order (its compound key), re-walking `region` below it
    (query,) = stats.queries
    assert "... on Order { region { stats { customers } } }" in query


async def test_external_key_is_taken_from_the_outer_entity() -> None:
    """`tickets` resolves Ticket.topic but holds Ticket.id only as @external; Topic is keyed in
    `topics` alone, so Topic.id comes from `links` through the Ticket found by `desk`."""
    tickets = {"t1": "billing"}
    subgraphs = {
        "desk": SdlSubgraph(
            """
            type Query { ticket(id: ID!): Ticket }
            type Ticket @key(fields: "id") { id: ID! subject: String }
            """,
            root={"ticket": lambda _info, id: {"id": id, "subject": f"Subject {id}"}},
            entities={"Ticket": lambda rep: {"id": rep["id"], "subject": "?"}},
        ),
        "notes": SdlSubgraph(
            """
            type Ticket @key(fields: "id") { id: ID @external topic: Topic @shareable }
            type Topic { hint: String }
            """,
            entities={"Ticket": lambda rep: {"topic": {"hint": f"hint for {rep['id']}"}}},
        ),
        "links": SdlSubgraph(
            """
            type Ticket @key(fields: "id") { id: ID @external topic: Topic @shareable }
            type Topic { id: ID @shareable }
            """,
            entities={"Ticket": lambda rep: {"topic": {"id": tickets[rep["id"]]}}},
        ),
        "topics": SdlSubgraph(
            'type Topic @key(fields: "id") { id: ID title: String }',
            entities={"Topic": lambda rep: {"id": rep["id"], "title": rep["id"].upper()}},
        ),
    }
    query = '{ ticket(id: "t1") { id subject topic { id title hint } } }'
    async with sdl_engine(subgraphs) as engine:
        result = await run(engine, query)
        plan = {b["subgraph"]: b for b in engine.prepare(query, None).plan.describe()}
    assert result == {
        "data": {
            "ticket": {
                "id": "t1",
                "subject": "Subject t1",
                "topic": {"id": "billing", "title": "BILLING", "hint": "hint for t1"},
            }
        }
    }
    # Ticket.id for `links` comes from `desk` (never from a subgraph's @external copy of it),
    # `topics` gets Topic.id from `links`
    assert plan["links"]["dependsOn"] == [plan["desk"]["id"]]
    assert plan["links"]["paths"] == [["ticket"]]
    assert plan["topics"]["dependsOn"] == sorted([plan["notes"]["id"], plan["links"]["id"]])
    assert "hint" in subgraphs["notes"].queries[0] and " id" not in subgraphs["notes"].queries[0]


# ---------------------------------------------------------------- union members on a shareable path


def union_subgraph(own: str, member: str, field_name: str, extra: str = "") -> SdlSubgraph:
    sdl = f"""
        type Query {{ root{own.upper()}: Box shared: Box @shareable }}
        type Box @key(fields: "id") {{ id: ID! wrapper: Wrapper @shareable {extra} }}
        type Wrapper @shareable {{ items: [Item!]! @shareable }}
        union Item = Note | {member}
        type Note @shareable {{ text: String }}
        type {member} {{ {field_name}: String }}
    """
    items: list[dict[str, Any]] = [
        {"__typename": "Note", "text": "note"},
        {"__typename": member, field_name: f"{field_name} value"},
    ]
    box: dict[str, Any] = {"id": "box-1", "wrapper": {"items": items}}
    if extra:
        box["bWrapper"] = {"items": items}
    return SdlSubgraph(
        sdl,
        root={
            f"root{own.upper()}": box,
            "shared": {"id": "box-1", "wrapper": {"items": items[:1]}},
        },
        entities={"Box": lambda rep: box if rep["id"] == "box-1" else None},
    )


ITEMS = "items { __typename ... on Note { text } ... on Call { minutes } ... on Visit { place } }"


async def test_union_members_of_a_shareable_path_are_those_every_candidate_knows() -> None:
    subgraphs = {
        "a": union_subgraph("a", "Call", "minutes"),
        "b": union_subgraph("b", "Visit", "place", extra="bWrapper: Wrapper"),
    }
    async with sdl_engine(subgraphs) as engine:
        # Box.wrapper is shareable and Box is keyed in both: only Note is safe; the Call
        # fragment is not planned and `minutes` is null (as the reference gateways answer)
        from_a = await run(engine, f"{{ rootA {{ wrapper {{ {ITEMS} }} }} }}")
        # bWrapper exists in b only: after the hop, b's own members apply
        hop = await run(engine, f"{{ rootA {{ bWrapper {{ {ITEMS} }} }} }}")
    assert from_a == {
        "data": {
            "rootA": {
                "wrapper": {
                    "items": [
                        {"__typename": "Note", "text": "note"},
                        {"__typename": "Call", "minutes": None},
                    ]
                }
            }
        }
    }
    assert "Call" not in subgraphs["a"].queries[0]
    assert hop == {
        "data": {
            "rootA": {
                "bWrapper": {
                    "items": [
                        {"__typename": "Note", "text": "note"},
                        {"__typename": "Visit", "place": "place value"},
                    ]
                }
            }
        }
    }


# ---------------------------------------------------------------- @external key fields


def node_subgraph(owned: str, foreign: str, field_name: str) -> SdlSubgraph:
    """Resolves `node` for both types but only `owned` ids are its own: the other type's id
    is @external here (and its resolver would answer a wrong one)."""
    sdl = f"""
        type Query {{ node(id: ID!): Node @shareable }}
        interface Node {{ id: ID! }}
        type {owned} implements Node @key(fields: "id") {{ id: ID! {field_name}: String }}
        type {foreign} implements Node @key(fields: "id") {{ id: ID! @external }}
    """

    def node(_info: Any, id: str) -> dict[str, Any]:
        if id.startswith(owned[0].lower()):
            return {"__typename": owned, "id": id, field_name: f"{field_name} of {id}"}
        return {"__typename": foreign, "id": "wrong"}

    return SdlSubgraph(
        sdl,
        root={"node": node},
        entities={owned: lambda rep: {"id": rep["id"], field_name: f"{field_name} of {rep['id']}"}},
    )


async def test_external_key_fields_are_not_answered_by_their_subgraph() -> None:
    subgraphs = {
        "a": node_subgraph("Account", "Chat", "username"),
        "b": node_subgraph("Chat", "Account", "text"),
    }
    async with sdl_engine(subgraphs) as engine:
        # Node.id: a holds Chat.id as @external, b holds Account.id so: no subgraph can answer
        # it for every implementation, and neither can fetch the other's key first
        refused = await run(engine, '{ node(id: "a1") { id } }')
        # under type conditions each alias goes where its fields are resolved
        fine = await run(
            engine,
            '{ account: node(id: "a1") { ... on Account { id username } } '
            'chat: node(id: "c1") { ... on Chat { id text } } }',
        )
    assert "data" not in refused
    (error,) = refused["errors"]
    assert "Cannot plan" in error["message"] and ".id" in error["message"]
    assert fine == {
        "data": {
            "account": {"id": "a1", "username": "username of a1"},
            "chat": {"id": "c1", "text": "text of c1"},
        }
    }


# ------------------------------------------------- subgraph time on the critical path


async def test_subgraph_time_counts_the_whole_dependency_chain() -> None:
    """Server-Timing's subgraph share: a root fetch, then an entity fetch that waits for it
    (one step of a query's plan): both round trips count, not only the slowest."""
    orders, stats = orders_subgraph(), stats_subgraph()
    orders.delay_seconds = stats.delay_seconds = 0.15
    async with sdl_engine({"orders": orders, "stats": stats}) as engine:
        context = RequestContext({}, {}, "rid")
        started = time.perf_counter()
        result = await run(engine, "{ orders { id region { stats { customers } } } }", context)
        elapsed = time.perf_counter() - started
    assert "errors" not in result
    assert 0.3 <= context.subgraph_seconds <= elapsed
