"""Gateway overhead on the customer 360 query, against the real services.

Starts an isolated system with `make bench`'s machinery (`bench.run`: its own data directory
`.data/<BENCH_NAME>` and ports shifted by `BENCH_PORT_OFFSET`, so nobody's `make up` is
touched), seeds a small data set, then sends the 360 query through the gateway on one
connection, one request at a time, and prints:

- client latency p50 / p95;
- the gateway's own share of it: the gateway's `Server-Timing` total minus the subgraph round
  trips on the plan's critical path (`GATEWAY_SERVER_TIMING=true`), p50 / p95;
- the gateway process's CPU time per request (user + system from /proc, robust against other
  load on the machine, which inflates wall-clock figures);
- with `--py-spy PATH`: where the gateway process spends its CPU during the measurement
  (py-spy sampling the real process; the functions with the most samples, self and total);
- with `--profile`: the top functions of an in-process cProfile (CPU time) of the gateway's
  engine on the same query against the same running subgraphs (plan cached: execution,
  merging).

    .venv/bin/python -m bench.gateway.overhead360 [--requests 300] [--py-spy PATH] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import http.client
import io
import json
import os
import pstats
import re
import shutil
import signal
import statistics
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

os.environ.setdefault("BENCH_NAME", "gw360")
os.environ.setdefault("BENCH_PORT_OFFSET", "70")
os.environ["GATEWAY_SERVER_TIMING"] = "true"

from bench import data
from bench import run as system
from bench.gateway.measure import cpu_seconds
from bench.scenarios import CUSTOMER_360
from crm_kit.auth import issue_dev_token
from crm_kit.settings import DEFAULT_DEV_JWT_SECRET


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def spy_report(raw: Path, top: int = 25) -> None:
    """Aggregate py-spy's raw (collapsed) stacks: samples per function, self and total."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";") if f]  # no line numbers
        n = int(count)
        samples += n
        if frames:
            own[frames[-1]] += n
        for frame in set(frames):
            total[frame] += n
    print(f"py-spy: {samples} samples of the gateway process")
    print("  self %   function")
    for frame, n in own.most_common(top):
        print(f"  {100 * n / samples:5.1f}   {frame}")
    print("  total %  function (crm_gateway, crm_kit)")
    ours = [(f, n) for f, n in total.items() if "crm_gateway" in f or "crm_kit" in f]
    for frame, n in sorted(ours, key=lambda item: -item[1])[:top]:
        print(f"  {100 * n / samples:5.1f}   {frame}")


def measure(url: str, body: bytes, headers: dict[str, str], pid: int, requests: int) -> None:
    target = urlsplit(url)
    connection = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port)
    latencies: list[float] = []
    own: list[float] = []
    warmup = 30
    cpu_before = 0.0
    try:
        for number in range(requests + warmup):
            if number == warmup:
                cpu_before = cpu_seconds(pid)
            started = time.perf_counter()
            connection.request("POST", target.path, body=body, headers=headers)
            response = connection.getresponse()
            answer = json.loads(response.read())
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200 or answer.get("errors"):
                raise RuntimeError(f"360 query failed: {response.status} {answer}")
            if number < warmup:
                continue
            timing = {
                part.split(";dur=")[0].strip(): float(part.split(";dur=")[1])
                for part in (response.getheader("server-timing") or "").split(",")
                if ";dur=" in part
            }
            latencies.append(elapsed)
            own.append(timing["gateway"] - timing["subgraphs"])
        cpu_ms = (cpu_seconds(pid) - cpu_before) * 1000 / requests
    finally:
        connection.close()
    print(f"customer 360, {requests} sequential requests (load average {os.getloadavg()[0]:.1f})")
    print(
        f"  client latency      p50 {statistics.median(latencies):6.2f} ms   "
        f"p95 {pct(latencies, 0.95):6.2f} ms"
    )
    print(
        f"  gateway own share   p50 {statistics.median(own):6.2f} ms   "
        f"p95 {pct(own, 0.95):6.2f} ms   (Server-Timing gateway - subgraphs)"
    )
    print(f"  gateway CPU         {cpu_ms:6.2f} ms per request")


async def profile(customer: str, token: str, rounds: int) -> None:
    """cProfile (CPU time) of the gateway engine in this process, against the running
    subgraphs."""
    from crm_gateway.execution.state import RequestContext
    from crm_gateway.runtime import GatewayRuntime
    from crm_gateway.settings import GatewaySettings

    runtime = GatewayRuntime(GatewaySettings.from_env())
    assert await runtime.reload(), runtime.load_error
    engine = runtime.engine
    assert engine is not None
    headers = {"authorization": f"Bearer {token}"}
    variables: dict[str, Any] = {"id": customer}

    async def once() -> None:
        context = RequestContext(variables, headers, "bench")
        result = await engine.run(CUSTOMER_360, "Customer360", variables, context)
        assert not result.get("errors"), result

    try:
        for _ in range(20):
            await once()
        profiler = cProfile.Profile(time.process_time)
        started = time.process_time()
        profiler.enable()
        for _ in range(rounds):
            await once()
        profiler.disable()
        cpu = (time.process_time() - started) * 1000 / rounds
    finally:
        await runtime.client.aclose()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    print(f"in-process engine.run: {cpu:.2f} ms CPU per request (with cProfile on)")
    print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--py-spy", dest="py_spy", help="path of a py-spy executable")
    parser.add_argument(
        "--keep", action="store_true", help="leave the system up (stop: crm_dev.run down)"
    )
    args = parser.parse_args()
    shutil.rmtree(system.DATA_DIR, ignore_errors=True)
    system.supervisor("up")
    try:
        mongodb_uri = f"mongodb://127.0.0.1:{system.PORTS['MONGO_PORT']}/?directConnection=true"
        seeded = asyncio.run(data.seed(mongodb_uri, customers=args.customers, items=args.items))
        customer = seeded.customers[len(seeded.customers) // 2]
        token = issue_dev_token(DEFAULT_DEV_JWT_SECRET, sub="bench", roles=["ADMIN"], team="east")
        body = json.dumps(
            {"query": CUSTOMER_360, "variables": {"id": customer}, "operationName": "Customer360"}
        ).encode()
        headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
        gateway = f"http://127.0.0.1:{system.PORTS['GATEWAY_PORT']}/graphql"
        pid = system.process_ids()["gateway"]
        measure(gateway, body, headers, pid, args.requests)
        if args.py_spy:
            raw = system.DATA_DIR.parent / "gw360-spy.txt"
            spy = subprocess.Popen(
                [args.py_spy, "record", "-p", str(pid), "-r", "250", "-f", "raw", "-o", str(raw)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(2)
            measure(gateway, body, headers, pid, args.requests)
            spy.send_signal(signal.SIGINT)
            spy.wait(60)
            spy_report(raw)
            raw.unlink(missing_ok=True)
        if args.profile:
            for key, value in system.system_env().items():
                os.environ.setdefault(key, value)
            os.environ["GATEWAY_SUBGRAPHS"] = ",".join(
                f"{name}=http://127.0.0.1:{system.PORTS[name.upper() + '_PORT']}/graphql"
                for name in ("customer", "interaction", "notification", "sales")
            )
            asyncio.run(profile(customer, token, args.requests))
    finally:
        if args.keep:
            print(f"left up: CRM_DATA_DIR={system.DATA_DIR} .venv/bin/python -m crm_dev.run down")
        else:
            system.supervisor("down")
            shutil.rmtree(system.DATA_DIR, ignore_errors=True)


if __name__ == "__main__":
    main()
