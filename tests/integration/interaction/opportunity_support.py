"""The sales service's opportunity events as the interaction service consumes them, and reading
what they leave on the customer timeline."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from crm_kit.events import CloudEvent
from crm_kit.mongo import Document
from tests.integration.interaction.harness import Service
from tests.support import eventually

WON, LOST, MERGED = "opportunity.won.v1", "opportunity.lost.v1", "opportunity.merged.v1"
CLOSED = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
TIMELINE = """
query($reps: [_Any!]!, $kinds: [TimelineKind!]) {
  _entities(representations: $reps) {
    ... on Customer {
      timeline(filter: {kinds: $kinds}, first: 20) {
        totalCount edges { node { id kind refId at title summary status actorId } }
      }
    }
  }
}"""


def snapshot(
    customer_id: str, opportunity_id: str, *, version: int, status: str, amount: str = "120000.00"
) -> dict[str, Any]:
    """The `opportunity` object of the events (the fields read here)."""
    return {
        "id": opportunity_id,
        "customerId": customer_id,
        "name": "CRM 升级项目",
        "ownerId": "li.lei",
        "team": "east",
        "status": status,
        "amount": {"amount": amount, "currency": "CNY"},
        "version": version,
    }


def closing(
    type_: str,
    customer_id: str,
    opportunity_id: str,
    *,
    version: int,
    amount: str = "120000.00",
    closed_at: datetime = CLOSED,
) -> CloudEvent:
    """A won or lost event as the sales service publishes it (the fields read here)."""
    status = "WON" if type_ == WON else "LOST"
    data: dict[str, Any] = {
        "opportunity": snapshot(
            customer_id, opportunity_id, version=version, status=status, amount=amount
        ),
        "customerId": customer_id,
        "reason": "PRICE",
        "closedAt": closed_at.isoformat(),
        "actorId": "wang.fang",
    }
    return CloudEvent(type=type_, source="crm/sales", subject=customer_id, data=data)


def merged(
    customer_id: str, survivor_id: str, merged_id: str, *, survivor_version: int
) -> CloudEvent:
    """An `opportunity.merged.v1` as the sales service publishes it: both deals' snapshots."""
    data: dict[str, Any] = {
        "opportunity": snapshot(customer_id, survivor_id, version=survivor_version, status="OPEN"),
        "merged": snapshot(customer_id, merged_id, version=9, status="MERGED"),
        "customerId": customer_id,
        "survivorId": survivor_id,
        "mergedId": merged_id,
        "pickedFields": [],
        "actorId": "wang.fang",
    }
    return CloudEvent(type=MERGED, source="crm/sales", subject=customer_id, data=data)


async def handled(service: Service, event: CloudEvent) -> None:
    """Wait until the consumer has committed `event` (its inbox record commits with it)."""
    inbox_id = f"{service.settings.service_name}:{event.id}"
    await eventually(lambda: service.db["inbox"].find_one({"_id": inbox_id}), interval=0.02)


async def deliver(service: Service, *events: CloudEvent) -> None:
    """Publish each event and wait until it is handled, one after the other."""
    for event in events:
        await service.bus.publish(event)
        await handled(service, event)


async def feed(service: Service, customer_id: str, *kinds: str) -> dict[str, Any]:
    variables = {"reps": [{"__typename": "Customer", "id": customer_id}], "kinds": list(kinds)}
    data = await service.ok(TIMELINE, variables)
    found: dict[str, Any] = data["_entities"][0]["timeline"]
    return found


async def entries_of(service: Service, opportunity_id: str) -> list[Document]:
    return await service.db["timeline"].find({"refId": opportunity_id}).to_list()
