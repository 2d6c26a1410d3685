"""In-process audit runner for fast iteration (not the official score; `make audit` is).

Needs the audit's subgraphs served on :4200 (`npm start -- serve` in the audit checkout). For
each suite it loads `/<id>/supergraph` into an in-process gateway engine, runs `/<id>/tests`
and compares like the harness does: `data` deep-equal, `errors` only as present/absent when
the test says so.

    .venv/bin/python bench/federation-audit/quick.py [-v] [suite-id ...]
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import httpx

from crm_gateway.composition.supergraph_sdl import load_supergraph_sdl
from crm_gateway.execution.engine import Engine
from crm_gateway.execution.limits import Limits
from crm_gateway.execution.state import RequestContext
from crm_gateway.metrics import GatewayMetrics
from crm_gateway.transport.client import SubgraphClient

BASE = "http://localhost:4200"


async def run_suite(http: httpx.AsyncClient, suite: str, verbose: bool) -> list[bool]:
    sdl = (await http.get(f"{BASE}/{suite}/supergraph")).text
    tests = (await http.get(f"{BASE}/{suite}/tests")).json()
    client = SubgraphClient(timeout_seconds=5, metrics=GatewayMetrics())
    results: list[bool] = []
    try:
        try:
            # as run.sh: no cost limit (a protection, not part of federation conformance)
            engine = Engine(load_supergraph_sdl(sdl), client, limits=Limits(max_cost=0))
        except Exception as exc:
            print(f"{suite}: cannot load supergraph: {exc}")
            return [False] * len(tests)
        for index, test in enumerate(tests):
            expected: dict[str, Any] = test["expected"]
            context = RequestContext(variables={}, headers={}, request_id=f"{suite}-{index}")
            try:
                got = await asyncio.wait_for(engine.run(test["query"], None, None, context), 10)
            except Exception as exc:
                got = {"data": None, "errors": [{"message": f"crash: {exc!r}"}]}
            errors_optional = not isinstance(expected.get("errors"), bool)
            received = (got.get("data"), None if errors_optional else bool(got.get("errors")))
            wanted = (
                expected.get("data"),
                None if errors_optional else bool(expected.get("errors")),
            )
            ok = received == wanted
            results.append(ok)
            if not ok and verbose:
                print(
                    f"--- {suite}_{index}\n{test['query']}\nexpected: {wanted}\nreceived: {got}\n"
                )
    finally:
        await client.aclose()
    return results


async def main(argv: list[str]) -> None:
    verbose = "-v" in argv
    wanted = [a for a in argv if not a.startswith("-")]
    async with httpx.AsyncClient(timeout=30) as http:
        suites = wanted or (await http.get(f"{BASE}/ids")).json()
        passed = total = 0
        for suite in suites:
            results = await run_suite(http, suite, verbose)
            passed += sum(results)
            total += len(results)
            marks = "".join("." if r else "X" for r in results)
            print(f"{suite:45} {marks}")
        print(f"passed {passed}/{total}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
