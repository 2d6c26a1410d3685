"""Scenario 6: the same event published twice (same id) is applied once: customer.assigned at
the notification service, and the sales service's opportunity.created / opportunity.won at
the customer and interaction services (a won deal's customer ACTIVE exactly once)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from crm_kit.bus import EventBus
from crm_kit.events import CloudEvent
from tests.faults.checks import Store, assigned_event, missing_and_duplicated
from tests.faults.report import ScenarioResult, record
from tests.faults.sales import CREATED, WON, effects, prepare, sell, wait_effects
from tests.faults.system import System
from tests.support import unique

pytestmark = pytest.mark.e2e

EVENTS = 50
DEALS = 20  # each opened and won: 40 sales events, each published twice


async def duplicates_seen(system: System, service: str = "notification") -> float:
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"{system.procs[service].base}/metrics")).text
    for line in text.splitlines():
        if line.startswith("crm_consumer_duplicates_total"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.mark.timeout(300)
async def test_every_event_delivered_twice_is_applied_once(system: System) -> None:
    prefix = unique("s6")
    ids = [f"{prefix}-c{i}" for i in range(EVENTS)]
    store = Store(system)
    bus = EventBus(system.amqp_url, system.exchange)
    duplicates_before = await duplicates_seen(system)
    try:
        await bus.connect()
        events = [assigned_event(c, f"{prefix}-owner") for c in ids]
        for event in events:
            await bus.publish(event)
        for event in events:
            await bus.publish(event)  # the same id again, as after a lost acknowledgement
        notified, _ = await store.wait_all(store.notifications, ids, timeout=120)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while await duplicates_seen(system) - duplicates_before < EVENTS:
            assert loop.time() < deadline, "the second deliveries were not all consumed"
            await asyncio.sleep(0.2)
        notified = await store.notifications(ids)
        delivered = await store.delivered_events(ids)
    finally:
        await bus.close()
        await store.close()
    lost, duplicated = missing_and_duplicated(ids, notified)
    _, duplicated_events = missing_and_duplicated(ids, delivered)
    record(
        ScenarioResult(
            6,
            "50 customer.assigned each published twice with the same id",
            attempted=2 * EVENTS,
            acknowledged=2 * EVENTS,
            found=EVENTS - lost,
            lost=lost,
            duplicated=duplicated + duplicated_events,
            recovery_seconds=None,
            notes="found = distinct events applied; 50 redeliveries recognised by the inbox",
        )
    )
    assert (lost, duplicated, duplicated_events) == (0, 0, 0)


@pytest.mark.timeout(600)
async def test_every_sales_event_delivered_twice_is_applied_once(system: System) -> None:
    prefix = unique("s6")
    store = Store(system)
    bus = EventBus(system.amqp_url, system.exchange)
    try:
        async with httpx.AsyncClient() as http:
            sales = await prepare(http, system.gateway, store, prefix, DEALS)
            await sell(http, system.gateway, sales, prefix)
        await wait_effects(store, sales, timeout=120)  # every event applied once
        before = {n: await duplicates_seen(system, n) for n in ("customer", "interaction")}
        envelopes = await store.sales_envelopes(sales.customers)
        again = [e for e in envelopes if e["type"] in (CREATED, WON)]
        await bus.connect()
        for envelope in again:  # the same ids again, as after lost acknowledgements
            await bus.publish(CloudEvent.from_dict(envelope))
        # customer consumes both types, interaction the won ones
        expected = {"customer": len(again), "interaction": len(again) // 2}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        for service, count in expected.items():
            while await duplicates_seen(system, service) - before[service] < count:
                assert loop.time() < deadline, f"{service}: the second deliveries not consumed"
                await asyncio.sleep(0.2)
        left = await effects(store, sales)
    finally:
        await bus.close()
        await store.close()
    record(
        ScenarioResult(
            6,
            f"{DEALS} deals opened and won, their opportunity.created and opportunity.won "
            "published again with the same ids",
            attempted=2 * len(again),
            acknowledged=2 * len(again),
            found=left.found,
            lost=len(again) - left.found,
            duplicated=left.duplicated,
            recovery_seconds=None,
            notes=(
                "found = distinct events applied (created by customer; won by customer and "
                f"interaction: the customer ACTIVE by one version); {sum(expected.values())} "
                "redeliveries recognised by the inboxes"
            ),
            part="b",
        )
    )
    assert len(again) == 2 * DEALS and sales.acknowledged == 2 * DEALS
    assert (left.problems, left.found, left.duplicated) == ([], 2 * DEALS, 0)
