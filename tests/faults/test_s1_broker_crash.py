"""Scenario 1: RabbitMQ SIGKILLed in the middle of 1,000 customer creations through the
gateway, with 40 sales deals opened and won while it is down; restarted once at least 3 s have
passed and half of the sales writes are confirmed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx
import pytest

from crm_dev.testing import Broker
from tests.faults.checks import Store, missing_and_duplicated, wait_until
from tests.faults.client import create_customers
from tests.faults.report import ScenarioResult, record
from tests.faults.sales import Sales, effects, prepare, row, sell, wait_effects
from tests.faults.system import System
from tests.support import unique

pytestmark = pytest.mark.e2e

CREATIONS = 1000
DEALS = 40  # each opened and won: 80 sales writes


@dataclass(frozen=True)
class Outage:
    killed_at_progress: int  # customer creations acknowledged when the broker died
    sold_while_down: int  # sales writes confirmed before it came back
    downtime: float
    restarted: float  # the event loop's time


async def outage(  # noqa: PLR0917 - the scenario's parts
    system: System,
    broker: Broker,
    http: httpx.AsyncClient,
    sales: Sales,
    prefix: str,
    progress: list[int],
) -> Outage:
    """Kill the broker, open and win the deals meanwhile, restart it after at least 3 s once
    half of the sales writes are confirmed (at most a minute later); the deals finish."""
    loop, sold = asyncio.get_running_loop(), [0]
    await asyncio.to_thread(broker.kill)
    killed, killed_at_progress = loop.time(), progress[0]
    selling = asyncio.create_task(sell(http, system.gateway, sales, prefix, progress=sold))
    await asyncio.sleep(3)
    assert system.procs["interaction"].ready() is False, "readiness must drop without broker"
    await wait_until(lambda: sold[0] >= DEALS or selling.done(), 60, 0.05)
    sold_while_down = sold[0]
    await asyncio.to_thread(broker.start)
    restarted = loop.time()
    await selling
    return Outage(killed_at_progress, sold_while_down, restarted - killed, restarted)


@pytest.mark.timeout(2400)
async def test_broker_killed_during_1000_creations_loses_and_duplicates_nothing(
    system: System, broker: Broker
) -> None:
    prefix = unique("s1")
    store = Store(system)
    progress = [0]
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=16)) as http:
        sales = await prepare(http, system.gateway, store, prefix, DEALS)
        before = await store.customers_total()  # the sales customers made: counted before
        load = asyncio.create_task(
            create_customers(
                http,
                system.gateway,
                prefix,
                CREATIONS,
                concurrency=8,
                owner_of=lambda i: f"{prefix}-owner-{i % 25}",
                progress=progress,
            )
        )
        await wait_until(lambda: progress[0] >= CREATIONS * 0.3 or load.done(), 300, 0.05)
        assert not load.done(), "the load finished before the fault could be injected"
        fault = await outage(system, broker, http, sales, prefix, progress)
        outcomes, stats = await load

    async def customers_visible() -> float:
        await store.wait_all(store.projected, acked, timeout=180)
        await store.wait_all(store.notifications, acked, timeout=180)
        return loop.time() - fault.restarted

    async def sales_visible() -> float:
        await wait_effects(store, sales, timeout=180)
        return loop.time() - fault.restarted

    try:
        acked = [o.result_id for o in outcomes if o.result_id is not None]
        created = await store.customers_total() - before
        recovery, sales_recovery = await asyncio.gather(customers_visible(), sales_visible())
        projected = await store.projected(acked)
        notified = await store.notifications(acked)
        delivered = await store.delivered_events(acked)
        consumers = ("interaction", "notification", "sales")
        ready_again = [system.procs[n].wait_ready(30) for n in consumers]
        left = await effects(store, sales)
    finally:
        await store.close()
    lost_projection, dup_projection = missing_and_duplicated(acked, projected)
    lost_notice, dup_notice = missing_and_duplicated(acked, notified)
    _, dup_delivered = missing_and_duplicated(acked, delivered)
    found = sum(1 for i in acked if projected[i] >= 1 and notified[i] >= 1)
    duplicated = max(created - len(set(acked)), 0) + dup_projection + dup_notice + dup_delivered
    record(
        ScenarioResult(
            1,
            "RabbitMQ SIGKILLed during 1,000 createCustomer via the gateway, restarted after ≥ 3 s",
            attempted=stats.attempted,
            acknowledged=len(acked),
            found=found,
            lost=len(acked) - found,
            duplicated=duplicated,
            recovery_seconds=recovery,
            notes=(
                f"killed at {fault.killed_at_progress} acked, down {fault.downtime:.1f} s; "
                f"client retries {stats.retried_requests}; recovery = broker back → all 1,000 "
                "in interaction projection and notified"
            ),
        )
    )
    notes = (
        f"{fault.sold_while_down} of {2 * DEALS} writes confirmed while the broker was down; "
        f"client retries {sales.stats.retried_requests}; found = opportunity.created.v1 applied "
        "by customer, a won deal's customer ACTIVE by one version and the deal on the "
        "interaction timeline; recovery = broker back → all of them"
    )
    name = f"the same outage: {DEALS} deals opened and won via the gateway"
    record(row(1, name, sales, left, recovery=sales_recovery, notes=notes))
    assert len(acked) == CREATIONS, f"unacknowledged creations: {stats.error_codes}"
    assert created == CREATIONS, "client retries with the same key created nothing twice"
    assert (lost_projection, dup_projection) == (0, 0)
    assert (lost_notice, dup_notice, dup_delivered) == (0, 0, 0)
    assert all(t < 30 for t in ready_again)
    assert fault.sold_while_down > 0, "no sales write was confirmed while the broker was down"
    assert sales.acknowledged == 2 * DEALS, f"unconfirmed sales writes: {sales.stats.error_codes}"
    assert (left.problems, left.found, left.duplicated) == ([], 2 * DEALS, 0)
