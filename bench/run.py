"""`make bench`: start the system, seed, load it through the gateway, write the report.

    .venv/bin/python -m bench.run          # BENCH_SCALES=0.1,1: 500, then 5,000 customers
    .venv/bin/python -m bench.run report   # re-render docs/benchmarks.md from the JSON
    BENCH_NAME=full BENCH_SCALES=1 BENCH_PORT_OFFSET=50 .venv/bin/python -m bench.run
                                          # the issue's size: 5,000 customers, 50,000 items

Runs an isolated system (its own data directory `.data/bench` and ports, so a `make up` of
yours is untouched): embedded MongoDB and RabbitMQ, the four services and the gateway as
separate processes (`crm_dev.run up`). For each scale, in ascending order, it tops the data
up to `scale × (BENCH_CUSTOMERS, BENCH_ITEMS)` and BENCH_OPPORTUNITIES per new customer, runs
every scenario at constant concurrency (and a ramp for search and 360), samples CPU and RSS
of every process, measures the cost model (database commands and subgraph requests per
operation) and records explain plans. Results go to docs/bench/results.json and
docs/benchmarks.md; `python -m bench.charts` draws docs/bench/*.png from the JSON. Settings
(environment): BENCH_SCALES, BENCH_CUSTOMERS (5000), BENCH_ITEMS (50000), BENCH_OPPORTUNITIES
(2 per customer), BENCH_SECONDS (6 per scenario), BENCH_RAMP_SECONDS (3 per step),
BENCH_IMPORT_ROWS (1000: CSV imports through the gateway at the largest scale, after the
other scenarios; 1000,10000 adds the large file), BENCH_KEEP=1 (leave the system up
afterwards, its seeded ids in .data/<BENCH_NAME>/seeded.json for `python -m bench.again`).
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import data, explain, report
from bench.cost import SERVICES, cost_system
from bench.imports_run import run_import
from bench.load import ProcessMonitor, Stats, run_constant, run_ramp
from bench.sales_scenarios import sales_operations
from bench.scenarios import CUSTOMER_360, SEARCH, TIMELINE, Gateway, build
from crm_kit.settings import DEFAULT_DEV_JWT_SECRET

ROOT = Path(__file__).resolve().parent.parent
NAME = os.environ.get("BENCH_NAME", "bench")
DATA_DIR = ROOT / ".data" / NAME
OUT_DIR = ROOT / "docs" / "bench"
RESULTS = OUT_DIR / ("results.json" if NAME == "bench" else f"results-{NAME}.json")
_OFFSET = int(os.environ.get("BENCH_PORT_OFFSET", "0"))
PORTS = {
    name: port + _OFFSET
    for name, port in {
        "MONGO_PORT": 27118,
        "AMQP_PORT": 5773,
        "SMTP_PORT": 1125,
        "GATEWAY_PORT": 4100,
        "CUSTOMER_PORT": 4101,
        "INTERACTION_PORT": 4102,
        "NOTIFICATION_PORT": 4103,
        "SALES_PORT": 4104,
    }.items()
}
MONGODB_URI = f"mongodb://127.0.0.1:{PORTS['MONGO_PORT']}/?directConnection=true"
AMQP_URL = f"amqp://guest:guest@127.0.0.1:{PORTS['AMQP_PORT']}/"
GATEWAY_URL = f"http://127.0.0.1:{PORTS['GATEWAY_PORT']}/graphql"
RAMPED = ("customer search", "customer 360")
RAMP_LEVELS = (1, 4, 16)


def env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def system_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", "AMQP_URL")}
    env |= {k: str(v) for k, v in PORTS.items()}
    env |= {"CRM_DATA_DIR": str(DATA_DIR), "UP_TIMEOUT": "180"}
    env.setdefault("JWT_SECRET", DEFAULT_DEV_JWT_SECRET)
    return env


def supervisor(command: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "crm_dev.run", command], env=system_env(), cwd=ROOT, check=True
    )


def process_ids() -> dict[str, int]:
    pids: dict[str, int] = {}
    for name in ("gateway", "customer", "interaction", "notification", "sales", "mongo"):
        path = DATA_DIR / "run" / f"{name}.pid"
        if path.exists():
            pids[name] = int(path.read_text().strip())
    for path in (DATA_DIR / "rabbitmq").glob("*.pid"):
        pids["rabbitmq"] = int(path.read_text().strip())
    pids["driver"] = os.getpid()
    return pids


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        memory = f"{int(mem) / 1024 / 1024:.1f} GiB RAM"
    except OSError:
        memory = ""
    load = os.getloadavg()[0]
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs ({model}), {memory}, "
        f"Python {platform.python_version()}, load average {load:.1f} at start"
    )


def commit() -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{rev}{' (with uncommitted changes)' if dirty else ''}"


def summarize(stats: Stats) -> dict[str, Any]:
    return {
        "concurrency": stats.concurrency,
        "seconds": round(stats.seconds, 2),
        "requests": stats.count,
        "errors": stats.errors,
        "error_samples": stats.error_samples,
        "rps": round(stats.rps, 2),
        "p50": round(stats.pct(0.5), 1),
        "p95": round(stats.pct(0.95), 1),
        "p99": round(stats.pct(0.99), 1),
    }


async def run_scale(
    gw: Gateway, seeded: data.SeededData, run_id: str, seconds: float, ramp_seconds: float
) -> list[dict[str, Any]]:
    results = []
    for scenario in build(gw, seeded, run_id):
        if scenario.setup is not None:
            try:
                await scenario.setup()
            except Exception as exc:  # report the scenario as not run, keep the others
                print(f"  {scenario.name}: setup failed: {exc}", flush=True)
                continue
        await run_constant(scenario.operation, 1, 1.0, max_calls=3)  # warm caches and plans
        monitor = ProcessMonitor(process_ids())
        monitor.start()
        stats = await run_constant(scenario.operation, scenario.concurrency, seconds)
        usage = await monitor.stop()
        row = summarize(stats) | {
            "name": scenario.name,
            "description": scenario.description,
            "processes": [
                {"name": u.name, "cpu_pct": round(100 * u.cpu_seconds / stats.seconds, 1),
                 "peak_rss_mb": round(u.peak_rss_mb, 1)}
                for u in usage
            ],
        }  # fmt: skip
        if scenario.name in RAMPED:
            row["ramp"] = [
                summarize(s) for s in await run_ramp(scenario.operation, RAMP_LEVELS, ramp_seconds)
            ]
        print(
            f"  {scenario.name:<24} c={stats.concurrency:<3} {stats.rps:7.1f} rps  "
            f"p50 {stats.pct(0.5):7.1f}  p95 {stats.pct(0.95):7.1f}  p99 {stats.pct(0.99):7.1f} ms"
            f"  errors {stats.errors}",
            flush=True,
        )
        results.append(row)
    return results


async def run_imports(gw: Gateway, run_id: str, sizes: list[int]) -> list[dict[str, Any]]:
    out = []
    for rows in sizes:
        monitor = ProcessMonitor(process_ids())
        monitor.start()
        started = time.perf_counter()
        try:
            result = await run_import(gw, rows, run_id)
        except Exception as exc:  # report the import as failed, keep the other figures
            print(f"  import {rows:,} rows failed: {exc}", flush=True)
            await monitor.stop()
            continue
        usage = await monitor.stop()
        elapsed = time.perf_counter() - started
        result["processes"] = [
            {"name": u.name, "cpu_pct": round(100 * u.cpu_seconds / elapsed, 1),
             "peak_rss_mb": round(u.peak_rss_mb, 1)}
            for u in usage
        ]  # fmt: skip
        print(
            f"  import {rows:>6,} rows  {result['seconds']:7.1f} s  "
            f"{result['rows_per_second']:6.1f} rows/s  created {result['created']:,} "
            f"failed {result['failed']:,}",
            flush=True,
        )
        out.append(result)
    return out


async def measure_cost(
    seeded: data.SeededData, mongodb_uri: str, amqp_url: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Cost per operation, and the explain plans of the commands each one sent."""
    target = seeded.customers[len(seeded.customers) // 2]
    busiest = seeded.heavy[0] if seeded.heavy else target
    operations: dict[str, tuple[str, dict[str, Any]]] = {
        "customer 360": (CUSTOMER_360, {"id": target}),
        "customer 360 (customer with thousands of items)": (CUSTOMER_360, {"id": busiest}),
        "customer search (free text)": (SEARCH, {"f": {"text": seeded.search_terms[0]}}),
        "customer search (owner + stage)": (
            SEARCH,
            {"f": {"ownerId": "staff3", "stages": ["LEAD"]}},
        ),
        "timeline page": (TIMELINE, {"id": busiest}),
        **sales_operations(seeded, target),
    }
    gw = Gateway("", DEFAULT_DEV_JWT_SECRET, httpx.AsyncClient())
    headers = gw.token_for("bench-cost", ["ADMIN"])
    await gw.http.aclose()
    databases = {s: f"crm_{s}" for s in SERVICES}
    out: dict[str, Any] = {}
    shapes: dict[str, dict[str, tuple[str, dict[str, Any]]]] = {}
    async with cost_system(mongodb_uri, amqp_url, databases, headers) as system:
        for name, (query, variables) in operations.items():
            cost = await system.cost(query, variables)
            out[name] = {k: v for k, v in asdict(cost).items() if k != "shapes"}
            shapes[name] = cost.shapes
    return out, await explain.plans(mongodb_uri, shapes)


@dataclass
class Plan:
    """What `make bench` measures, from its settings (README: BENCH_*)."""

    scales: list[float]
    customers: int
    items: int
    seconds: float
    ramp_seconds: float
    import_rows: list[int]
    opportunities: float  # per customer, on average

    @classmethod
    def from_env(cls) -> Plan:
        rows = os.environ.get("BENCH_IMPORT_ROWS", "1000").split(",")
        return cls(
            scales=sorted(float(s) for s in os.environ.get("BENCH_SCALES", "0.1,1").split(",")),
            customers=int(env_float("BENCH_CUSTOMERS", 5000)),
            items=int(env_float("BENCH_ITEMS", 50000)),
            seconds=env_float("BENCH_SECONDS", 6),
            ramp_seconds=env_float("BENCH_RAMP_SECONDS", 3),
            import_rows=[int(n) for n in rows if n.strip()],
            opportunities=env_float("BENCH_OPPORTUNITIES", 2),
        )


async def run_step(
    gw: Gateway, plan: Plan, step: int, seeded: data.SeededData
) -> tuple[data.SeededData, dict[str, Any]]:
    """Seed up to one scale, then load it: scenarios, cost model, imports (at the last)."""
    scale = plan.scales[step]
    customers = round(scale * plan.customers) - len(seeded.customers)
    items = round(scale * plan.items) - seeded.items
    print(f"scale {scale:g}: seeding {customers:,} customers, {items:,} items, "
          f"~{plan.opportunities * customers:,.0f} opportunities", flush=True)  # fmt: skip
    t0 = time.perf_counter()
    more = await data.seed(
        MONGODB_URI, customers=customers, items=items, seed_value=10 + step,
        offset=len(seeded.customers), sales_db="crm_sales",
        opportunities_per_customer=plan.opportunities,
    )  # fmt: skip
    seed_seconds = time.perf_counter() - t0
    seeded = merge(seeded, more)
    if os.environ.get("BENCH_KEEP") == "1":  # for `python -m bench.again`
        (DATA_DIR / "seeded.json").write_text(json.dumps(asdict(seeded)))
    print(f"  seeded in {seed_seconds:.0f}s {more.seconds}", flush=True)
    run_id = f"{int(time.time())}-{step}"
    scenarios = await run_scale(gw, seeded, run_id, plan.seconds, plan.ramp_seconds)
    cost, plans = await cost_or_nothing(seeded, MONGODB_URI, AMQP_URL)
    last = step == len(plan.scales) - 1
    imports = await run_imports(gw, run_id, plan.import_rows) if last else []
    return seeded, {
        "scale": scale,
        "customers": len(seeded.customers),
        "items": seeded.items,
        "opportunities": seeded.opportunities,
        "seed_seconds": round(seed_seconds, 1),
        "seed_parts": {k: round(v, 1) for k, v in more.seconds.items()},
        "scenarios": scenarios,
        "cost": cost,
        "explain": plans,
        "imports": imports,
    }


async def main() -> int:
    plan = Plan.from_env()
    started = time.perf_counter()
    meta: dict[str, Any] = {
        "name": NAME,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit(),
        "machine": machine(),
        "scenario_seconds": plan.seconds,
        "ramp_seconds": plan.ramp_seconds,
    }
    shutil.rmtree(DATA_DIR, ignore_errors=True)
    t0 = time.perf_counter()
    supervisor("up")
    meta["startup_seconds"] = round(time.perf_counter() - t0, 1)
    results: list[dict[str, Any]] = []
    seeded = data.SeededData()
    try:
        async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=64)) as http:
            gw = Gateway(GATEWAY_URL, DEFAULT_DEV_JWT_SECRET, http)
            gw.headers = gw.token_for("bench", ["ADMIN"])
            for step in range(len(plan.scales)):
                seeded, result = await run_step(gw, plan, step, seeded)
                results.append(result)
    finally:
        if os.environ.get("BENCH_KEEP") != "1":
            supervisor("down")
    meta["total_seconds"] = round(time.perf_counter() - started, 1)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"meta": meta, "scales": results}, ensure_ascii=False, indent=1))
    write_report()
    print(
        f"wrote docs/benchmarks.md and {RESULTS.relative_to(ROOT)} in {meta['total_seconds']:.0f}s"
    )
    return 0


