"""Duplicate candidates made by imports of numbered names, through the gateway.

    .venv/bin/python -m bench.customer.duplicates --people 1000 --companies 500 --runs 3

Stands up the customer service and the gateway (tests/harness.py `serve_system`) on the
embedded MongoDB and RabbitMQ (or MONGODB_URI / AMQP_URL), a fresh database per run, and
imports two files through `importCustomers`, one after the other:

1. `--people` individuals named ``导入测试<run>-1``, ``导入测试<run>-2``, … (the names differ
   only by their number), each with its own valid mobile number, all in 北京市;
2. `--companies` enterprises named ``测试科技有限公司1``, ``测试科技有限公司2``, … in 北京市.

Per file it reports the open candidate pairs the import added (`possibleDuplicates
{ totalCount }`), the most pairs any one record is in, rows per second from the upload to
the job's `finishedAt`, and how many of the job polls (every 0.25 s) the gateway answered
with an error while the import ran (the customer service too busy to answer within the
gateway's subgraph timeout); with more than one run, the medians too.

It runs against the code it imports: to measure other code (an earlier commit), put that
checkout's `src` folders (services/*/src, libs/crm_kit/src, gateway/src, tools/crm_dev/src)
and its root on PYTHONPATH ahead of the editable installs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import orjson
from pymongo import AsyncMongoClient

from bench.imports_run import FINISHED, UPLOAD
from bench.scenarios import Gateway, GraphQLError
from crm_dev.testing import infrastructure
from crm_kit.settings import DEFAULT_DEV_JWT_SECRET
from tests.harness import SystemHandle, serve_system

PAIRS = "{ possibleDuplicates(first: 1) { totalCount } }"
JOB = "query($id: ID!) { importJob(id: $id) { status created finishedAt } }"
HEADER = "Kind,Name,Phones,Province,City"


def people_file(rows: int, run: int) -> bytes:
    """Individuals whose names differ only by a number, each with its own mobile."""
    lines = [HEADER]
    for i in range(1, rows + 1):
        lines.append(f"INDIVIDUAL,导入测试{run}-{i},139{run:02d}{i:06d},北京市,北京市")
    return ("\n".join(lines) + "\n").encode()


def companies_file(rows: int) -> bytes:
    """Enterprises whose names differ only by a number."""
    lines = [HEADER]
    lines += [f"ENTERPRISE,测试科技有限公司{i},,北京市,北京市" for i in range(1, rows + 1)]
    return ("\n".join(lines) + "\n").encode()


@dataclass(frozen=True, slots=True)
class Figures:
    rows: int
    created: int
    seconds: float
    failed_polls: int
    pairs: int
    most_per_record: int

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds


async def import_file(
    gw: Gateway, body: bytes, name: str, timeout: float
) -> tuple[int, float, int]:
    """Upload one CSV and wait for its job: (customers created, seconds from the upload to the
    job's end, polls answered with an error)."""
    operations = {"query": UPLOAD, "variables": {"f": None, "k": None}}
    started, wall = time.perf_counter(), time.time()
    response = await gw.http.post(
        gw.url,
        data={"operations": orjson.dumps(operations).decode(), "map": '{"0":["variables.f"]}'},
        files={"0": (name, body, "text/csv")},
        headers=gw.headers,
    )
    answer = response.json()
    if answer.get("errors"):
        raise GraphQLError(str(answer["errors"][0].get("message")))
    job_id = answer["data"]["importCustomers"]["id"]
    failed = 0
    while time.perf_counter() - started < timeout:
        await asyncio.sleep(0.25)
        try:
            state = (await gw.gql(JOB, {"id": job_id}))["importJob"]
        except (GraphQLError, httpx.TimeoutException):
            failed += 1  # the service did not answer in time: the import keeps running
            continue
        if state["status"] in FINISHED:
            ended = datetime.fromisoformat(state["finishedAt"].replace("Z", "+00:00"))
            return int(state["created"]), ended.timestamp() - wall, failed
    raise GraphQLError(f"import of {name} not finished after {timeout:.0f} s")


async def open_pairs(gw: Gateway) -> int:
    """The open candidate pairs, asked again while the gateway still reports the service
    unavailable (its circuit breaker stays open a moment after the import's busy spell)."""
    for _ in range(120):
        try:
            return int((await gw.gql(PAIRS, {}))["possibleDuplicates"]["totalCount"])
        except GraphQLError:
            await asyncio.sleep(0.5)
    raise GraphQLError("possibleDuplicates not answered for a minute")


async def most_pairs_per_record(system: SystemHandle) -> int:
    """The largest number of open pairs any one customer is in (read from its database)."""
    settings = system.settings["customer"]
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongodb_uri)
    try:
        pairs = client[settings.mongodb_database]["duplicate_pairs"]
        per_record: dict[str, int] = {}
        async for pair in pairs.find({"status": "OPEN"}, {"ids": 1}):
            for customer_id in pair["ids"]:
                per_record[customer_id] = per_record.get(customer_id, 0) + 1
        return max(per_record.values(), default=0)
    finally:
        await client.close()


