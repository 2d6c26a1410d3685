"""Scenario 2: the notification service (a consumer) SIGKILLed while it handles a stream of
events; after a restart nothing is lost and nothing is applied twice."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from crm_dev.testing import MongoServer
from crm_kit.bus import EventBus
from tests.faults.checks import Store, assigned_event, missing_and_duplicated, wait_until
from tests.faults.report import ScenarioResult, record
from tests.faults.system import System
from tests.support import unique

pytestmark = pytest.mark.e2e

EVENTS = 300


async def applied_total(base_url: str) -> float:
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"{base_url}/metrics", timeout=5)).text
    for line in text.splitlines():
        if line.startswith("crm_consumer_applied_total"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def aborted_transactions(servers: dict[str, MongoServer]) -> int:
    """How many abandoned transactions the notification's embedded server has aborted (a
    SIGKILLed client's open transaction: MongoDB aborts it after its lifetime limit, the
    embedded gate as soon as the client's connections close)."""
    server = servers.get("notification")
    if server is None:
        return 0
    text = server.log_file.read_text(errors="replace")
    return text.count("aborting an abandoned transaction")


@pytest.mark.timeout(600)
async def test_consumer_killed_mid_stream_loses_and_repeats_nothing(
    system: System, mongo_servers: dict[str, MongoServer]
) -> None:
    prefix = unique("s2")
    ids = [f"{prefix}-c{i}" for i in range(EVENTS)]
    store = Store(system)
    bus = EventBus(system.amqp_url, system.exchange)
    loop = asyncio.get_running_loop()
    notification = system.procs["notification"]
    try:
        await bus.connect()
        for i, customer_id in enumerate(ids):  # confirmed publishes: all are in the queue
            await bus.publish(assigned_event(customer_id, f"{prefix}-owner-{i % 10}"))

        base = await applied_total(notification.base)
        aborted_before = aborted_transactions(mongo_servers)

        async def some_applied() -> bool:
            return await applied_total(notification.base) - base >= EVENTS * 0.1

        assert await wait_until(some_applied, 240, 0.02), "the consumer made no progress"
        await asyncio.to_thread(notification.kill)
        applied_before_kill = sum((await store.notifications(ids)).values())
        await asyncio.sleep(1)
        notification.start()
        restarted = loop.time()
        await asyncio.to_thread(notification.wait_ready, 60)
        notified, _ = await store.wait_all(store.notifications, ids, timeout=240)
        recovery = loop.time() - restarted
        await asyncio.sleep(1)  # a late duplicate would show up here
        notified = await store.notifications(ids)
        delivered = await store.delivered_events(ids)
        aborted = aborted_transactions(mongo_servers) - aborted_before
    finally:
        await bus.close()
        await store.close()
    lost, duplicated = missing_and_duplicated(ids, notified)
    lost_events, duplicated_events = missing_and_duplicated(ids, delivered)
    record(
        ScenarioResult(
            2,
            "notification consumer SIGKILLed mid-stream of 300 customer.assigned, restarted",
            attempted=EVENTS,
            acknowledged=EVENTS,
            found=EVENTS - lost,
            lost=lost,
            duplicated=duplicated + duplicated_events,
            recovery_seconds=recovery,
            notes=(
                f"killed after {applied_before_kill} applied; acknowledged = publisher-confirmed;"
                f" open transactions of the killed process aborted by the server: {aborted};"
                " recovery = restart → all 300 notifications exist"
            ),
        )
    )
    assert applied_before_kill < EVENTS, "the kill must land in the middle of the stream"
    assert (lost, duplicated) == (0, 0)
    assert (lost_events, duplicated_events) == (0, 0), "each effect's outgoing event once"
