"""The benchmark scenarios: GraphQL operations a staff client sends through the gateway."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.customer.generator import customer, graphql_input
from bench.data import SeededData
from crm_kit.auth import issue_dev_token

SEARCH = """query Search($f: CustomerFilterInput) {
  customers(first: 20, filter: $f) { totalCount edges { node { id displayName stage ownerId } } }
}"""

CUSTOMER_360 = """query Customer360($id: ID!) {
  customer(id: $id) {
    id displayName stage ownerId team tags version region
    lastInteractionAt
    interactions(first: 5) { totalCount edges { node { channel content occurredAt } } }
    notifications(first: 5) { totalCount edges { node { type title } } }
  }
}"""

TIMELINE = """query Timeline($id: ID!) {
  customer(id: $id) {
    timeline(first: 20) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { node { kind at title } }
    }
  }
}"""

CREATE = (
    """mutation Create($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }"""
)

LOG = """mutation Log($input: LogInteractionInput!) { logInteraction(input: $input) { id } }"""

TICKET_STATUS = """mutation Status($id: ID!, $s: TicketStatus!) {
  changeTicketStatus(id: $id, status: $s) { id status version }
}"""

AGENT = """mutation Agent { saveServiceAgent(agentId: "bench-agent", team: "east") { active } }"""

ASSIGN_TICKET = """mutation AssignTicket($id: ID!) {
  assignTicket(id: $id, agentId: "bench-agent") { id status }
}"""

ASSIGN = """mutation Assign($id: ID!, $o: ID!) { assignCustomer(id: $id, ownerId: $o) { id } }"""

UNREAD = "{ unreadNotificationCount }"

type Operation = Callable[[int, int], Awaitable[None]]


class GraphQLError(RuntimeError):
    pass


@dataclass
class Gateway:
    url: str
    secret: str
    http: httpx.AsyncClient
    headers: dict[str, str] = field(default_factory=dict)

    def token_for(self, sub: str, roles: list[str], team: str = "east") -> dict[str, str]:
        token = issue_dev_token(self.secret, sub=sub, roles=roles, team=team)
        return {"Authorization": f"Bearer {token}"}

    async def gql(
        self, query: str, variables: dict[str, Any], headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        response = await self.http.post(
            self.url,
            json={"query": query, "variables": variables},
            headers=headers or self.headers,
        )
        if response.status_code != 200:
            raise GraphQLError(f"HTTP {response.status_code}: {response.text[:200]}")
        body: dict[str, Any] = response.json()
        if body.get("errors"):
            error = body["errors"][0]
            code = error.get("extensions", {}).get("code")
            raise GraphQLError(f"{code}: {error.get('message')}")
        data: dict[str, Any] = body["data"]
        return data


@dataclass
class Scenario:
    name: str
    description: str
    operation: Operation
    concurrency: int = 8
    write: bool = False
    setup: Callable[[], Awaitable[None]] | None = None


def _reads(gw: Gateway, data: SeededData) -> list[Scenario]:
    rng = random.Random(7)
    customers = data.customers
    texts = data.search_terms or ["张"]
    owners = [f"staff{i}" for i in range(20)]

    async def search(vu: int, seq: int) -> None:
        if seq % 2:
            flt: dict[str, Any] = {"text": texts[seq % len(texts)]}
        else:
            flt = {"ownerId": owners[seq % len(owners)], "stages": ["LEAD"]}
        found = await gw.gql(SEARCH, {"f": flt})
        if not found["customers"]["edges"] and found["customers"]["totalCount"]:
            raise GraphQLError("empty page with a non-zero totalCount")

    async def view_360(vu: int, seq: int) -> None:
        found = await gw.gql(CUSTOMER_360, {"id": rng.choice(customers)})
        if found["customer"] is None:
            raise GraphQLError("seeded customer not found")

    async def timeline(vu: int, seq: int) -> None:
        await gw.gql(TIMELINE, {"id": rng.choice(customers)})

    heavy = data.heavy

    async def timeline_heavy(vu: int, seq: int) -> None:
        found = await gw.gql(TIMELINE, {"id": heavy[seq % len(heavy)]})
        if found["customer"]["timeline"]["totalCount"] < 1000:
            raise GraphQLError("heavy customer with fewer than 1,000 items")

    reads = 4
    scenarios = [
        Scenario("customer search", "first page of 20 + totalCount; free text or owner+stage",
                 search, reads),
        Scenario("customer 360", "profile + lastInteractionAt + 5 interactions + 5 "
                 "notifications (3 subgraphs)", view_360, reads),
        Scenario("timeline page", "first 20 timeline items + totalCount of a random customer",
                 timeline, reads),
        Scenario("timeline page (heavy)", "first 20 + totalCount of a customer with "
                 "thousands of items", timeline_heavy, reads),
    ]  # fmt: skip
    return [s for s in scenarios if s.name != "timeline page (heavy)" or heavy]


def _writes(gw: Gateway, data: SeededData, run_id: str) -> list[Scenario]:
    rng = random.Random(7)
    create_rng = random.Random(hash(run_id) & 0xFFFF)
    # `seq` restarts with every run of a scenario (warm-up, then the measured run): a key made
    # of it would repeat with another payload and be refused as CONFLICT
    keys = itertools.count()

    async def create(vu: int, seq: int) -> None:
        new = customer(create_rng, 10_000_000 + create_rng.randrange(10**8))
        payload = graphql_input(new) | {"force": True, "idempotencyKey": f"{run_id}-c-{next(keys)}"}
        await gw.gql(CREATE, {"input": payload})

    async def log(vu: int, seq: int) -> None:
        payload = {
            "customerId": rng.choice(data.customers),
            "channel": rng.choice(["PHONE", "EMAIL", "MEETING", "WECHAT"]),
            "direction": "OUTBOUND",
            "content": "回访：确认交付时间和发票抬头",
            "idempotencyKey": f"{run_id}-i-{next(keys)}",
        }
        await gw.gql(LOG, {"input": payload})

    return [
        Scenario("create customer", "createCustomer (validation, duplicate check, version, "
                 "outbox)", create, 2, write=True),
        Scenario("log interaction", "logInteraction (item + timeline + outbox)", log, 2,
                 write=True),
    ]  # fmt: skip


def _ticket_updates(gw: Gateway, data: SeededData) -> Scenario:
    ticket_pool = list(data.tickets)  # the latest seeding's first: still NEW
    worker_tickets: dict[int, tuple[str, list[str]]] = {}
    ticket_users = 2

    async def prepare_tickets() -> None:
        await gw.gql(AGENT, {})
        for vu in range(ticket_users):
            ticket = ticket_pool[vu]
            await gw.gql(ASSIGN_TICKET, {"id": ticket})
            await gw.gql(TICKET_STATUS, {"id": ticket, "s": "IN_PROGRESS"})
            worker_tickets[vu] = (ticket, ["WAITING_CUSTOMER", "IN_PROGRESS"])

    async def ticket_update(vu: int, seq: int) -> None:
        ticket, cycle = worker_tickets[vu]
        status = cycle[0]
        cycle.reverse()
        await gw.gql(TICKET_STATUS, {"id": ticket, "s": status})

    return Scenario("ticket update", "changeTicketStatus IN_PROGRESS ⇄ WAITING_CUSTOMER",
                    ticket_update, ticket_users, write=True, setup=prepare_tickets)  # fmt: skip


def _event_to_inbox(gw: Gateway, data: SeededData, run_id: str) -> Scenario:
    inbox_users = 2
    pools = [data.customers[vu::inbox_users] for vu in range(inbox_users)]
    used = [0] * inbox_users
    inbox_headers = [
        gw.token_for(f"bench-{run_id}-inbox-{vu}", ["SALES"]) for vu in range(inbox_users)
    ]

    async def event_to_inbox(vu: int, seq: int) -> None:
        """assignCustomer → customer.assigned.v1 → notification consumer → the new owner's
        unread count goes up: the time until the owner can see it."""
        headers = inbox_headers[vu]
        before = (await gw.gql(UNREAD, {}, headers))["unreadNotificationCount"]
        target = pools[vu][used[vu] % len(pools[vu])]
        used[vu] += 1
        await gw.gql(ASSIGN, {"id": target, "o": f"bench-{run_id}-inbox-{vu}"})
        deadline = time.perf_counter() + 30
        while (await gw.gql(UNREAD, {}, headers))["unreadNotificationCount"] <= before:
            if time.perf_counter() > deadline:
                raise GraphQLError("notification not in the inbox after 30 s")
            await asyncio.sleep(0.02)

    return Scenario("event to inbox", "assignCustomer → notification visible to the new owner "
                    "(latency = end to end)", event_to_inbox, inbox_users, write=True)  # fmt: skip


def build(gw: Gateway, data: SeededData, run_id: str) -> list[Scenario]:
    """The scenarios in their reporting order: reads, then writes (with the sales ones
    when the data set has a pipeline)."""
    from bench.sales_scenarios import sales_reads, sales_writes  # it imports this module

    return [
        *_reads(gw, data),
        *sales_reads(gw, data),
        *_writes(gw, data, run_id),
        _ticket_updates(gw, data),
        *sales_writes(gw, data),
        _event_to_inbox(gw, data, run_id),
    ]