async def measure(
    system: SystemHandle, gw: Gateway, body: bytes, name: str, *, rows: int, timeout: float
) -> Figures:
    before = await open_pairs(gw)
    created, seconds, failed = await import_file(gw, body, name, timeout)
    after = await open_pairs(gw)
    most = await most_pairs_per_record(system)
    return Figures(rows, created, seconds, failed, after - before, most)


async def one_run(
    mongodb_uri: str, amqp_url: str, run: int, args: argparse.Namespace
) -> dict[str, Figures]:
    async with (
        serve_system(mongodb_uri, amqp_url, ("customer",)) as system,
        httpx.AsyncClient(timeout=600) as http,
    ):
        gw = Gateway(system.graphql, DEFAULT_DEV_JWT_SECRET, http)
        gw.headers = gw.token_for("bench-admin", ["ADMIN"])
        people = await measure(
            system, gw, people_file(args.people, run), "people.csv",
            rows=args.people, timeout=args.timeout,
        )  # fmt: skip
        report_line(f"run {run} people", people)
        companies = await measure(
            system, gw, companies_file(args.companies), "companies.csv",
            rows=args.companies, timeout=args.timeout,
        )  # fmt: skip
        report_line(f"run {run} companies", companies)
        return {"people": people, "companies": companies}


def report_line(label: str, f: Figures) -> None:
    print(
        f"  {label:<18} {f.rows:5d} rows  created {f.created:5d}  {f.seconds:7.1f} s  "
        f"{f.rows_per_second:7.1f} rows/s  open pairs {f.pairs:7d}  most per record "
        f"{f.most_per_record:4d}  failed polls {f.failed_polls}",
        flush=True,
    )


def report_medians(runs: list[dict[str, Figures]]) -> None:
    for kind in ("people", "companies"):
        figures = [r[kind] for r in runs]
        print(
            f"median of {len(runs)} runs, {kind:<9}: "
            f"{statistics.median(f.rows_per_second for f in figures):.1f} rows/s, "
            f"open pairs {statistics.median(f.pairs for f in figures):g}, "
            f"most per record {statistics.median(f.most_per_record for f in figures):g}"
        )


async def bench(mongodb_uri: str, amqp_url: str, args: argparse.Namespace) -> None:
    print(f"imports of {args.people} numbered individuals and {args.companies} numbered companies")
    runs = [await one_run(mongodb_uri, amqp_url, run, args) for run in range(1, args.runs + 1)]
    report_medians(runs)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.customer.duplicates")
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--companies", type=int, default=500)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1800, help="per import (s)")
    args = parser.parse_args()
    with (
        infrastructure("bench-duplicates-") as (mongodb_uri, amqp_url),
        contextlib.suppress(KeyboardInterrupt),
    ):
        asyncio.run(bench(mongodb_uri, amqp_url, args))


if __name__ == "__main__":
    main()
