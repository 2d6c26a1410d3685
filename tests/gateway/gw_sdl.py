"""Small Federation v2 subgraphs written as SDL plus static data, served over real HTTP, and an
in-process gateway engine composed from them (for planner scenarios that the strawberry toys in
`gw_toys` do not have)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import (
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    build_schema,
    graphql,
    parse,
)
from gw_support import serve

from crm_gateway.composition.compose import SubgraphSDL, compose
from crm_gateway.execution.engine import Engine
from crm_gateway.execution.state import RequestContext
from crm_gateway.metrics import GatewayMetrics
from crm_gateway.transport.client import SubgraphClient

LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", '
    'import: ["@key", "@shareable", "@external"])\n'
)

_FEDERATION = """
scalar _Any
directive @key(fields: String!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE
directive @shareable repeatable on OBJECT | FIELD_DEFINITION
directive @external on OBJECT | FIELD_DEFINITION
"""

Resolve = Callable[[dict[str, Any]], dict[str, Any] | None]


@dataclass
class SdlSubgraph:
    """A subgraph: its SDL (Federation v2, without the @link line), the root value of its
    queries and, per entity type, how a representation becomes the object."""

    sdl: str
    root: dict[str, Any] = field(default_factory=dict)
    entities: dict[str, Resolve] = field(default_factory=dict)
    queries: list[str] = field(default_factory=list)  # operations the gateway sent
    delay_seconds: float = 0.0  # before each answer

    def app(self) -> Any:
        document = parse(self.sdl)
        keyed = [
            d.name.value
            for d in document.definitions
            if isinstance(d, ObjectTypeDefinitionNode | ObjectTypeExtensionNode)
            and any(x.name.value == "key" for x in d.directives or ())
        ]
        extra = f"union _Entity = {' | '.join(keyed)}\n"
        entities_field = "_entities(representations: [_Any!]!): [_Entity]!"
        has_query = re.search(r"\btype Query\b", self.sdl) is not None
        extra += f"{'extend type' if has_query else 'type'} Query {{ {entities_field} }}\n"
        schema = build_schema(self.sdl + _FEDERATION + extra)
        root = {**self.root, "_entities": self._entities}

        async def asgi(scope: Any, receive: Any, send: Any) -> None:
            assert scope["type"] == "http"
            body = b""
            more = True
            while more:
                message = await receive()
                body += message.get("body", b"")
                more = message.get("more_body", False)
            payload = orjson.loads(body)
            self.queries.append(payload["query"])
            await asyncio.sleep(self.delay_seconds)
            result = await graphql(
                schema, payload["query"], root, variable_values=payload.get("variables")
            )
            answer: dict[str, Any] = {"data": result.data}
            if result.errors:
                answer["errors"] = [e.formatted for e in result.errors]
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": orjson.dumps(answer)})

        return asgi

    def _entities(self, info: Any, representations: list[dict[str, Any]]) -> list[Any]:
        found: list[Any] = []
        for rep in representations:
            typename = rep["__typename"]
            value = self.entities[typename](rep)
            found.append(None if value is None else {**value, "__typename": typename})
        return found


@asynccontextmanager
async def sdl_engine(subgraphs: dict[str, SdlSubgraph]) -> AsyncIterator[Engine]:
    """Serve the subgraphs over HTTP and yield a gateway engine composed from their SDLs."""
    served = {name: await serve(sub.app(), lifespan="off") for name, sub in subgraphs.items()}
    client = SubgraphClient(timeout_seconds=10, metrics=GatewayMetrics())
    try:
        sdls = [SubgraphSDL(n, served[n][0], LINK + s.sdl) for n, s in subgraphs.items()]
        yield Engine(compose(sdls), client)
    finally:
        await client.aclose()
        for _, _, server, task in served.values():
            server.should_exit = True
            await task


async def run(engine: Engine, query: str, context: RequestContext | None = None) -> dict[str, Any]:
    return await engine.run(query, None, None, context or RequestContext({}, {}, "rid"))
