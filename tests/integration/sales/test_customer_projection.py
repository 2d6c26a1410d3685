"""The customer projection, fed by customer events on the real broker: snapshots applied once
and in version order; a merge re-keys opportunities to the survivor (and an un-merge moves them
back); an erasure removes the personal data of the customer's deals."""

from __future__ import annotations

import uuid

import pytest

from crm_kit.consumer import EventConsumer
from tests.integration.sales.harness import Sales
from tests.integration.sales.opportunity_support import CREATE, MOVE, field_codes, open_deal
from tests.support import eventually

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


@pytest.fixture(scope="module")
async def pipeline(service: Sales) -> str:
    return await service.new_pipeline()


def consumer(service: Sales) -> EventConsumer:
    found = service.app.state.runtime.consumer
    assert isinstance(found, EventConsumer)
    return found


async def handled(service: Sales, event_id: str) -> None:
    """The event's inbox record commits with its handling: once it exists, it was handled."""
    key = f"{service.settings.service_name}:{event_id}"
    await eventually(lambda: service.db["inbox"].find_one({"_id": key}), interval=0.02)


async def test_snapshots_apply_in_version_order_and_once(service: Sales) -> None:
    customer = uuid.uuid4().hex
    await service.publish_customer("customer.updated.v1", customer, 3, owner_id="li.lei")
    late = await service.publish_customer("customer.created.v1", customer, 1, owner_id="old")
    await handled(service, late.id)
    doc = await service.projected(customer)
    assert doc is not None and (doc["version"], doc["ownerId"]) == (3, "li.lei")
    assert "displayName" not in doc  # nothing personal is kept here
    assigned = await service.publish_customer(
        "customer.assigned.v1", customer, 4, owner_id="han.mei", team="west"
    )
    await handled(service, assigned.id)
    await service.db["customers"].update_one({"_id": customer}, {"$set": {"version": 0}})
    duplicates = consumer(service).duplicates_total
    await service.bus.publish(assigned)  # delivered again

    async def seen_twice() -> bool:
        return consumer(service).duplicates_total > duplicates

    await eventually(seen_twice)
    doc = await service.projected(customer)
    assert doc is not None and doc["version"] == 0  # not applied a second time


async def test_a_merge_rekeys_opportunities_and_an_unmerge_moves_them_back(
    service: Sales, pipeline: str
) -> None:
    survivor, merged = await service.new_customer(), await service.new_customer()
    moved_deal = await open_deal(service, pipeline, merged, name="跟随合并")
    kept_deal = await open_deal(service, pipeline, survivor, name="原有")
    merge = await service.publish_customer(
        "customer.merged.v1", survivor, 2, survivorId=survivor, mergedIds=[merged], mergeId="m1"
    )
    await handled(service, merge.id)
    await service.bus.publish(merge)  # a redelivery changes nothing
    deals = service.db["opportunities"]
    assert (await deals.find_one({"_id": moved_deal["id"]}) or {})["customerId"] == survivor
    late = await service.gql(
        CREATE, {"input": {"customerId": merged, "pipelineId": pipeline, "name": "晚到"}}
    )
    assert late["data"]["createOpportunity"]["opportunity"]["customerId"] == survivor
    unmerge = await service.publish_customer(
        "customer.unmerged.v1",
        survivor,
        3,
        survivorId=survivor,
        restoredIds=[merged],
        mergeId="m1",
        restored=[{"id": merged, "version": 5, "ownerId": "alice", "team": "east"}],
    )
    await handled(service, unmerge.id)
    assert (await deals.find_one({"_id": moved_deal["id"]}) or {})["customerId"] == merged
    assert (await deals.find_one({"_id": kept_deal["id"]}) or {})["customerId"] == survivor
    restored = await service.projected(merged)
    assert restored is not None and (restored["lifecycle"], restored["version"]) == ("ACTIVE", 5)


async def test_an_erasure_removes_the_personal_data_of_the_customers_deals(
    service: Sales, pipeline: str
) -> None:
    customer = await service.new_customer()
    deal = await open_deal(
        service,
        pipeline,
        customer,
        nextStep="给张伟打电话 13800138000",
        contacts=[{"name": "张伟", "role": "CHAMPION"}],
    )
    await service.ok(
        MOVE,
        {"input": {"id": deal["id"], "stageId": "lost", "reason": "PRICE", "note": "张伟说太贵"}},
    )
    erased = await service.publish_customer("customer.erased.v1", customer, 2)
    await handled(service, erased.id)
    doc = await service.db["opportunities"].find_one({"_id": deal["id"]})
    assert doc is not None
    assert (doc["contacts"], doc["nextStep"], doc["closing"]["note"]) == ([], None, None)
    assert (doc["name"], doc["amount"], doc["status"]) == ("CRM 升级", None, "LOST")
    notes = service.db["opportunity_stage_history"].find({"opportunityId": deal["id"]})
    assert [entry["note"] async for entry in notes] == [None, None]
    refused = await service.gql(
        CREATE, {"input": {"customerId": customer, "pipelineId": pipeline, "name": "x"}}
    )
    assert field_codes(refused) == {"customerId": "UNKNOWN_CUSTOMER"}
    audited = await service.db["audit_log"].find_one(
        {"action": "sales.customer_erased", "target.id": customer}
    )
    assert audited is not None


async def test_an_archived_customer_is_marked_so(service: Sales) -> None:
    customer = await service.new_customer()
    archived = await service.publish_customer("customer.archived.v1", customer, 2)
    await handled(service, archived.id)
    doc = await service.projected(customer)
    assert doc is not None and doc["lifecycle"] == "ARCHIVED"
