"""Won and lost sales opportunities on the customer timeline, fed by the sales service's events
on the real broker: one entry per opportunity (its latest outcome) however often an event
arrives, updated by a newer version, moved by a customer merge like every entry, and nothing
for an erased customer."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from crm_kit.events import CloudEvent
from tests.integration.interaction.harness import Service
from tests.integration.interaction.opportunity_support import (
    CLOSED,
    LOST,
    WON,
    closing,
    entries_of,
    feed,
    handled,
)
from tests.support import eventually

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def test_a_won_deal_is_one_timeline_entry_however_often_it_arrives(service: Service) -> None:
    customer_id = await service.new_customer()
    opportunity_id = uuid.uuid4().hex
    won = closing(WON, customer_id, opportunity_id, version=4)
    await service.bus.publish(won)
    await handled(service, won)

    duplicates = service.consumer.duplicates_total
    await service.bus.publish(won)  # redelivered: the same event id again

    async def seen_as_duplicate() -> bool:
        return service.consumer.duplicates_total > duplicates

    await eventually(seen_as_duplicate)
    again = closing(WON, customer_id, opportunity_id, version=4)  # a new delivery, same news
    await service.bus.publish(again)
    await handled(service, again)

    timeline = await feed(service, customer_id, "OPPORTUNITY_WON")
    assert timeline["totalCount"] == 1
    assert timeline["edges"][0]["node"] == {
        "id": f"OPPORTUNITY_WON:{opportunity_id}",
        "kind": "OPPORTUNITY_WON",
        "refId": opportunity_id,
        "at": CLOSED.isoformat(),
        "title": "CRM 升级项目",
        "summary": "120000.00 CNY",
        "status": "WON",
        "actorId": "li.lei",
    }
    assert len(await entries_of(service, opportunity_id)) == 1
    # beside the customer's own entries, in the one feed
    assert (await feed(service, customer_id))["totalCount"] == 2


async def test_a_reopened_deal_won_again_updates_its_entry(service: Service) -> None:
    customer_id = await service.new_customer()
    opportunity_id = uuid.uuid4().hex
    first = closing(WON, customer_id, opportunity_id, version=3)
    await service.bus.publish(first)
    await handled(service, first)
    later = CLOSED + timedelta(days=9)
    rewon = closing(
        WON, customer_id, opportunity_id, version=7, amount="150000.00", closed_at=later
    )
    await service.bus.publish(rewon)
    await handled(service, rewon)
    stale = closing(WON, customer_id, opportunity_id, version=5, amount="1.00")  # arrives late
    await service.bus.publish(stale)
    await handled(service, stale)

    [entry] = await entries_of(service, opportunity_id)
    assert (entry["summary"], entry["at"], entry["refVersion"]) == ("150000.00 CNY", later, 7)


async def test_a_won_deal_reopened_and_lost_keeps_only_its_latest_outcome(
    service: Service,
) -> None:
    customer_id = await service.new_customer()
    opportunity_id = uuid.uuid4().hex
    won = closing(WON, customer_id, opportunity_id, version=2)
    await service.bus.publish(won)
    await handled(service, won)
    lost = closing(LOST, customer_id, opportunity_id, version=5)
    await service.bus.publish(lost)
    await handled(service, lost)
    late_win = closing(WON, customer_id, opportunity_id, version=2)  # older: changes nothing
    await service.bus.publish(late_win)
    await handled(service, late_win)

    [entry] = await entries_of(service, opportunity_id)
    assert (entry["kind"], entry["status"]) == ("OPPORTUNITY_LOST", "LOST")
    timeline = await feed(service, customer_id, "OPPORTUNITY_WON", "OPPORTUNITY_LOST")
    assert [e["node"]["kind"] for e in timeline["edges"]] == ["OPPORTUNITY_LOST"]


async def test_entries_move_with_a_merge_and_a_later_win_lands_on_the_survivor(
    service: Service,
) -> None:
    survivor, merged = await service.new_customer(), await service.new_customer()
    deal, other_deal = uuid.uuid4().hex, uuid.uuid4().hex
    won = closing(WON, merged, deal, version=1)
    await service.bus.publish(won)
    await handled(service, won)
    merge = CloudEvent(
        type="customer.merged.v1",
        source="crm/customer",
        subject=survivor,
        data={"survivorId": survivor, "mergedIds": [merged], "actorId": "tester"},
    )
    await service.bus.publish(merge)
    await handled(service, merge)
    late = closing(WON, merged, other_deal, version=1)  # still naming the merged-away customer
    await service.bus.publish(late)
    await handled(service, late)

    timeline = await feed(service, survivor, "OPPORTUNITY_WON")
    assert {e["node"]["refId"] for e in timeline["edges"]} == {deal, other_deal}
    assert (await feed(service, merged, "OPPORTUNITY_WON"))["totalCount"] == 0


async def test_nothing_is_recorded_for_an_erased_customer(service: Service) -> None:
    customer_id = await service.new_customer()
    erased = CloudEvent(
        type="customer.erased.v1",
        source="crm/customer",
        subject=customer_id,
        data={"customerId": customer_id},
    )
    await service.bus.publish(erased)
    await handled(service, erased)
    opportunity_id = uuid.uuid4().hex
    won = closing(WON, customer_id, opportunity_id, version=1)
    await service.bus.publish(won)
    await handled(service, won)
    assert await entries_of(service, opportunity_id) == []
