"""Scenario 1: RabbitMQ SIGKILLed in the middle of 1,000 customer creations through the
gateway, restarted a few seconds later."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from crm_dev.testing import Broker
from tests.faults.checks import Store, missing_and_duplicated, wait_until
from tests.faults.client import create_customers
from tests.faults.report import ScenarioResult, record
from tests.faults.system import System
from tests.support import unique

pytestmark = pytest.mark.e2e

CREATIONS = 1000


@pytest.mark.timeout(2400)
async def test_broker_killed_during_1000_creations_loses_and_duplicates_nothing(
    system: System, broker: Broker
) -> None:
    prefix = unique("s1")
    store = Store(system)
    before = await store.customers_total()
    progress = [0]
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=16)) as http:
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
        await asyncio.to_thread(broker.kill)
        killed_at_progress = progress[0]
        await asyncio.sleep(3)
        assert system.procs["interaction"].ready() is False, "readiness must drop without broker"
        await asyncio.to_thread(broker.start)
        restarted = loop.time()
        outcomes, stats = await load
    try:
        acked = [o.result_id for o in outcomes if o.result_id is not None]
        created = await store.customers_total() - before
        projected, projection_s = await store.wait_all(store.projected, acked, timeout=180)
        notified, notified_s = await store.wait_all(store.notifications, acked, timeout=180)
        delivered = await store.delivered_events(acked)
        recovery = loop.time() - restarted
        ready_again = [system.procs[n].wait_ready(30) for n in ("interaction", "notification")]
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
            "RabbitMQ SIGKILLed during 1,000 createCustomer via the gateway, restarted after 3 s",
            attempted=stats.attempted,
            acknowledged=len(acked),
            found=found,
            lost=len(acked) - found,
            duplicated=duplicated,
            recovery_seconds=recovery,
            notes=(
                f"killed at {killed_at_progress} acked; client retries {stats.retried_requests}; "
                f"recovery = broker back → all 1,000 in interaction projection and notified"
            ),
        )
    )
    assert len(acked) == CREATIONS, f"unacknowledged creations: {stats.error_codes}"
    assert created == CREATIONS, "client retries with the same key created nothing twice"
    assert (lost_projection, dup_projection) == (0, 0)
    assert (lost_notice, dup_notice, dup_delivered) == (0, 0, 0)
    assert all(t < 30 for t in ready_again)
    del projection_s, notified_s
