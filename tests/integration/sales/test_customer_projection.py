"""The customer projection, fed by customer events on the real broker: snapshots applied once
and in version order, with the customer's display name; a merge re-keys opportunities to the
survivor (and an un-merge moves them back); an erasure blanks the name and removes the personal
data of the customer's deals."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from crm_kit.consumer import EventConsumer
from crm_kit.events import CloudEvent
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


async def publish_named(
    service: Sales, type_: str, customer_id: str, version: int, name: str
) -> CloudEvent:
    """A customer snapshot event carrying `name` as the customer's display name (the harness
    always names its customers alike), once handled."""
    snapshot = {
        "id": customer_id,
        "kind": "ENTERPRISE",
        "displayName": name,
        "stage": "LEAD",
        "ownerId": "alice",
        "team": "east",
        "version": version,
        "updatedAt": datetime.now(UTC).isoformat(),
    }
    event = CloudEvent(
        type=type_, source="crm/customer", subject=customer_id, data={"customer": snapshot}
    )
    await service.bus.publish(event)
    await handled(service, event.id)
    return event


async def test_snapshots_apply_in_version_order_and_once(service: Sales) -> None:
    customer = uuid.uuid4().hex
    await service.publish_customer("customer.updated.v1", customer, 3, owner_id="li.lei")
    late = await service.publish_customer("customer.created.v1", customer, 1, owner_id="old")
    await handled(service, late.id)
    doc = await service.projected(customer)
    assert doc is not None and (doc["version"], doc["ownerId"]) == (3, "li.lei")
    assert doc["displayName"] == "测试客户"  # the name the snapshot carries, for quotes
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
        restored=[
            {
                "id": merged,
                "version": 5,
                "ownerId": "alice",
                "team": "east",
                "displayName": "云帆科技（华东）",
            }
        ],
    )
    await handled(service, unmerge.id)
    assert (await deals.find_one({"_id": moved_deal["id"]}) or {})["customerId"] == merged
    assert (await deals.find_one({"_id": kept_deal["id"]}) or {})["customerId"] == survivor
    restored = await service.projected(merged)
    assert restored is not None and (restored["lifecycle"], restored["version"]) == ("ACTIVE", 5)
    assert restored["displayName"] == "云帆科技（华东）"  # the restored snapshot's name


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
    assert doc["displayName"] == "测试客户"  # archiving keeps the name


async def test_the_display_name_is_kept_updated_and_blanked_on_erasure(service: Sales) -> None:
    customer = uuid.uuid4().hex
    await publish_named(service, "customer.created.v1", customer, 1, "杭州云帆科技有限公司")
    doc = await service.projected(customer)
    assert doc is not None and doc["displayName"] == "杭州云帆科技有限公司"
    await publish_named(service, "customer.updated.v1", customer, 2, "云帆科技集团")
    await publish_named(service, "customer.updated.v1", customer, 1, "旧名")  # late: ignored
    doc = await service.projected(customer)
    assert doc is not None and (doc["displayName"], doc["version"]) == ("云帆科技集团", 2)
    erased = await service.publish_customer("customer.erased.v1", customer, 3)
    await handled(service, erased.id)
    doc = await service.projected(customer)
    assert doc is not None and (doc["lifecycle"], doc["displayName"]) == ("ERASED", "")


async def test_a_name_projected_before_names_were_kept_fills_in_on_the_next_snapshot(
    service: Sales,
) -> None:
    customer = await service.new_customer()
    # what a document projected by an earlier release holds: no name at all
    await service.db["customers"].update_one({"_id": customer}, {"$unset": {"displayName": ""}})
    await publish_named(service, "customer.updated.v1", customer, 2, "云帆科技集团")
    doc = await service.projected(customer)
    assert doc is not None and doc["displayName"] == "云帆科技集团"


async def test_a_customer_first_seen_in_a_lifecycle_event_has_no_name_yet(service: Sales) -> None:
    customer = uuid.uuid4().hex
    archived = await service.publish_customer("customer.archived.v1", customer, 1)
    await handled(service, archived.id)
    stub = await service.projected(customer)
    assert stub is not None and (stub["version"], stub["displayName"]) == (0, "")
    await publish_named(service, "customer.created.v1", customer, 1, "杭州云帆科技有限公司")
    doc = await service.projected(customer)
    assert doc is not None and (doc["lifecycle"], doc["displayName"]) == (
        "ARCHIVED",
        "杭州云帆科技有限公司",
    )
