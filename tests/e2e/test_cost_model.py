"""Cost model: database commands and subgraph requests per customer 360, search page and
timeline page do not grow with the data (measured for the same operations at 20 and 200
customers, through the gateway, with PyMongo command monitoring in every service)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bench import data
from bench.cost import CostSystem, cost_system
from bench.scenarios import CUSTOMER_360, SEARCH, TIMELINE
from tests.support import auth_headers

pytestmark = pytest.mark.e2e


@pytest.fixture
async def system(mongodb_uri: str, amqp_url: str) -> AsyncIterator[CostSystem]:
    headers = auth_headers(sub="alice", roles=("ADMIN",), team="east")
    async with cost_system(mongodb_uri, amqp_url, headers=headers) as system:
        yield system


async def seed(system: CostSystem, customers: int, items: int, offset: int) -> data.SeededData:
    return await data.seed(
        system.settings["customer"].mongodb_uri,
        customers=customers,
        items=items,
        customer_db=system.settings["customer"].mongodb_database,
        interaction_db=system.settings["interaction"].mongodb_database,
        seed_value=offset + 1,
        offset=offset,
    )


async def test_cost_per_operation_is_the_same_at_20_and_200_customers(system: CostSystem) -> None:
    small = await seed(system, 20, 200, offset=0)
    target, busiest = small.customers[5], small.heavy[0] if small.heavy else small.customers[0]
    operations: dict[str, tuple[str, dict[str, Any]]] = {
        "customer 360": (CUSTOMER_360, {"id": target}),
        "customer 360 (busiest)": (CUSTOMER_360, {"id": busiest}),
        "search text": (SEARCH, {"f": {"text": small.search_terms[0]}}),
        "search owner+stage": (SEARCH, {"f": {"ownerId": "staff3", "stages": ["LEAD"]}}),
        "timeline page": (TIMELINE, {"id": busiest}),
    }
    before = {name: await system.cost(q, v) for name, (q, v) in operations.items()}
    await seed(system, 180, 200, offset=20)
    after = {name: await system.cost(q, v) for name, (q, v) in operations.items()}

    for name in operations:
        assert after[name].key() == before[name].key(), (name, before[name], after[name])
    for name, cost in before.items():
        print(f"{name}: {cost.subgraph_requests} subgraph requests, {cost.commands}")
    # The shape, not only the constancy: one request per subgraph for the 360 view, one for
    # search, the customer root plus one entity hop for the timeline, few commands each.
    assert before["customer 360"].subgraph_requests == 3
    assert before["search text"].subgraph_requests == 1
    assert before["timeline page"].subgraph_requests == 2
    for name, cost in before.items():
        assert 1 <= cost.total_db_commands <= 8, (name, cost.commands)
    assert before["customer 360"].db_commands["notification"] >= 1
