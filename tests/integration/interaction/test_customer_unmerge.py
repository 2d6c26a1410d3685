"""`customer.unmerged.v1` in the interaction service: exactly what the merge moved goes back
(also records rewritten since the merge), what the survivor got since stays, the restored
customer is its own again, and applying the event a second time moves nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crm_kit.events import CloudEvent
from tests.integration.interaction.harness import Service
from tests.support import eventually

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

LOG = "mutation($input: LogInteractionInput!) { logInteraction(input: $input) { id } }"
TICKET = "mutation($input: CreateTicketInput!) { createTicket(input: $input) { id } }"
TASK = "mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }"
UPDATE_TASK = 'mutation($id: ID!) { updateTask(id: $id, input: {title: "改过"}) { id } }'
COLLECTIONS = ("interactions", "tickets", "tasks", "timeline")


async def log(service: Service, customer_id: str) -> str:
    data = await service.ok(
        LOG,
        {
            "input": {
                "customerId": customer_id,
                "channel": "PHONE",
                "direction": "OUTBOUND",
                "content": "通话",
            }
        },
    )
    return str(data["logInteraction"]["id"])


async def owners(service: Service) -> dict[str, dict[str, str]]:
    """collection → document id → the customer it is filed under (the items, not the notes
    that customer events put on the timeline)."""
    items: dict[str, Any] = {"kind": {"$ne": "CUSTOMER"}}
    return {
        name: {str(d["_id"]): d["customerId"] async for d in service.db[name].find(items)}
        for name in COLLECTIONS
    }


async def publish(service: Service, type_: str, subject: str, data: dict[str, Any]) -> CloudEvent:
    event = CloudEvent(type=type_, source="crm/customer", subject=subject, data=data)
    await service.bus.publish(event)
    return event


def unmerged(survivor: str, restored: str, merge_id: str) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    snapshot = {
        "id": restored,
        "kind": "ENTERPRISE",
        "displayName": "乙公司",
        "stage": "LEAD",
        "ownerId": "alice",
        "team": "east",
        "tags": [],
        "version": 3,
        "createdAt": now,
        "updatedAt": now,
        "archived": False,
    }
    return {
        "survivorId": survivor,
        "restoredIds": [restored],
        "restored": [snapshot],
        "mergeId": merge_id,
        "actorId": "alice",
    }


async def test_unmerge_moves_back_exactly_what_the_merge_moved(service: Service) -> None:
    survivor, duplicate = await service.new_customer(), await service.new_customer()
    own = await log(service, survivor)
    moved = [await log(service, duplicate), await log(service, duplicate)]
    ticket = (
        await service.ok(
            TICKET, {"input": {"customerId": duplicate, "type": "FAULT", "subject": "坏了"}}
        )
    )["createTicket"]["id"]
    due = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    task = (
        await service.ok(TASK, {"input": {"customerId": duplicate, "title": "回访", "dueAt": due}})
    )["createTask"]["id"]
    merge_id = uuid.uuid4().hex
    await publish(
        service,
        "customer.merged.v1",
        survivor,
        {"survivorId": survivor, "mergedIds": [duplicate], "mergeId": merge_id},
    )

    async def merged() -> bool:
        return await service.db["tickets"].count_documents({"customerId": duplicate}) == 0

    await eventually(merged)
    later = await log(service, duplicate)  # filed under the survivor
    await service.ok(UPDATE_TASK, {"id": task})  # the moved task is rewritten whole
    first = await publish(
        service, "customer.unmerged.v1", survivor, unmerged(survivor, duplicate, merge_id)
    )

    async def restored() -> bool:
        view = await service.projected(duplicate)
        return view is not None and view.get("lifecycle") == "ACTIVE"

    await eventually(restored)
    filed = await owners(service)
    for item in (*moved, own, later):
        expected = survivor if item in (own, later) else duplicate
        assert filed["interactions"][item] == expected, item
    assert filed["tickets"][ticket] == duplicate and filed["tasks"][task] == duplicate
    assert filed["timeline"][f"TICKET:{ticket}"] == duplicate
    assert filed["timeline"][f"INTERACTION:{later}"] == survivor
    assert await log(service, duplicate) in {
        d["_id"] async for d in service.db["interactions"].find({"customerId": duplicate})
    }

    # the same event redelivered stops at the consumer's inbox; a second copy of it (a new
    # event id) reaches the handler, which finds nothing left to move
    before = await owners(service)
    applied, duplicates = service.consumer.applied_total, service.consumer.duplicates_total
    await service.bus.publish(first)
    await publish(
        service, "customer.unmerged.v1", survivor, unmerged(survivor, duplicate, merge_id)
    )

    async def both_seen() -> bool:
        consumer = service.consumer
        return consumer.applied_total > applied and consumer.duplicates_total > duplicates

    await eventually(both_seen)
    assert await owners(service) == before
    assert await service.db["customer_merge_moves"].count_documents({"mergeId": merge_id}) == 0
