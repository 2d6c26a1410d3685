"""`make seed`: demo data that shows every capability, loaded through the gateway (`make up`
first).

In order: the staff directory and service agents, tags, custom fields and assignment rules
(`catalog`); Chinese and English individuals and enterprises with custom field values, a
quarter routed by the assignment rules, a duplicate pair and a CSV import with one bad row
(`customers`); interactions with mentions, tickets at every stage, tasks with reminders and
purchases (`work`); two sales pipelines, products, CNY and USD price books and an exchange
rate (`sales_catalog`) and the customers' opportunities over every stage, some won or lost
(`sales`). The notifications follow from these: assignment, ticket, mention, import
and task-reminder notices for the seeded staff. Idempotent: every write is an upsert or
carries an idempotency key. Run from the repository root (`make seed`), where the `bench`
package lives; `make token USER=li.lei ROLE=SALES TEAM=east` signs in as a seeded rep. For
benchmark-sized data use `make bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys

import httpx

from crm_dev.seed.catalog import seed_catalog, seed_staff
from crm_dev.seed.client import GatewayClient, SeedError
from crm_dev.seed.customers import seed_customers, seed_import
from crm_dev.seed.sales import seed_opportunities
from crm_dev.seed.sales_catalog import PIPELINES, PRICE_BOOKS, PRODUCTS, seed_sales_catalog
from crm_dev.seed.work import seed_interactions, seed_purchases, seed_tasks, seed_tickets
from crm_kit.auth import issue_dev_token
from crm_kit.settings import AuthSettings

__all__ = ["SeedError", "main", "seed"]


async def seed(url: str, count: int, token: str) -> dict[str, int]:
    """Seed the system behind `url` as the holder of `token` (an ADMIN); what was written."""
    rng = random.Random(42)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=60) as http:
        gateway = GatewayClient(http, url)
        written = {"staff": await seed_staff(gateway)} | await seed_catalog(gateway)
        ids = await seed_customers(gateway, rng, count)
        await seed_import(gateway)
        written |= {"customers": len(ids), "imports": 1}
        written["interactions"] = await seed_interactions(gateway, rng, ids)
        written["tickets"] = await seed_tickets(gateway, rng, ids)
        written["tasks"] = await seed_tasks(gateway, rng, ids)
        written["purchases"] = await seed_purchases(gateway, rng, ids)
        sales = await seed_sales_catalog(gateway)
        written |= {"pipelines": len(PIPELINES), "products": len(PRODUCTS)}
        written["priceBooks"] = len(PRICE_BOOKS)
        written["opportunities"] = await seed_opportunities(gateway, rng, ids, sales)
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    port = os.environ.get("GATEWAY_PORT", "4000")
    parser.add_argument("--url", default=f"http://127.0.0.1:{port}/graphql")
    parser.add_argument("--count", type=int, default=40)
    args = parser.parse_args()
    secret = AuthSettings.from_env().jwt_secret
    token = issue_dev_token(secret, sub="admin", roles=["ADMIN"], name="系统管理员")
    try:
        written = asyncio.run(seed(args.url, args.count, token))
    except httpx.ConnectError:
        print(f"error: no gateway at {args.url}; run `make up` first", file=sys.stderr)
        return 1
    except SeedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"seeded through {args.url}: " + ", ".join(f"{n} {k}" for k, n in written.items()))
    return 0
