"""The customer projection, fed by customer events published on the real broker."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.interaction.harness import Service
from tests.support import eventually

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def test_created_updated_assigned_events_build_the_projection(service: Service) -> None:
    customer_id = uuid.uuid4().hex
    await service.publish_customer("customer.created.v1", customer_id, 1, "华东贸易有限公司")
    created = await eventually(lambda: service.projected(customer_id))
    assert (created["displayName"], created["version"]) == ("华东贸易有限公司", 1)

    await service.publish_customer(
        "customer.updated.v1", customer_id, 2, "华东贸易", stage="CUSTOMER", changedFields=["stage"]
    )
    await service.publish_customer(
        "customer.assigned.v1",
        customer_id,
        3,
        "华东贸易",
        stage="CUSTOMER",
        owner_id="bob",
        team="north",
        ownerId="bob",
        previousOwnerId="alice",
    )

    async def at_version_3() -> bool:
        doc = await service.projected(customer_id)
        return doc is not None and doc["version"] == 3

    await eventually(at_version_3)
    doc = await service.projected(customer_id)
    assert doc is not None
    assert {k: doc[k] for k in ("displayName", "ownerId", "team", "stage")} == {
        "displayName": "华东贸易",
        "ownerId": "bob",
        "team": "north",
        "stage": "CUSTOMER",
    }
    assert set(doc) == {"_id", "displayName", "ownerId", "team", "stage", "version", "updatedAt"}


async def test_an_older_version_arriving_late_is_ignored(service: Service) -> None:
    customer_id = uuid.uuid4().hex
    await service.publish_customer("customer.updated.v1", customer_id, 5, "Newest Name")
    await eventually(lambda: service.projected(customer_id))
    stale = await service.publish_customer("customer.created.v1", customer_id, 1, "Oldest Name")
    # The inbox record commits in the same transaction as the handler: once it exists, the
    # stale event has been handled.
    inbox_id = f"{service.settings.service_name}:{stale.id}"
    await eventually(lambda: service.db["inbox"].find_one({"_id": inbox_id}))
    doc = await service.projected(customer_id)
    assert doc is not None
    assert (doc["version"], doc["displayName"]) == (5, "Newest Name")


async def test_a_redelivered_event_is_applied_once(service: Service) -> None:
    customer_id = uuid.uuid4().hex
    event = await service.publish_customer("customer.created.v1", customer_id, 1, "First")
    await eventually(lambda: service.projected(customer_id))
    # Tamper with the stored version: a second application would overwrite it.
    await service.db["customers"].update_one({"_id": customer_id}, {"$set": {"version": 0}})
    duplicates_before = service.consumer.duplicates_total
    await service.bus.publish(event)  # the same event id again

    async def seen_as_duplicate() -> bool:
        return bool(service.consumer.duplicates_total > duplicates_before)

    await eventually(seen_as_duplicate)
    doc = await service.projected(customer_id)
    assert doc is not None and doc["version"] == 0
