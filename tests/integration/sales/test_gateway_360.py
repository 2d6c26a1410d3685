"""The customer 360 through the gateway, with the customer and sales subgraphs composed: a
customer created in the customer service reaches the sales projection by its event, and the
360 query's opportunities and open pipeline cost the same subgraph requests for one
opportunity as for fifty."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from crm_dev.ports import free_port
from crm_sales.app import create_app as sales_app
from crm_sales.settings import SalesSettings
from tests.harness import SUBGRAPH_REQUESTS, GraphQL, create_service_app
from tests.integration.sales.harness import STAGES
from tests.support import (
    auth_headers,
    eventually,
    serve_app,
    service_settings,
    unique,
    wait_ready,
)

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

CUSTOMER = "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }"
PIPELINE = "mutation($i: PipelineInput!) { createPipeline(input: $i) { pipeline { id } } }"
DEAL = (
    "mutation($i: CreateOpportunityInput!) { createOpportunity(input: $i) { opportunity { id } } }"
)
VIEW = """
query($id: ID!) {
  customer(id: $id) {
    id displayName
    opportunities(first: 50) {
      totalCount
      edges { node { name amount { amount } stage { name } owner { id name } customer { id } } }
    }
    openPipeline { count amount { amount currency } weightedAmount { amount } }
  }
}"""


@dataclass
class System(GraphQL):
    gateway: str = ""
    sales_db: Any = None

    async def requests(self) -> dict[str, int]:
        text = (await self.http.get(f"{self.gateway}/metrics")).text
        counts: dict[str, int] = {}
        for name, value in SUBGRAPH_REQUESTS.findall(text):
            counts[name] = counts.get(name, 0) + int(float(value))
        return counts


@asynccontextmanager
async def customer_and_sales(mongodb_uri: str, amqp_url: str) -> AsyncIterator[System]:
    from crm_gateway.app import create_app as gateway_app
    from crm_gateway.settings import GatewaySettings

    exchange = unique("crm.events")
    customer = service_settings("customer", mongodb_uri, amqp_url, events_exchange=exchange)
    sales = service_settings("sales", mongodb_uri, amqp_url, events_exchange=exchange)
    apps = {
        "customer": (create_service_app("customer", customer), customer.port),
        "sales": (sales_app(sales, options=SalesSettings(customer_wait_seconds=5)), sales.port),
    }
    subgraphs = tuple((n, f"http://127.0.0.1:{port}/graphql") for n, (_a, port) in apps.items())
    async with AsyncExitStack() as stack:
        for app, port in apps.values():
            await wait_ready(await stack.enter_async_context(serve_app(app, port)))
        gateway = GatewaySettings(port=free_port(), subgraphs=subgraphs)
        base = await stack.enter_async_context(serve_app(gateway_app(gateway), gateway.port))
        await wait_ready(base)
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=30.0))
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri, tz_aware=True)
        stack.push_async_callback(client.close)
        yield System(
            http=http,
            graphql=f"{base}/graphql",
            headers=auth_headers(),
            gateway=base,
            sales_db=client[sales.mongodb_database],
        )


async def test_the_360_costs_the_same_for_one_or_fifty_opportunities(
    mongodb_uri: str, amqp_url: str
) -> None:
    async with customer_and_sales(mongodb_uri, amqp_url) as system:
        ids = []
        for name in ("一号客户有限公司", "五十号客户有限公司"):
            created = await system.one(CUSTOMER, {"i": {"kind": "ENTERPRISE", "name": name}})
            ids.append(created["id"])
        pipeline = await system.one(
            PIPELINE, {"i": {"nameZh": "标准流程", "nameEn": "Standard", "stages": STAGES}}
        )
        for customer_id, count in zip(ids, (1, 50), strict=True):
            for n in range(count):
                deal = {"customerId": customer_id, "pipelineId": pipeline["pipeline"]["id"]}
                await system.one(DEAL, {"i": deal | {"name": f"商机 {n}", "amount": "10.00"}})
        costs, answers = [], []
        for customer_id in ids:
            before = await system.requests()
            answers.append((await system.ok(VIEW, {"id": customer_id}))["customer"])
            after = await system.requests()
            costs.append({name: after[name] - before.get(name, 0) for name in after})
        assert costs[0] == costs[1], costs
        one, fifty = answers
        assert (one["opportunities"]["totalCount"], fifty["opportunities"]["totalCount"]) == (1, 50)
        assert fifty["openPipeline"] == {
            "count": 50,
            "amount": {"amount": "500.00", "currency": "CNY"},
            "weightedAmount": {"amount": "50.00"},
        }
        node = fifty["opportunities"]["edges"][0]["node"]
        assert node["customer"]["id"] == ids[1] and node["owner"]["id"] == "alice"
        assert node["stage"] == {"name": "线索"}
        assert await eventually(lambda: system.sales_db["customers"].find_one({"_id": ids[0]}))
