"""Scenario 5: a poison event (its handler always fails) ends in the DLQ after the delivery
limit while the events behind it keep flowing; the DLQ command lists and replays it."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from crm_kit import dlq
from crm_kit.bus import EventBus
from crm_kit.events import CloudEvent
from tests.faults.checks import Store, assigned_event, missing_and_duplicated, wait_until
from tests.faults.report import ScenarioResult, record
from tests.faults.system import ROOT, System
from tests.support import unique

pytestmark = pytest.mark.e2e

GOOD = 50
MAX_ATTEMPTS = 3  # CONSUMER_MAX_ATTEMPTS of the fault-suite processes


def dlq_cli(system: System, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crm_dev.dlq", *args, "--amqp-url", system.amqp_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def parked(system: System, event_id: str) -> list[dlq.ParkedMessage]:
    return [m for m in await dlq.peek(system.amqp_url, "interaction") if m.message_id == event_id]


@pytest.mark.timeout(300)
async def test_poison_event_is_parked_and_the_rest_keeps_flowing(system: System) -> None:
    prefix = unique("s5")
    ids = [f"{prefix}-c{i}" for i in range(GOOD)]
    poison = CloudEvent(type="customer.assigned.v1", source="crm/customer", subject="", data={})
    store = Store(system)
    bus = EventBus(system.amqp_url, system.exchange)
    loop = asyncio.get_running_loop()
    try:
        await bus.connect()
        began = loop.time()
        await bus.publish(poison)  # first in line: everything else is behind it
        for i, customer_id in enumerate(ids):
            await bus.publish(assigned_event(customer_id, f"{prefix}-owner-{i % 5}"))
        # the interaction projection cannot apply a customer event without a snapshot
        notified, flow_s = await store.wait_all(store.projected, ids, timeout=120)
        await wait_until(lambda: parked(system, poison.id), 60, 0.2)
        parked_after = loop.time() - began
        [message] = await parked(system, poison.id)
        listed = dlq_cli(system, "list", "interaction")
        shown = dlq_cli(system, "show", "interaction")
        replayed = dlq_cli(system, "replay", "interaction", "--id", poison.id)
        # replayed with a fresh attempt count: it fails again and is parked again, once
        await wait_until(lambda: parked(system, poison.id), 60, 0.2)
        again = await parked(system, poison.id)
    finally:
        await bus.close()
        await store.close()
    lost, duplicated = missing_and_duplicated(ids, notified)
    record(
        ScenarioResult(
            5,
            "poison customer.assigned (interaction handler always fails) ahead of 50 good events",
            attempted=GOOD + 1,
            acknowledged=GOOD + 1,
            found=GOOD - lost + (1 if message else 0),
            lost=lost,
            duplicated=duplicated,
            recovery_seconds=None,
            notes=(
                f"good events all applied in {flow_s:.1f} s; poison parked after "
                f"{message.attempts} attempts in {parked_after:.1f} s; DLQ replay re-parked it"
            ),
        )
    )
    assert (lost, duplicated) == (0, 0)
    assert message.attempts == MAX_ATTEMPTS and "MalformedEvent" in message.last_error
    assert listed.returncode == 0 and "interaction.events.dlq" in listed.stdout, listed
    assert shown.returncode == 0 and poison.id in shown.stdout, shown
    assert replayed.returncode == 0 and f"replayed {poison.id}" in replayed.stdout, replayed
    assert len(again) == 1 and again[0].attempts == MAX_ATTEMPTS
