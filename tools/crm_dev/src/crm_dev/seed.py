"""`make seed`: load demo data through the gateway (`make up` first).

Chinese and English individuals and enterprises from the benchmark's generator
(`bench.customer.generator`: valid GB 11643 ID numbers and GB 32100 credit codes, mainland
mobiles, provinces, industries, tags), assigned to a few sales reps, each with a handful of
logged interactions. Idempotent: re-running reuses the same idempotency keys. Run from the
repository root (`make seed`), where the `bench` package lives. For benchmark-sized data
(thousands of customers, bulk-loaded) use `make bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
from typing import Any

import httpx

from bench.customer.generator import customer, graphql_input
from crm_kit.auth import issue_dev_token
from crm_kit.settings import AuthSettings

OWNERS = [("li.lei", "east"), ("han.meimei", "east"), ("wang.qiang", "south")]
NOTES = [
    "首次电话沟通，客户对产品感兴趣",
    "发送报价单，等待回复",
    "上门拜访，演示新功能",
    "Followed up on the quote by email",
    "Quarterly business review meeting",
]
CHANNELS = ["PHONE", "EMAIL", "MEETING", "VISIT", "WECHAT"]

CREATE = """mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }"""
LOG = """mutation($input: LogInteractionInput!) { logInteraction(input: $input) { id } }"""


async def call(client: httpx.AsyncClient, url: str, query: str, variables: dict[str, Any]) -> Any:
    body = (await client.post(url, json={"query": query, "variables": variables})).json()
    if body.get("errors"):
        raise RuntimeError(body["errors"][0]["message"])
    return body["data"]


async def seed(url: str, count: int) -> None:
    token = issue_dev_token(AuthSettings.from_env().jwt_secret, sub="seed", roles=["ADMIN"])
    rng = random.Random(42)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=30) as client:
        for i in range(count):
            owner, team = rng.choice(OWNERS)
            fields = graphql_input(customer(rng, i)) | {"ownerId": owner, "team": team}
            # force: a generated name/phone may resemble an earlier row; demo data keeps both
            fields |= {"force": True, "idempotencyKey": f"seed-{i}"}
            data = await call(client, url, CREATE, {"input": fields})
            customer_id = data["createCustomer"]["id"]
            for j in range(rng.randrange(1, 5)):
                await call(
                    client,
                    url,
                    LOG,
                    {
                        "input": {
                            "customerId": customer_id,
                            "channel": rng.choice(CHANNELS),
                            "direction": rng.choice(["INBOUND", "OUTBOUND"]),
                            "content": rng.choice(NOTES),
                            "idempotencyKey": f"seed-{i}-{j}",
                        }
                    },
                )
    print(f"seeded {count} customers through {url}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    port = os.environ.get("GATEWAY_PORT", "4000")
    parser.add_argument("--url", default=f"http://127.0.0.1:{port}/graphql")
    parser.add_argument("--count", type=int, default=40)
    args = parser.parse_args()
    try:
        asyncio.run(seed(args.url, args.count))
    except httpx.ConnectError:
        print(f"error: no gateway at {args.url}; run `make up` first", file=sys.stderr)
        return 1
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