async def cost_or_nothing(
    seeded: data.SeededData, mongodb_uri: str, amqp_url: str
) -> tuple[dict[str, Any], list[Any]]:
    """The cost model, or nothing: the load figures stay, and the output says why."""
    try:
        return await measure_cost(seeded, mongodb_uri, amqp_url)
    except Exception as exc:
        print(f"  cost model failed: {exc}", flush=True)
        return {}, []


def write_report() -> None:
    """docs/benchmarks.md from every results file, then the hand-written sections verbatim:
    the analysis and the gateway comparison."""
    runs = [json.loads(p.read_text()) for p in sorted(OUT_DIR.glob("results*.json"))]
    extra = [ROOT / "bench" / "analysis.md", ROOT / "bench" / "gateway" / "results.md"]
    text = report.render(runs, "\n\n".join(p.read_text() for p in extra if p.exists()))
    (ROOT / "docs" / "benchmarks.md").write_text(text)


def merge(a: data.SeededData, b: data.SeededData) -> data.SeededData:
    return data.SeededData(
        customers=a.customers + b.customers,
        heavy=a.heavy + b.heavy,
        tickets=b.tickets + a.tickets,
        search_terms=a.search_terms or b.search_terms,
        items=a.items + b.items,
        seconds=b.seconds,
        pipeline=a.pipeline or b.pipeline,
        open_deals=b.open_deals + a.open_deals,
        opportunities=a.opportunities + b.opportunities,
    )


if __name__ == "__main__":
    if sys.argv[1:] == ["report"]:  # re-render only, e.g. after editing bench/analysis.md
        write_report()
        sys.exit(0)
    sys.exit(asyncio.run(main()))
