"""`make seed`: load demo data through the gateway (`make up` first).

Chinese and English individuals and enterprises, assigned to a few sales reps, each with a
handful of logged interactions. Idempotent: re-running reuses the same idempotency keys.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
from typing import Any

import httpx

from crm_kit.auth import issue_dev_token
from crm_kit.settings import AuthSettings

PEOPLE = [
    "张伟",
    "王芳",
    "李娜",
    "刘洋",
    "陈静",
    "杨磊",
    "赵敏",
    "黄强",
    "周杰",
    "吴霞",
    "Emily Carter",
    "James Wilson",
    "Sophia Martin",
    "Liam Brown",
    "Olivia Taylor",
]
COMPANIES = [
    "上海云启科技有限公司",
    "北京华信咨询有限公司",
    "深圳前海物流有限公司",
    "杭州西湖文化传媒有限公司",
    "Acme Trading Ltd",
    "Northwind Foods Inc",
]
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
            enterprise = i % 4 == 3
            name = rng.choice(COMPANIES if enterprise else PEOPLE)
            owner, team = rng.choice(OWNERS)
            data = await call(
                client,
                url,
                CREATE,
                {
                    "input": {
                        "kind": "ENTERPRISE" if enterprise else "INDIVIDUAL",
                        "name": name,
                        "stage": rng.choice(["LEAD", "PROSPECT", "ACTIVE"]),
                        "phones": [f"139{rng.randrange(10**8):08d}"],
                        "tags": rng.sample(["vip", "华东", "华南", "renewal", "new"], 2),
                        "source": rng.choice(["ONLINE", "OFFLINE", "REFERRAL"]),
                        "ownerId": owner,
                        "team": team,
                        "idempotencyKey": f"seed-{i}",
                    }
                },
            )
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
