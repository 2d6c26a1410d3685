"""The system for the attack matrix: three subgraphs and the gateway with `aud` checking on,
eight principals, and customers owned by SALES_OWNER ("own"), by a colleague in the same team
("team") and by someone in another team ("other"), each with one interaction."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

from crm_kit.auth import issue_dev_token
from crm_kit.settings import DEFAULT_DEV_JWT_SECRET, AuthSettings
from tests.harness import serve_system
from tests.support import eventually, gql, unique

AUDIENCE = "crm-api"
AUTH = AuthSettings(audience=AUDIENCE)

# role label -> (sub, role, team)
PRINCIPALS: dict[str, tuple[str, str, str]] = {
    "ADMIN": ("adm", "ADMIN", "east"),
    "MANAGER_SAME_TEAM": ("mgr-east", "MANAGER", "east"),
    "MANAGER_OTHER_TEAM": ("mgr-west", "MANAGER", "west"),
    "SALES_OWNER": ("sal-own", "SALES", "east"),
    "SALES_SAME_TEAM": ("sal-mate", "SALES", "east"),
    "SALES_OTHER_TEAM": ("sal-west", "SALES", "west"),
    "SERVICE": ("svc", "SERVICE", "east"),
    "ANALYST": ("ana", "ANALYST", "east"),
}
ROLES = tuple(PRINCIPALS)
# target -> owner, team (seen from SALES_OWNER: own, team, other)
TARGETS: dict[str, tuple[str, str]] = {
    "own": ("sal-own", "east"),
    "team": ("sal-mate", "east"),
    "other": ("sal-west", "west"),
}


def token_for(
    role: str, *, ttl: int = 3600, secret: str = DEFAULT_DEV_JWT_SECRET, **kw: Any
) -> str:
    sub, name, team = PRINCIPALS[role]
    audience = kw.pop("audience", AUDIENCE)
    return issue_dev_token(
        secret, sub=sub, roles=[name], team=team, ttl_seconds=ttl, audience=audience, **kw
    )


def headers_for(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(role)}"}


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def bad_tokens() -> dict[str, str | None]:
    """Every way a token must be refused (None: no Authorization header at all)."""
    now = int(time.time())
    admin_claims = {"sub": "adm", "roles": ["ADMIN"], "team": "east", "aud": AUDIENCE}
    return {
        "unauthenticated": None,
        "expired": token_for("ADMIN", ttl=-3600),
        "wrong_signature": token_for("ADMIN", secret="not-the-secret-0123456789abcdef01234"),
        "wrong_audience": token_for("ADMIN", audience="someone-else"),
        "alg_none": _b64({"alg": "none", "typ": "JWT"})
        + "."
        + _b64({**admin_claims, "iat": now, "exp": now + 3600})
        + ".",
        "hs256_with_other_key_claiming_admin": jwt.encode(
            {**admin_claims, "exp": now + 3600}, "x" * 32, algorithm="HS256"
        ),
    }


@dataclass
class Customer:
    id: str
    owner: str
    team: str
    phone: str
    name: str
    phone_e164: str  # as stored and shown unmasked


@dataclass
class System:
    gateway: str
    subgraphs: dict[str, str]
    http: httpx.AsyncClient
    tag: str
    customers: dict[str, Customer] = field(default_factory=dict)
    spares: dict[str, Customer] = field(default_factory=dict)

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, role: str = "ADMIN"
    ) -> dict[str, Any]:
        return await gql(self.http, f"{self.gateway}/graphql", query, variables, headers_for(role))

    async def direct(
        self, subgraph: str, query: str, variables: dict[str, Any] | None, token: str | None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return await gql(self.http, self.subgraphs[subgraph], query, variables, headers)

    async def create(self, target: str, label: str) -> Customer:
        owner, team = TARGETS[target]
        phone = "139" + str(uuid.uuid4().int)[:8]
        name = f"Matrix{label}{uuid.uuid4().hex[:6]}"
        body = await self.gql(
            """mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id phones } }""",
            {
                "i": {
                    "kind": "INDIVIDUAL",
                    "name": name,
                    "phones": [phone],
                    "ownerId": owner,
                    "team": team,
                    "tags": [self.tag if label in (*TARGETS, "spare") else f"{self.tag}-{label}"],
                    "force": True,
                }
            },
        )
        assert "errors" not in body, body
        created = body["data"]["createCustomer"]
        return Customer(created["id"], owner, team, phone, name, created["phones"][0])

    async def version(self, customer_id: str) -> int:
        body = await self.gql(
            "query($id: ID!) { customer(id: $id) { version } }", {"id": customer_id}
        )
        return int(body["data"]["customer"]["version"])


async def _log(system: System, customer_id: str) -> None:
    body = await system.gql(
        """mutation($c: ID!) { logInteraction(input: {customerId: $c, channel: PHONE,
           direction: OUTBOUND, content: "矩阵测试"}) { id } }""",
        {"c": customer_id},
    )
    assert "errors" not in body, body


async def start(mongodb_uri: str, amqp_url: str) -> AsyncIterator[System]:
    async with (
        serve_system(mongodb_uri, amqp_url, auth=AUTH, subgraph_timeout_seconds=10.0) as served,
        httpx.AsyncClient(timeout=30) as http,
    ):
        system = System(served.gateway, served.subgraphs, http, unique("atk"))
        for target in TARGETS:
            system.customers[target] = await system.create(target, target)
            system.spares[target] = await system.create(target, "spare")
        await asyncio.gather(*(_log(system, c.id) for c in system.customers.values()))

        async def projected() -> bool:
            # the interaction subgraph knows every owner (the SALES owners see their timeline)
            for target, customer in system.customers.items():
                role = {"own": "SALES_OWNER", "team": "SALES_SAME_TEAM"}.get(
                    target, "SALES_OTHER_TEAM"
                )
                body = await system.gql(
                    "query($id: ID!) { customer(id: $id) "
                    "{ timeline(first: 1) { edges { cursor } } } }",
                    {"id": customer.id},
                    role,
                )
                if "errors" in body or not body["data"]["customer"]["timeline"]["edges"]:
                    return False
            # and the notification subgraph knows the owners (a recipient-wide view of a
            # customer of another team is refused)
            body = await system.direct(
                "notification",
                "query($r: [_Any!]!) { _entities(representations: $r) "
                "{ ... on Customer { notifications { totalCount } } } }",
                {"r": [{"__typename": "Customer", "id": system.customers["own"].id}]},
                token_for("MANAGER_OTHER_TEAM"),
            )
            return "errors" in body

        await eventually(projected, timeout=30)
        yield system
