"""What leaves the service: opportunity events published from the outbox to the broker as
CloudEvents (routing key = type, subject = the customer), in the order they were written; and
the migration command that prepares a database before the first pod serves."""

from __future__ import annotations

from typing import Any

import pytest

from crm_kit.migrations import migrate
from crm_sales.migrations import MIGRATIONS
from crm_sales.migrations.indexes import ALL_INDEXES
from tests.harness import observer
from tests.integration.sales.harness import Sales
from tests.integration.sales.opportunity_support import MOVE, open_deal
from tests.support import eventually, service_settings

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def test_events_reach_the_broker_in_order(service: Sales, amqp_url: str) -> None:
    pipeline = await service.new_pipeline()
    customer = await service.new_customer()
    async with observer(amqp_url, service.exchange, "opportunity.#") as seen:
        deal = await open_deal(
            service,
            pipeline,
            customer,
            amount="10.00",
            expectedCloseDate="2026-06-30",
            contacts=[{"name": "张伟", "role": "DECISION_MAKER"}],
        )
        move = {"id": deal["id"], "stageId": "won", "reason": "PRICE", "note": "签约"}
        await service.ok(MOVE, {"input": move})

        async def three() -> list[dict[str, Any]]:
            mine = [e for e in seen if e["subject"] == customer]
            return mine if len(mine) >= 3 else []

        events = await eventually(three)
    assert [e["type"] for e in events] == [
        "opportunity.created.v1",
        "opportunity.stage_changed.v1",
        "opportunity.won.v1",
    ]
    won = events[2]
    assert (won["specversion"], won["source"]) == ("1.0", f"crm/{service.settings.service_name}")
    assert won["data"]["reason"] == "PRICE" and won["data"]["customerId"] == customer
    assert "张伟" not in str(events) and "签约" not in str(events)  # no personal data, no notes


async def test_the_migration_prepares_a_database_once(mongodb_uri: str, amqp_url: str) -> None:
    settings = service_settings("sales", mongodb_uri, amqp_url)
    first = await migrate(settings, MIGRATIONS, ALL_INDEXES)
    again = await migrate(settings, MIGRATIONS, ALL_INDEXES)
    every = tuple(migration.version for migration in MIGRATIONS)
    assert (first.applied, again.applied) == (every, ())
