"""A sales opportunity merged into another (`opportunity.merged.v1`) on the customer timeline,
over the real broker: the two deals are one deal from then on. The merged deal's closing entry
becomes the survivor's when it closed later than the survivor's own (or the survivor has none),
and goes otherwise; a redelivered or repeated merge changes nothing; a closing of the merged
deal arriving after the merge is folded the same way; later closings of the survivor replace
the folded entry, earlier ones arriving late change nothing."""

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
    deliver,
    entries_of,
    feed,
    merged,
)
from tests.support import eventually

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

CLOSINGS = ("OPPORTUNITY_WON", "OPPORTUNITY_LOST")


def deals() -> tuple[str, str]:
    """(the survivor, the deal merged into it)."""
    return uuid.uuid4().hex, uuid.uuid4().hex


async def redelivered(service: Service, event: CloudEvent) -> None:
    """Publish `event` again (the same id) and wait until the consumer drops it."""
    duplicates = service.consumer.duplicates_total
    await service.bus.publish(event)

    async def seen_as_duplicate() -> bool:
        return service.consumer.duplicates_total > duplicates

    await eventually(seen_as_duplicate)


async def test_the_merged_deal_s_closing_becomes_the_survivor_s_exactly_once(
    service: Service,
) -> None:
    customer = await service.new_customer()
    survivor, gone = deals()
    merge = merged(customer, survivor, gone, survivor_version=6)
    await deliver(service, closing(WON, customer, gone, version=3), merge)

    timeline = await feed(service, customer, *CLOSINGS)
    assert timeline["totalCount"] == 1
    assert timeline["edges"][0]["node"] == {
        "id": f"OPPORTUNITY_WON:{survivor}",
        "kind": "OPPORTUNITY_WON",
        "refId": survivor,
        "at": CLOSED.isoformat(),
        "title": "CRM 升级项目",
        "summary": "120000.00 CNY",
        "status": "WON",
        "actorId": "li.lei",
    }
    assert await entries_of(service, gone) == []
    [entry] = await entries_of(service, survivor)
    assert entry["refVersion"] == 6

    # Put a closing of the merged deal back by hand: a merge applied again would fold it.
    planted = {
        **entry,
        "_id": f"OPPORTUNITY_LOST:{gone}",
        "refId": gone,
        "kind": "OPPORTUNITY_LOST",
    }
    await service.db["timeline"].insert_one(planted)
    await redelivered(service, merge)
    await deliver(service, merged(customer, survivor, gone, survivor_version=6))  # a new id
    assert len(await entries_of(service, gone)) == 1  # neither applied the merge again
    assert await service.db["opportunity_merges"].count_documents({"_id": gone}) == 1
    await service.db["timeline"].delete_one({"_id": planted["_id"]})


async def test_the_deal_keeps_the_closing_that_came_last(service: Service) -> None:
    customer = await service.new_customer()
    survivor, gone = deals()
    later = CLOSED + timedelta(days=3)
    await deliver(
        service,
        closing(LOST, customer, survivor, version=2, closed_at=CLOSED),
        closing(WON, customer, gone, version=4, amount="99.00", closed_at=later),
        merged(customer, survivor, gone, survivor_version=5),
    )
    [entry] = [*await entries_of(service, survivor), *await entries_of(service, gone)]
    assert (entry["_id"], entry["summary"], entry["at"]) == (
        f"OPPORTUNITY_WON:{survivor}",
        "99.00 CNY",
        later,
    )

    other_customer = await service.new_customer()
    keeper, absorbed = deals()
    await deliver(
        service,
        closing(WON, other_customer, keeper, version=3, closed_at=later),
        closing(LOST, other_customer, absorbed, version=2, closed_at=CLOSED),
        merged(other_customer, keeper, absorbed, survivor_version=4),
    )
    [kept] = [*await entries_of(service, keeper), *await entries_of(service, absorbed)]
    assert (kept["_id"], kept["at"], kept["refVersion"]) == (f"OPPORTUNITY_WON:{keeper}", later, 3)


async def test_closings_after_the_merge_land_on_the_one_deal(service: Service) -> None:
    customer = await service.new_customer()
    survivor, gone = deals()
    await deliver(service, merged(customer, survivor, gone, survivor_version=5))
    # the merged deal's closing, delayed past the merge (a retry), is folded into the survivor
    await deliver(service, closing(LOST, customer, gone, version=3))
    assert await entries_of(service, gone) == []
    [folded] = await entries_of(service, survivor)
    assert (folded["kind"], folded["refVersion"]) == ("OPPORTUNITY_LOST", 5)

    stale = closing(WON, customer, survivor, version=4, amount="1.00")  # before the merge
    await deliver(service, stale)
    [entry] = await entries_of(service, survivor)
    assert entry["kind"] == "OPPORTUNITY_LOST"

    won = CLOSED + timedelta(days=10)
    await deliver(service, closing(WON, customer, survivor, version=8, closed_at=won))
    [entry] = await entries_of(service, survivor)
    assert (entry["kind"], entry["at"], entry["refVersion"]) == ("OPPORTUNITY_WON", won, 8)
    assert (await feed(service, customer, *CLOSINGS))["totalCount"] == 1


async def test_a_chain_of_merges_ends_on_the_last_survivor_in_any_order(
    service: Service,
) -> None:
    customer = await service.new_customer()
    first, second = deals()
    last = uuid.uuid4().hex
    await deliver(
        service,
        closing(WON, customer, first, version=2),
        merged(customer, last, second, survivor_version=7),  # second → last arrives first
        merged(customer, second, first, survivor_version=3),  # then first → second
    )
    assert await entries_of(service, first) == await entries_of(service, second) == []
    [entry] = await entries_of(service, last)
    assert (entry["_id"], entry["refVersion"]) == (f"OPPORTUNITY_WON:{last}", 7)
