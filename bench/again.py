"""Re-run scenarios against a system a `BENCH_KEEP=1` run left up, without seeding again.

    BENCH_NAME=prof BENCH_PORT_OFFSET=50 .venv/bin/python -m bench.again "customer 360" 1 10

Arguments: a scenario name (as in the report), the concurrency, the seconds. For profiling a
change (py-spy on a process while this runs) or comparing before/after on the same data.
Prints p50/p95/p99 and RPS; writes nothing.
"""

from __future__ import annotations

import asyncio
import json
import sys

import httpx

from bench.data import SeededData
from bench.load import run_constant
from bench.run import DATA_DIR, PORTS
from bench.scenarios import Gateway, build
from crm_kit.settings import DEFAULT_DEV_JWT_SECRET


async def main(name: str, concurrency: int, seconds: float) -> int:
    seeded = SeededData(**json.loads((DATA_DIR / "seeded.json").read_text()))
    url = f"http://127.0.0.1:{PORTS['GATEWAY_PORT']}/graphql"
    async with httpx.AsyncClient(timeout=60) as http:
        gw = Gateway(url, DEFAULT_DEV_JWT_SECRET, http)
        gw.headers = gw.token_for("bench", ["ADMIN"])
        chosen = [s for s in build(gw, seeded, f"again-{id(gw)}") if s.name == name]
        if not chosen:
            print(f"no scenario named {name!r}", file=sys.stderr)
            return 2
        scenario = chosen[0]
        if scenario.setup is not None:
            await scenario.setup()
        await run_constant(scenario.operation, 1, 1.0, max_calls=3)
        stats = await run_constant(scenario.operation, concurrency, seconds)
    print(
        f"{name} c={concurrency} {stats.rps:.1f} rps p50 {stats.pct(0.5):.1f} "
        f"p95 {stats.pct(0.95):.1f} p99 {stats.pct(0.99):.1f} ms errors {stats.errors} "
        f"{stats.error_samples[:1]}"
    )
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    sys.exit(
        asyncio.run(
            main(
                args[0],
                int(args[1]) if len(args) > 1 else 1,
                float(args[2]) if len(args) > 2 else 10,
            )
        )
    )
