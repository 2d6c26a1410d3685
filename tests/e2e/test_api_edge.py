"""The API as a browser front end meets it, over the whole system: global object
identification (`nodeId`, `node`, `nodes`) for every entity type of the composed schema, and
the edge in development and production modes (CORS preflights, introspection, HTTP 401)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest
import pytest_asyncio

from crm_dev.ports import free_port
from crm_gateway.app import create_app
from crm_gateway.settings import PRODUCTION_DEFAULTS, GatewaySettings
from tests.harness import SystemHandle, serve_system
from tests.support import auth_headers, eventually, serve_app, uid, wait_ready

pytestmark = pytest.mark.e2e

APP = "https://crm.example.com"
LOCAL = "http://localhost:5173"
ADMIN = auth_headers(sub="alice", roles=("ADMIN",), team="east")
OTHER_TEAM = auth_headers(sub="carol", roles=("SALES",), team="west")


@dataclass
class Edge:
    system: SystemHandle  # its gateway: the development defaults
    production: str  # base URL of a second gateway over the same subgraphs, production mode


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def edge(mongodb_uri: str, amqp_url: str) -> AsyncIterator[Edge]:
    async with serve_system(mongodb_uri, amqp_url, headers=ADMIN) as system:
        settings = GatewaySettings(
            port=free_port(),
            subgraphs=tuple(system.subgraphs.items()),
            environment="production",
            **PRODUCTION_DEFAULTS,
        )
        configured = GatewaySettings(**{**_fields(settings), "cors_origins": (APP,)})
        async with serve_app(create_app(configured), configured.port) as production:
            await wait_ready(production)
            yield Edge(system, production)


def _fields(settings: GatewaySettings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in settings.__dataclass_fields__}


# ---------------------------------------------------------------- global object identification


async def _create_customer(system: SystemHandle) -> tuple[str, str]:
    created = await system.ok(
        "mutation($n: String!) { createCustomer(input: {kind: ENTERPRISE, name: $n}) "
        "{ id nodeId } }",
        {"n": uid("NodeCo")},
    )
    return created["createCustomer"]["id"], created["createCustomer"]["nodeId"]


# How to make an object of each entity type: its own id and its global id, as the gateway
# returns them. Every entity type of the composed schema must be here (see the test).
Creator = Callable[[SystemHandle], Awaitable[tuple[str, str]]]


async def _create_staff_member(system: SystemHandle) -> tuple[str, str]:
    staff = {"id": uid("node.rep"), "name": "节点测试"}
    created = await system.ok(
        "mutation($s: StaffInput!) { saveStaffMember(input: $s) { id nodeId } }", {"s": staff}
    )
    return created["saveStaffMember"]["id"], created["saveStaffMember"]["nodeId"]


async def _the_viewer(system: SystemHandle) -> tuple[str, str]:
    # the caller's own Viewer: the only one a caller may fetch again by its global id
    found = await system.ok("{ viewer { id nodeId } }")
    return found["viewer"]["id"], found["viewer"]["nodeId"]


_PIPELINE = {
    "nameZh": "节点流程",
    "nameEn": "Node pipeline",
    "stages": [
        {"id": "open", "nameZh": "跟进", "nameEn": "Open", "kind": "OPEN", "probability": 20},
        {"id": "won", "nameZh": "赢单", "nameEn": "Won", "kind": "WON", "probability": 100},
        {"id": "lost", "nameZh": "输单", "nameEn": "Lost", "kind": "LOST", "probability": 0},
    ],
}
_OPPORTUNITY = """mutation($i: CreateOpportunityInput!) {
  createOpportunity(input: $i) { opportunity { id nodeId } } }"""


async def _create_opportunity(system: SystemHandle) -> tuple[str, str]:
    pipeline = await system.ok(
        "mutation($i: PipelineInput!) { createPipeline(input: $i) { pipeline { id } } }",
        {"i": _PIPELINE},
    )
    customer, _ = await _create_customer(system)
    deal = {
        "customerId": customer,
        "pipelineId": pipeline["createPipeline"]["pipeline"]["id"],
        "name": uid("节点商机"),
    }

    async def created() -> dict[str, Any] | None:
        # the new customer reaches the sales service's projection by event, a moment later
        body = await system.gql(_OPPORTUNITY, {"i": deal})
        return None if body.get("errors") else body["data"]["createOpportunity"]["opportunity"]

    found = await eventually(created, timeout=30)
    return found["id"], found["nodeId"]


CREATORS: dict[str, Creator] = {
    "Customer": _create_customer,
    "StaffMember": _create_staff_member,
    "Viewer": _the_viewer,
    "Opportunity": _create_opportunity,
}


def decoded(node_id: str) -> str:
    return base64.urlsafe_b64decode(node_id + "=" * (-len(node_id) % 4)).decode()


async def _entity_types(system: SystemHandle) -> set[str]:
    found = await system.ok('{ __type(name: "Node") { possibleTypes { name } } }')
    return {t["name"] for t in found["__type"]["possibleTypes"]}


async def test_every_entity_type_round_trips_through_node(edge: Edge) -> None:
    system = edge.system
    entity_types = await _entity_types(system)
    assert "Customer" in entity_types
    assert entity_types == set(CREATORS), "add a creator for each new entity type"
    for type_name, create in CREATORS.items():
        own_id, node_id = await create(system)
        assert decoded(node_id) == f"{type_name}:" + orjson.dumps({"id": own_id}).decode()
        found = await system.ok(
            "query($n: ID!) { node(nodeId: $n) { __typename nodeId "
            "... on Customer { id displayName } } }",
            {"n": node_id},
        )
        assert found["node"]["__typename"] == type_name
        assert found["node"]["nodeId"] == node_id
        if type_name == "Customer":
            assert found["node"]["id"] == own_id and found["node"]["displayName"]


async def test_nodeid_is_the_same_wherever_the_object_is_read(edge: Edge) -> None:
    system = edge.system
    own_id, node_id = await _create_customer(system)
    read = await system.ok("query($id: ID!) { customer(id: $id) { id nodeId } }", {"id": own_id})
    assert read["customer"] == {"id": own_id, "nodeId": node_id}  # `id` itself unchanged


async def test_nodes_is_one_call_per_subgraph_and_bad_ids_fail_alone(edge: Edge) -> None:
    system = edge.system
    ids = [(await _create_customer(system))[1] for _ in range(3)]
    before = await system.subgraph_requests()
    body = await system.gql(
        "query($ns: [ID!]!) { nodes(nodeIds: $ns) { nodeId ... on Customer { displayName } } }",
        {"ns": [*ids, "garbled", ids[0]]},
    )
    after = await system.subgraph_requests()
    nodes = body["data"]["nodes"]
    assert [n and n["nodeId"] for n in nodes] == [*ids, None, ids[0]]
    (error,) = body["errors"]
    assert error["path"] == ["nodes", 3]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fieldErrors"][0]["field"] == "nodeIds[3]"
    grown = {name: after.get(name, 0) - before.get(name, 0) for name in after}
    assert grown == {**dict.fromkeys(after, 0), "customer": 1}  # one `_entities` for all


async def test_node_shows_only_what_the_caller_may_read(edge: Edge) -> None:
    system = edge.system
    own_id, node_id = await _create_customer(system)  # alice's team (east)
    query = "query($n: ID!) { node(nodeId: $n) { nodeId ... on Customer { id } } }"
    refused = await system.gql(query, {"n": node_id}, headers=OTHER_TEAM)
    direct = await system.gql(
        "query($id: ID!) { customer(id: $id) { id } }", {"id": own_id}, headers=OTHER_TEAM
    )
    assert refused["data"] == {"node": None}
    assert direct["data"] == {"customer": None}  # the subgraph decides, either way
    codes = {e["extensions"]["code"] for e in refused["errors"]}
    assert codes == {e["extensions"]["code"] for e in direct["errors"]}
    assert refused["errors"][0]["path"] == ["node"]
    missing = base64.urlsafe_b64encode(b'Customer:{"id":"no-such-customer"}').decode()
    absent = await system.gql(query, {"n": missing})
    assert absent["data"] == {"node": None}
    assert absent["errors"][0]["extensions"]["code"] == "NOT_FOUND"


# ---------------------------------------------------------------- edge modes


def preflight(origin: str) -> dict[str, str]:
    return {
        "origin": origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type,apollo-require-preflight",
    }


async def test_development_admits_local_origins_and_introspection(edge: Edge) -> None:
    system = edge.system
    local = await system.http.options(system.graphql, headers=preflight(LOCAL))
    assert local.status_code == 200
    assert local.headers["access-control-allow-origin"] == LOCAL
    allowed = local.headers["access-control-allow-headers"].lower()
    assert all(h in allowed for h in ("authorization", "content-type", "apollo-require-preflight"))
    foreign = await system.http.options(system.graphql, headers=preflight(APP))
    assert "access-control-allow-origin" not in foreign.headers
    schema = await system.ok("{ __schema { queryType { name } } }")
    assert schema == {"__schema": {"queryType": {"name": "Query"}}}


async def test_production_admits_configured_origins_only_and_no_introspection(edge: Edge) -> None:
    graphql = f"{edge.production}/graphql"
    async with httpx.AsyncClient(timeout=30) as http:
        local = await http.options(graphql, headers=preflight(LOCAL))
        configured = await http.options(graphql, headers=preflight(APP))
        introspection = await http.post(
            graphql, json={"query": "{ __schema { types { name } } }"}, headers=ADMIN
        )
        customers = await http.post(
            graphql, json={"query": "{ customers(first: 1) { totalCount } }"}, headers=ADMIN
        )
    assert "access-control-allow-origin" not in local.headers
    assert configured.headers["access-control-allow-origin"] == APP
    assert introspection.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "errors" not in customers.json(), customers.json()


@pytest.mark.parametrize("mode", ["development", "production"])
@pytest.mark.parametrize("authorization", [None, "Bearer not-a-jwt"])
async def test_requests_without_a_valid_token_get_401(
    edge: Edge, mode: str, authorization: str | None
) -> None:
    base = edge.system.gateway if mode == "development" else edge.production
    origin = LOCAL if mode == "development" else APP
    headers = {"origin": origin, **({"authorization": authorization} if authorization else {})}
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            f"{base}/graphql",
            json={"query": "{ customers(first: 1) { totalCount } }"},
            headers=headers,
        )
        health = await http.get(f"{base}/healthz")
        ready = await http.get(f"{base}/readyz")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["access-control-allow-origin"] == origin  # the page can read it
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED" and error["message"]
    assert (health.status_code, ready.status_code) == (200, 200)
