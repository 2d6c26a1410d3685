"""The sales service for integration tests: one running instance over real HTTP against the
embedded MongoDB and the project-local RabbitMQ, with a clock the tests move, its database
commands recorded, and helpers to feed its customer projection and set up its catalogue."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pymongo import AsyncMongoClient, monitoring

from crm_kit.bus import EventBus
from crm_kit.events import CloudEvent
from crm_kit.mongo import Document
from crm_sales.app import create_app
from crm_sales.settings import SalesSettings
from tests.harness import ServiceHandle
from tests.support import auth_headers, eventually, serve_app, service_settings, wait_ready

ADMIN = auth_headers(sub="alice", roles=("ADMIN",), team="east")


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
class Clock:
    """A clock the tests set and move (UTC)."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


STAGES: list[dict[str, Any]] = [
    {"id": "lead", "nameZh": "线索", "nameEn": "Lead", "kind": "OPEN", "probability": 10,
     "stallDays": 14},
    {"id": "qualified", "nameZh": "已确认需求", "nameEn": "Qualified", "kind": "OPEN",
     "probability": 25},
    {"id": "proposal", "nameZh": "方案报价", "nameEn": "Proposal", "kind": "OPEN",
     "probability": 50, "requiredFields": ["amount", "expectedCloseDate"]},
    {"id": "negotiation", "nameZh": "商务谈判", "nameEn": "Negotiation", "kind": "OPEN",
     "probability": 80, "requiredFields": ["decisionMaker"]},
    {"id": "won", "nameZh": "赢单", "nameEn": "Won", "kind": "WON", "probability": 100},
    {"id": "lost", "nameZh": "输单", "nameEn": "Lost", "kind": "LOST", "probability": 0,
     "requiredFields": ["note"]},
]  # fmt: skip

CREATE_PIPELINE = """
mutation($input: PipelineInput!, $key: String) {
  createPipeline(input: $input, idempotencyKey: $key) { pipeline { id version stages { id } } }
}"""
CREATE = """
mutation($input: CreateOpportunityInput!) {
  createOpportunity(input: $input) { opportunity { id version stageId status } }
}"""


@dataclass
class Sales(ServiceHandle):
    commands: CommandLog = field(default_factory=CommandLog)
    clock: Clock = field(default_factory=Clock)

    async def publish_customer(
        self,
        type_: str,
        customer_id: str,
        version: int,
        *,
        owner_id: str = "alice",
        team: str = "east",
        stage: str = "LEAD",
        **data: Any,
    ) -> CloudEvent:
        snapshot = {
            "id": customer_id,
            "kind": "ENTERPRISE",
            "displayName": "测试客户",
            "stage": stage,
            "ownerId": owner_id,
            "team": team,
            "version": version,
            "updatedAt": datetime.now(UTC).isoformat(),
        }
        event = CloudEvent(
            type=type_,
            source="crm/customer",
            subject=customer_id,
            data={"customer": snapshot, "actorId": "tester", **data},
        )
        await self.bus.publish(event)
        return event

    async def projected(self, customer_id: str) -> Document | None:
        return await self.db["customers"].find_one({"_id": customer_id})

    async def new_customer(self, owner_id: str = "alice", team: str = "east") -> str:
        """A customer the projection knows (published, then waited for)."""
        customer_id = uuid.uuid4().hex
        await self.publish_customer(
            "customer.created.v1", customer_id, 1, owner_id=owner_id, team=team
        )
        await eventually(lambda: self.projected(customer_id), interval=0.02)
        return customer_id

    async def new_pipeline(self, stages: list[dict[str, Any]] | None = None) -> str:
        data = await self.ok(
            CREATE_PIPELINE,
            {"input": {"nameZh": "标准流程", "nameEn": "Standard", "stages": stages or STAGES}},
            headers=ADMIN,
        )
        return str(data["createPipeline"]["pipeline"]["id"])

    async def create(self, headers: dict[str, str] | None = None, **fields: Any) -> dict[str, Any]:
        """`createOpportunity` with `fields` (the raw answer)."""
        return await self.gql(CREATE, {"input": fields}, headers=headers or self.headers)

    async def outbox(self, type_: str, subject: str | None = None) -> list[Document]:
        query: Document = {"type": type_}
        if subject is not None:
            query["subject"] = subject
        return await self.db["outbox"].find(query).sort("position", 1).to_list()


@asynccontextmanager
async def serve_sales(
    mongodb_uri: str,
    amqp_url: str,
    *,
    options: SalesSettings | None = None,
    clock: Clock | None = None,
) -> AsyncIterator[Sales]:
    commands, clock = CommandLog(), clock or Clock()
    settings = service_settings("sales", mongodb_uri, amqp_url)
    app = create_app(
        settings,
        options=options or SalesSettings(customer_wait_seconds=0.5),
        mongo_listeners=[commands],
        clock=clock,
    )
    async with serve_app(app, settings.port) as base:
        await wait_ready(base)
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri, tz_aware=True)
        bus = EventBus(amqp_url, settings.events_exchange)
        async with httpx.AsyncClient(timeout=30.0) as http:
            try:
                await bus.connect()
                yield Sales(
                    http=http,
                    graphql=f"{base}/graphql",
                    headers=ADMIN,
                    name="sales",
                    base=base,
                    app=app,
                    settings=settings,
                    db=client[settings.mongodb_database],
                    bus=bus,
                    commands=commands,
                    clock=clock,
                )
            finally:
                await bus.close()
                await client.close()
