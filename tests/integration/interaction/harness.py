"""The interaction service's handle: one running instance, its database commands recorded."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pymongo import monitoring

from crm_kit.consumer import EventConsumer
from crm_kit.events import CloudEvent
from crm_kit.mongo import Document
from tests.harness import ServiceHandle
from tests.support import eventually, gql


class CommandLog(monitoring.CommandListener):
    """Records (command name, collection) of every command the service sends."""

    def __init__(self) -> None:
        self.commands: list[tuple[str, str]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        target = event.command.get(event.command_name)
        self.commands.append((event.command_name, target if isinstance(target, str) else ""))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        return None

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        return None

    def clear(self) -> None:
        self.commands.clear()

    def on(self, collection: str) -> list[str]:
        return [name for name, target in self.commands if target == collection]


@dataclass
class Service(ServiceHandle):
    commands: CommandLog = field(default_factory=CommandLog)
    versions: dict[str, int] = field(default_factory=dict)

    async def query(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        return await gql(self.http, self.graphql, query, variables, headers)

    async def publish_customer(
        self,
        type_: str,
        customer_id: str,
        version: int,
        display_name: str = "",
        **extra: Any,
    ) -> CloudEvent:
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        snapshot = {
            "id": customer_id,
            "kind": "ENTERPRISE",
            "displayName": display_name or f"Customer {customer_id[:6]}",
            "stage": extra.pop("stage", "LEAD"),
            "tier": None,
            "ownerId": extra.pop("owner_id", "alice"),
            "team": extra.pop("team", "east"),
            "tags": [],
            "version": version,
            "createdAt": now,
            "updatedAt": now,
        }
        event = CloudEvent(
            type=type_,
            source="crm/customer",
            subject=customer_id,
            data={"customer": snapshot, "actorId": "tester", **extra},
        )
        await self.bus.publish(event)
        return event

    async def projected(self, customer_id: str) -> Document | None:
        return await self.db["customers"].find_one({"_id": customer_id})

    async def new_customer(self) -> str:
        """A customer known to the projection (published, then waited for)."""
        customer_id = uuid.uuid4().hex
        await self.publish_customer("customer.created.v1", customer_id, 1)
        await eventually(lambda: self.projected(customer_id), interval=0.02)
        return customer_id

    @property
    def consumer(self) -> EventConsumer:
        consumer = self.app.state.runtime.consumer
        assert isinstance(consumer, EventConsumer)
        return consumer
