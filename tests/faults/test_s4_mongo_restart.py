"""Scenario 4: the MongoDB servers restarted under write load (createCustomer through the
gateway): every write either succeeds or fails with a clear retryable error; afterwards no
acknowledged write is missing and none exists twice."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from crm_dev.testing import MongoServer
from tests.faults.checks import Store, wait_until
from tests.faults.client import create_customers
from tests.faults.report import ScenarioResult, record
from tests.faults.system import SERVICES, System
from tests.support import unique

pytestmark = pytest.mark.e2e

WRITES = 150
# Clear, retryable signals: the subgraph's "temporarily unavailable" (retryable: true), the
# gateway's "Subgraph 'customer' is unavailable", or no answer at all.
RETRYABLE = {
    "INTERNAL_SERVER_ERROR/retryable",
    "SUBGRAPH_UNAVAILABLE",
    "ReadTimeout",
    "ConnectError",
    "RemoteProtocolError",
}


@pytest.mark.timeout(600)
async def test_mongodb_restart_under_write_load_loses_no_acknowledged_write(
    system: System, mongo_servers: dict[str, MongoServer]
) -> None:
    if not mongo_servers:
        pytest.skip("MONGODB_URI points at an external server that this suite cannot restart")
    prefix = unique("s4")
    store = Store(system)
    before = await store.customers_total()
    progress = [0]
    async with httpx.AsyncClient() as http:
        load = asyncio.create_task(
            create_customers(http, system.gateway, prefix, WRITES, concurrency=8, progress=progress)
        )
        await wait_until(lambda: progress[0] >= WRITES * 0.3 or load.done(), 300, 0.05)
        assert not load.done(), "the load finished before the fault could be injected"
        # every service's server at once (customer's takes the writes)
        await asyncio.gather(*(asyncio.to_thread(m.restart) for m in mongo_servers.values()))
        ready = await asyncio.gather(
            *(asyncio.to_thread(system.procs[n].wait_ready, 60) for n in SERVICES)
        )
        outcomes, stats = await load
    first_ok_after = None
    try:
        acked = [o.result_id for o in outcomes if o.result_id is not None]
        found_ids = set(await store.customers(acked))
        created = await store.customers_total() - before
        first_ok_after = max(ready)
    finally:
        await store.close()
    lost = len(set(acked) - found_ids)
    duplicated = max(created - len(set(acked)), 0)
    unclear = {code: n for code, n in stats.error_codes.items() if code not in RETRYABLE}
    record(
        ScenarioResult(
            4,
            "MongoDB servers restarted during 150 createCustomer via the gateway (retry with key)",
            attempted=stats.attempted,
            acknowledged=len(acked),
            found=len(found_ids),
            lost=lost,
            duplicated=duplicated,
            recovery_seconds=first_ok_after,
            notes=(
                f"failed attempts during the restart: {dict(stats.error_codes)}, all retried with "
                "the same idempotencyKey; recovery = MongoDB back → every service ready"
            ),
        )
    )
    assert len(acked) == WRITES, stats.error_codes
    assert lost == 0 and duplicated == 0
    assert not unclear, f"failures without a clear retryable signal: {unclear}"
