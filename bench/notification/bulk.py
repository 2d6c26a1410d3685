"""A bulk import's notices, and a live notice made during it, through the gateway.

    .venv/bin/python -m bench.notification.bulk --rows 500 --runs 3

Stands up customer, notification and the gateway (tests/harness.py `serve_system`) on the
embedded MongoDB and RabbitMQ (or MONGODB_URI / AMQP_URL), subscribes two salespeople to
`notificationReceived` through the gateway, then, per run:

- an ADMIN imports `--rows` customers, every row owned by salesperson A;
- while the import runs, another ADMIN assigns one customer at a time to salesperson B
  (`--probe-every` seconds apart, at least `--probes` of them);
- A's inbox is polled through the gateway (every `--poll` seconds) until it accounts for
  every customer the import created.

It reports, per run and as medians over the runs:
1. how many notifications A got;
2. the arrival delay of A's notices: per imported customer, when A's inbox first accounted
   for it (a notice per customer, or the collapsed notice's count) minus the customer's
   `createdAt` (median and max), and from the import's end until A's inbox accounted for all;
3. the delay of each live notice to B: the `assignCustomer` answer → the push on B's
   subscription (median and max).

It runs against the code it imports: to measure other code (an earlier commit), put that
checkout's `src` folders on PYTHONPATH ahead of the editable installs (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import statistics
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import orjson

from crm_dev.testing import infrastructure
from tests.harness import SystemHandle, serve_system
from tests.integration.notification.ws_client import WsSubscription, subscribe
from tests.support import auth_headers, token

ADMIN = auth_headers(sub="bench-admin", roles=("ADMIN",), team="east")
LEAD = auth_headers(sub="bench-lead", roles=("ADMIN",), team="east")  # assigns live
MAP = '{"0":["variables.f"]}'
UPLOAD = "mutation($f: Upload!) { importCustomers(file: $f) { id } }"
JOB = "query($id: ID!) { importJob(id: $id) { status processed created startedAt finishedAt } }"
CREATE = "mutation($n: String!) { createCustomer(input: {kind: ENTERPRISE, name: $n}) { id } }"
ASSIGN = 'mutation($id: ID!, $o: ID!) { assignCustomer(id: $id, ownerId: $o, team: "east") { id } }'
# The collapsed notice says how many customers it stands for; code without it has one notice
# per customer (the fallback query).
INBOX = "{ myNotifications(first: 20) { totalCount edges { node { type batch { count } } } } }"
INBOX_COUNT = "{ myNotifications(first: 0) { totalCount } }"
OWNED = """query($o: ID!, $after: String) {
  customers(first: 100, after: $after, filter: {ownerId: $o},
    orderBy: {field: CREATED_AT, direction: ASC}) {
    edges { node { createdAt } } pageInfo { hasNextPage endCursor } } }"""


def csv_rows(rows: int, owner: str, run: int) -> bytes:
    lines = ["Kind,Name,Phones,Owner,Team"]
    lines += [f"INDIVIDUAL,导入客户{run}-{i},139{run:02d}{i:06d},{owner},east" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def parse_time(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


@dataclass
class Run:
    notifications: int = 0
    customer_delays: list[float] = field(default_factory=list)
    after_import: float = 0.0
    first_push: float | None = None
    import_seconds: float = 0.0
    live: list[float] = field(default_factory=list)


@dataclass
class Bench:
    system: SystemHandle
    http: httpx.AsyncClient
    poll: float
    probe_every: float
    probes: int
    grouped: bool = True  # the code under test has collapsed notices

    async def gql(self, query: str, variables: dict[str, Any], headers: dict[str, str]) -> Any:
        answer = (
            await self.http.post(
                self.system.graphql, json={"query": query, "variables": variables}, headers=headers
            )
        ).json()
        if "errors" in answer:
            raise RuntimeError(orjson.dumps(answer["errors"]).decode()[:500])
        return answer["data"]

    async def accounted(self, user: str) -> tuple[int, int]:
        """(notifications, customers they account for) in `user`'s inbox."""
        me = auth_headers(sub=user, roles=("SALES",), team="east")
        if self.grouped:
            try:
                page = (await self.gql(INBOX, {}, me))["myNotifications"]
            except RuntimeError as exc:
                if "batch" not in str(exc):
                    raise
                self.grouped = False
            else:
                nodes = [e["node"] for e in page["edges"]]
                counted = sum((n["batch"] or {"count": 1})["count"] for n in nodes)
                return page["totalCount"], counted + page["totalCount"] - len(nodes)
        total = (await self.gql(INBOX_COUNT, {}, me))["myNotifications"]["totalCount"]
        return total, total

    async def created_times(self, owner: str) -> list[float]:
        times: list[float] = []
        after: str | None = None
        while True:
            page = (await self.gql(OWNED, {"o": owner, "after": after}, ADMIN))["customers"]
            times += [parse_time(e["node"]["createdAt"]) for e in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                return times
            after = page["pageInfo"]["endCursor"]

    async def upload(self, data: bytes) -> str:
        operations = {"query": UPLOAD, "variables": {"f": None}}
        answer = (
            await self.http.post(
                self.system.graphql,
                data={"operations": orjson.dumps(operations).decode(), "map": MAP},
                files={"0": ("customers.csv", data, "text/csv")},
                headers=ADMIN,
            )
        ).json()
        if "errors" in answer:
            raise RuntimeError(str(answer["errors"])[:500])
        return str(answer["data"]["importCustomers"]["id"])

    async def live_probe(self, to: str, feed: WsSubscription) -> float:
        """One customer assigned to `to`: the mutation's answer → the push (seconds)."""
        created = await self.gql(CREATE, {"n": f"现场客户 {uuid.uuid4().hex[:8]}"}, LEAD)
        customer = created["createCustomer"]["id"]
        await self.gql(ASSIGN, {"id": customer, "o": to}, LEAD)
        answered = time.perf_counter()
        while True:
            payload = await asyncio.wait_for(feed.next(), timeout=300)
            if payload["data"]["notificationReceived"]["customerId"] == customer:
                return time.perf_counter() - answered

    @staticmethod
    async def first_push(feed: WsSubscription, started: float) -> float:
        await asyncio.wait_for(feed.next(), timeout=600)
        return time.perf_counter() - started

    async def job(self, job_id: str) -> dict[str, Any]:
        found: dict[str, Any] = (await self.gql(JOB, {"id": job_id}, ADMIN))["importJob"]
        return found

    async def run(self, run: int, rows: int, a: str, b: str) -> Run:
        result = Run()
        url = self.system.graphql
        async with (
            subscribe(url, token(sub=a, roles=("SALES",))) as feed_a,
            subscribe(url, token(sub=b, roles=("SALES",))) as feed_b,
        ):
            await asyncio.sleep(0.5)  # the gateway opens its upstream subscriptions
            started = time.perf_counter()
            job_id = await self.upload(csv_rows(rows, a, run))
            first = asyncio.create_task(self.first_push(feed_a, started))
            probes = asyncio.create_task(self.probe_during(job_id, b, feed_b, result))
            created: asyncio.Future[int] = asyncio.get_running_loop().create_future()
            watch = asyncio.create_task(self.watch_inbox(a, created))
            job = await self.wait_job(job_id)
            times = sorted(await self.created_times(a))
            created.set_result(len(times))
            arrivals = await watch
            result.first_push = await first
            await probes
        ended = parse_time(job["finishedAt"])
        result.import_seconds = ended - parse_time(job["startedAt"])
        result.notifications = (await self.accounted(a))[0]
        result.customer_delays = [max(0.0, t - c) for t, c in zip(arrivals, times, strict=False)]
        result.after_import = max(0.0, arrivals[-1] - ended) if arrivals else float("nan")
        return result

    async def wait_job(self, job_id: str) -> dict[str, Any]:
        while True:
            job = await self.job(job_id)
            if job["status"] in ("COMPLETED", "FAILED", "CANCELLED"):
                return job
            await asyncio.sleep(self.poll)

    async def probe_during(self, job_id: str, to: str, feed: WsSubscription, result: Run) -> None:
        """Live assignments to `to` from the import's first progress on, while it runs (and
        at least `probes` of them)."""
        while (await self.job(job_id))["processed"] == 0:  # noqa: ASYNC110 - polls the API
            await asyncio.sleep(0.05)
        while True:
            tick = time.perf_counter()
            result.live.append(await self.live_probe(to, feed))
            if len(result.live) >= self.probes and (await self.job(job_id))["status"] != "RUNNING":
                return
            await asyncio.sleep(max(0.0, self.probe_every - (time.perf_counter() - tick)))

    async def watch_inbox(self, user: str, created: asyncio.Future[int]) -> list[float]:
        """Wall-clock time at which the inbox first accounted for the 1st, 2nd, … customer,
        polled from the upload on until it accounts for all `created` (known at the end)."""
        arrivals: list[float] = []
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            _, counted = await self.accounted(user)
            now = time.time()
            arrivals += [now] * max(0, counted - len(arrivals))
            if created.done() and len(arrivals) >= created.result():
                return arrivals[: created.result()]
            await asyncio.sleep(self.poll)
        return arrivals


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def report(runs: list[Run], rows: int) -> None:
    print(f"import of {rows} rows owned by one salesperson; {len(runs)} run(s)")
    for i, r in enumerate(runs, 1):
        print(
            f"  run {i}: import ran {r.import_seconds:5.1f} s   notifications "
            f"{r.notifications:4d}   customer→inbox median "
            f"{median(r.customer_delays):6.2f} s max {max(r.customer_delays, default=0):6.2f} s   "
            f"import end→all accounted {r.after_import:6.2f} s   first push "
            f"{r.first_push or float('nan'):6.2f} s   live to another user median "
            f"{median(r.live):6.3f} s max {max(r.live, default=0):6.3f} s ({len(r.live)} probes)"
        )
    print(
        f"median over runs: notifications {median([r.notifications for r in runs]):g}; "
        f"customer→inbox median {median([median(r.customer_delays) for r in runs]):.2f} s, "
        f"max {median([max(r.customer_delays, default=0) for r in runs]):.2f} s; "
        f"import end→all accounted {median([r.after_import for r in runs]):.2f} s; "
        f"live notice to another user median {median([median(r.live) for r in runs]):.3f} s, "
        f"max {median([max(r.live, default=0) for r in runs]):.3f} s"
    )


async def bench(mongodb_uri: str, amqp_url: str, args: argparse.Namespace) -> None:
    async with (
        # a write during the import may wait seconds for the embedded database: not a failure
        serve_system(
            mongodb_uri, amqp_url, ("customer", "notification"), subgraph_timeout_seconds=60.0
        ) as system,
        httpx.AsyncClient(timeout=120) as http,
    ):
        logging.disable(logging.INFO)  # the services' request logs
        runner = Bench(system, http, args.poll, args.probe_every, args.probes)
        runs: list[Run] = []
        for run in range(args.runs):
            a, b = f"sales-a-{run}", f"sales-b-{run}"
            runs.append(await runner.run(run, args.rows, a, b))
        report(runs, args.rows)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.notification.bulk")
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--poll", type=float, default=0.25, help="inbox poll interval (s)")
    parser.add_argument("--probe-every", type=float, default=1.0, help="live probes' spacing (s)")
    parser.add_argument("--probes", type=int, default=3, help="live probes per run, at least")
    args = parser.parse_args()
    with (
        infrastructure("bench-bulk-notices-") as (mongodb_uri, amqp_url),
        contextlib.suppress(KeyboardInterrupt),
    ):
        asyncio.run(bench(mongodb_uri, amqp_url, args))


if __name__ == "__main__":
    main()
