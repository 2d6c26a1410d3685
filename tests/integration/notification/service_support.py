"""The notification service over real HTTP for its integration tests: a handle that counts
its database commands, and the events that drive it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from pymongo import monitoring
from pymongo.errors import PyMongoError

from crm_kit.events import CloudEvent
from tests.harness import ServiceHandle
from tests.support import auth_headers, eventually, gql, uid

MY_NOTIFICATIONS = """
query($filter: NotificationFilterInput, $first: Int, $after: String) {
  myNotifications(filter: $filter, first: $first, after: $after) {
    totalCount unreadCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node {
      id type channel recipientId customerId title body read readAt createdAt } }
  }
}"""

MARK_READ = """
mutation($ids: [ID!], $all: Boolean) {
  markNotificationsRead(ids: $ids, all: $all) { changedCount unreadCount }
}"""

ENTITIES = """
query($reps: [_Any!]!, $first: Int) {
  _entities(representations: $reps) {
    ... on Customer { id notifications(first: $first) {
      totalCount unreadCount pageInfo { hasNextPage }
      edges { node { id recipientId customerId } } } }
  }
}"""


class CommandRecorder(monitoring.CommandListener):
    """Remembers (command, collection) of every command the service sends to MongoDB."""

    def __init__(self) -> None:
        self.commands: list[tuple[str, str]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        collection = event.command.get(event.command_name)
        self.commands.append((event.command_name, str(collection)))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def on(self, collection: str) -> list[str]:
        return [name for name, coll in self.commands if coll == collection]


# The embedded MongoDB (mongoeco 4.11) rejects, instead of queueing, any command that arrives
# while another session's transaction is open; a query can then fail transiently while the
# consumer applies an event. Retried here so each test asserts on what the service returns
# once the database is free; a persistent error still fails the test.
EMBEDDED_BUSY_RETRIES = 30


def transiently_failed(body: dict[str, Any]) -> bool:
    codes = {e.get("extensions", {}).get("code") for e in body.get("errors") or []}
    return "INTERNAL_SERVER_ERROR" in codes


@dataclass
class Service(ServiceHandle):
    recorder: CommandRecorder = field(default_factory=CommandRecorder)

    async def query(
        self, query: str, variables: dict[str, Any] | None = None, **who: Any
    ) -> dict[str, Any]:
        headers = auth_headers(**who) if who else {}
        body = await gql(self.http, self.graphql, query, variables, headers)
        for _ in range(EMBEDDED_BUSY_RETRIES):
            if not transiently_failed(body):
                break
            await asyncio.sleep(0.1)
            body = await gql(self.http, self.graphql, query, variables, headers)
        return body

    async def inbox(self, user: str, **variables: Any) -> dict[str, Any]:
        body = await self.query(MY_NOTIFICATIONS, variables, sub=user, roles=("SALES",))
        assert "errors" not in body, body
        result: dict[str, Any] = body["data"]["myNotifications"]
        return result

    async def publish(self, event: CloudEvent) -> None:
        await self.bus.publish(event)

    async def applied(self, event: CloudEvent) -> None:
        """Wait until the consumer has processed `event` (its idempotency record exists)."""
        inbox = self.app.state.runtime.db["inbox"]
        key = f"{self.settings.service_name}:{event.id}"

        async def probe() -> bool:
            try:
                return await inbox.find_one({"_id": key}) is not None
            except PyMongoError:  # embedded MongoDB busy (see EMBEDDED_BUSY_RETRIES)
                return False

        await eventually(probe, timeout=30)

    async def count(self, collection: str, query: dict[str, Any]) -> int:
        db = self.app.state.runtime.db
        for _ in range(EMBEDDED_BUSY_RETRIES):
            try:
                return int(await db[collection].count_documents(query))
            except PyMongoError:
                await asyncio.sleep(0.1)
        return int(await db[collection].count_documents(query))


def assigned(
    customer_id: str, owner: str | None, actor: str, name: str = "上海星辰贸易有限公司"
) -> CloudEvent:
    return CloudEvent(
        type="customer.assigned.v1",
        source="crm/customer",
        subject=customer_id,
        data={
            "customer": {
                "id": customer_id,
                "kind": "ENTERPRISE",
                "displayName": name,
                "stage": "LEAD",
                "tier": None,
                "ownerId": owner,
                "team": "east",
                "tags": [],
                "version": 2,
                "createdAt": "2026-03-01T00:00:00+00:00",
                "updatedAt": "2026-03-01T00:00:00+00:00",
            },
            "ownerId": owner,
            "previousOwnerId": None,
            "team": "east",
            "actorId": actor,
        },
    )


async def notify(service: Service, owner: str, name: str = "客户", customer: str = "") -> str:
    """Assign a fresh customer to `owner`; returns the new notification's id."""
    event = assigned(customer or uid("c"), owner, uid("mgr"), name)
    await service.publish(event)
    await service.applied(event)
    inbox = await service.inbox(owner, first=100)
    [node] = [e["node"] for e in inbox["edges"] if e["node"]["customerId"] == event.subject] or [
        None
    ]
    assert node is not None, inbox
    return str(node["id"])
