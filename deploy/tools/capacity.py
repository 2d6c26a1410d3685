"""Capacity harness for sizing pods (docs/operations.md "Capacity").

    .venv/bin/python deploy/tools/capacity.py [--seconds 15] [--concurrency 16]

Starts the embedded MongoDB and RabbitMQ, the three services and the gateway as separate
processes (one process = one pod: uvicorn, one event loop, workers in-process), then drives a
bounded closed-loop load against loopback addresses only and prints, per scenario, throughput,
latency percentiles and the CPU each process used. "ops per CPU-second" of a process is the
throughput one pod sustains per core of CPU limit before it saturates.

Scenarios: `create` (createCustomer through the gateway: transaction + outbox + events consumed
by interaction and notification), `read-360` (customer 360 through the gateway: customer,
interactions and notifications subgraphs), `subgraph-read` (customer(id) straight to the
customer subgraph: the gateway's share is the difference).

The embedded MongoDB (mongoeco, SQLite) is development-scale and is usually the bottleneck
here; the figures for the service and gateway processes are per CPU-second and carry over to
a cluster, the absolute rates do not.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from crm_dev.ports import free_port
from crm_dev.testing import Broker, MongoServer
from crm_kit.auth import issue_dev_token
from crm_kit.settings import DEFAULT_DEV_JWT_SECRET

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CREATE = """mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }"""
READ_360 = """query($id: ID!) { customer(id: $id) { id displayName stage
  interactions(first: 5) { totalCount edges { node { id channel } } }
  notifications { totalCount } } }"""
READ_ONE = """query($id: ID!) { customer(id: $id) { id displayName stage } }"""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    url: str = ""


@contextlib.contextmanager
def system(workdir: Path) -> Iterator[dict[str, Proc]]:
    mongo = MongoServer(workdir / "mongo")
    mongo.start()
    broker = Broker.embedded(workdir / "rabbitmq")
    procs: dict[str, Proc] = {}
    try:
        assert mongo.proc is not None
        procs["mongodb"] = Proc("mongodb", mongo.proc)
        env = {
            **os.environ,
            "MONGODB_URI": mongo.uri,
            "AMQP_URL": broker.url,
            "LOG_LEVEL": "WARNING",
            "JWT_SECRET": DEFAULT_DEV_JWT_SECRET,
        }
        subgraphs = []
        for name in ("customer", "interaction", "notification"):
            port = free_port()
            env_s = {**env, f"{name.upper()}_PORT": str(port)}
            env_s[f"{name.upper()}_MONGODB_DATABASE"] = f"cap_{name}"
            log = (workdir / f"{name}.log").open("ab")
            popen = subprocess.Popen(
                [sys.executable, "-m", f"crm_{name}"], env=env_s, stdout=log, stderr=log
            )
            procs[name] = Proc(name, popen, f"http://127.0.0.1:{port}")
            subgraphs.append(f"{name}=http://127.0.0.1:{port}/graphql")
        port = free_port()
        env_g = {**env, "GATEWAY_PORT": str(port), "GATEWAY_SUBGRAPHS": ",".join(subgraphs)}
        log = (workdir / "gateway.log").open("ab")
        popen = subprocess.Popen(
            [sys.executable, "-m", "crm_gateway"], env=env_g, stdout=log, stderr=log
        )
        procs["gateway"] = Proc("gateway", popen, f"http://127.0.0.1:{port}")
        yield procs
    finally:
        for proc in procs.values():
            if proc.name != "mongodb":
                proc.popen.terminate()
        for proc in procs.values():
            if proc.name != "mongodb":
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.popen.wait(20)
        broker.close()
        mongo.stop()


async def wait_ready(urls: list[str], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2) as client:
        for url in urls:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{url}/readyz")).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{url} not ready")
                await asyncio.sleep(0.2)


type Op = Callable[[httpx.AsyncClient], Awaitable[None]]


async def gql(client: httpx.AsyncClient, url: str, query: str, variables: dict[str, Any]) -> Any:
    response = await client.post(url, json={"query": query, "variables": variables})
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"{url}: {response.status_code} {str(body)[:300]}")
    return body["data"]


async def load(
    op: Op, seconds: float, concurrency: int, headers: dict[str, str]
) -> tuple[list[float], list[str]]:
    """Closed loop: `concurrency` clients, each sending its next request when one returns."""
    latencies: list[float] = []
    errors: list[str] = []
    stop_at = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30) as client:

        async def worker() -> None:
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                try:
                    await op(client)
                except (RuntimeError, httpx.HTTPError) as exc:
                    errors.append(str(exc)[:200])
                    continue
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, errors


async def settle(check: Callable[[], Awaitable[None]], timeout: float = 120.0) -> float:
    """Wait until the event backlog of the previous phase is applied (check stops raising)."""
    started = time.monotonic()
    while True:
        try:
            await check()
            return time.monotonic() - started
        except (RuntimeError, httpx.HTTPError):
            if time.monotonic() - started > timeout:
                raise
            await asyncio.sleep(1)


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


async def run(seconds: float, concurrency: int, workdir: Path) -> None:
    token = issue_dev_token(DEFAULT_DEV_JWT_SECRET, sub="capacity", roles=["ADMIN"], team="east")
    headers = {"Authorization": f"Bearer {token}"}
    with system(workdir) as procs:
        await wait_ready([p.url for p in procs.values() if p.url])
        gateway = f"{procs['gateway'].url}/graphql"
        customer = f"{procs['customer'].url}/graphql"
        ids: list[str] = []
        counter = iter(range(10**9))

        async def create(client: httpx.AsyncClient) -> None:
            n = next(counter)
            name = random.choice(["张伟", "王芳", "Acme Trading", "李娜"]) + f" {n}"
            variables = {"input": {"kind": "INDIVIDUAL", "name": name}}
            data = await gql(client, gateway, CREATE, variables)
            ids.append(data["createCustomer"]["id"])

        async def read_360(client: httpx.AsyncClient) -> None:
            await gql(client, gateway, READ_360, {"id": random.choice(ids)})

        async def subgraph_read(client: httpx.AsyncClient) -> None:
            await gql(client, customer, READ_ONE, {"id": random.choice(ids)})

        print(f"load: {seconds:.0f}s per scenario, {concurrency} concurrent clients, loopback")
        header = "scenario        ops/s   p50 ms   p95 ms   p99 ms   CPU-s per process"
        print(header)
        scenarios = (("create", create), ("read-360", read_360), ("subgraph-read", subgraph_read))
        for name, op in scenarios:
            if ids:

                async def probe() -> None:
                    async with httpx.AsyncClient(headers=headers, timeout=30) as client:
                        await read_360(client)
                        data = await gql(client, gateway, READ_360, {"id": ids[-1]})
                        if data["customer"] is None:
                            raise RuntimeError("last customer not visible yet")

                waited = await settle(probe)
                print(f"{'':14}(waited {waited:.0f}s for the previous phase's events)")
            before = {p.name: cpu_seconds(p.popen.pid) for p in procs.values()}
            started = time.monotonic()
            latencies, errors = await load(op, seconds, concurrency, headers)
            elapsed = time.monotonic() - started
            if errors:
                print(f"{'':14}{len(errors)} errors, first: {errors[0]}")
            if not latencies:
                continue
            used = {n: cpu_seconds(procs[n].popen.pid) - before[n] for n in procs}
            rate = len(latencies) / elapsed
            cpu = "  ".join(f"{n}={used[n]:.1f}" for n in procs)
            print(
                f"{name:<14}{rate:7.1f}{pct(latencies, 0.5):9.1f}{pct(latencies, 0.95):9.1f}"
                f"{pct(latencies, 0.99):9.1f}   {cpu}"
            )
            per_cpu = "  ".join(
                f"{n}={len(latencies) / used[n]:.0f}" for n in procs if used[n] > 0.5
            )
            print(f"{'':14}ops per CPU-second: {per_cpu}")
        rss = "  ".join(f"{p.name}={peak_rss_mib(p.popen.pid):.0f}" for p in procs.values())
        print(f"peak RSS MiB: {rss}")


def main() -> None:
    parser = argparse.ArgumentParser(description="pod sizing figures on loopback")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--keep", action="store_true", help="keep the work dir (process logs)")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="crm-capacity-")
    try:
        asyncio.run(run(args.seconds, args.concurrency, Path(tmp)))
    finally:
        if args.keep:
            print(f"logs in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
