"""Gateway benchmark: our gateway vs Hive Gateway vs Apollo Gateway on the same subgraphs.

Subgraphs: the federation audit's Node (graphql-yoga) subgraphs on :4200, so every gateway
talks to the same fast subgraphs and the gateway is what is measured. Each gateway runs alone,
one after the other, on the suite's composed supergraph; autocannon drives a constant number
of connections for a fixed time after a warm-up. Printed per gateway and query: RPS, latency
p50/p95/p99 (ms), peak RSS (MB), and the ratios to ours.

    bench/gateway/run.sh            # see there for the environment it needs
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.gateway.measure import autocannon, cpu_seconds, peak_rss_mb, stop, wait_http

ROOT = Path(__file__).resolve().parents[2]
AUDIT = Path(os.environ["AUDIT_DIR"])
NODE_BIN = os.environ["NODE_BIN"]
AUTOCANNON = os.environ["AUTOCANNON"]
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
DURATION = int(os.environ.get("BENCH_SECONDS", "10"))
WARMUP = int(os.environ.get("BENCH_WARMUP_SECONDS", "3"))
PORT = int(os.environ.get("BENCH_GATEWAY_PORT", "4100"))
ENV = {**os.environ, "PATH": f"{NODE_BIN}:{os.environ['PATH']}"}

QUERIES = {
    # nested entity hops across four subgraphs (list -> products -> price/category -> ...)
    "complex-entity-call": """query Nested { topProducts { products { id pid price { price }
        category { mainProduct { id } id tag } } selected { id } first { id } } }""",
    # @requires / @provides across three subgraphs
    "simple-requires-provides": """query Requires { me { id reviews { id product { upc name
        price weight shippingEstimate shippingEstimateTag } author { id } } } }""",
}

APOLLO = """
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { ApolloGateway } from "@apollo/gateway";
import { readFileSync } from "node:fs";
const gateway = new ApolloGateway({ supergraphSdl: readFileSync(process.argv[2], "utf8") });
const server = new ApolloServer({ gateway });
await startStandaloneServer(server, { listen: { port: Number(process.argv[3]) } });
console.log("ready");
"""


def start_gateway(name: str, supergraph: Path) -> subprocess.Popen[bytes]:
    log = open(Path(tempfile.gettempdir()) / f"bench-{name}.log", "wb")  # noqa: SIM115 - closed with the process
    if name.startswith("ours"):
        # "ours" is one process; "ours:2" runs GATEWAY_WORKERS=2; "ours-nodedupe" turns the
        # in-flight deduplication of identical subgraph fetches off
        workers = name.partition(":")[2] or "1"
        dedupe = "false" if "nodedupe" in name else "true"
        env = {
            **ENV,
            "GATEWAY_SUPERGRAPH_FILE": str(supergraph),
            "GATEWAY_PORT": str(PORT),
            "GATEWAY_AUTH_REQUIRED": "false",
            "GATEWAY_MAX_COST": "0",
            "GATEWAY_WORKERS": workers,
            "GATEWAY_DEDUPE_REQUESTS": dedupe,
            "GATEWAY_SERVER_TIMING": "true",
            "LOG_LEVEL": "WARNING",
        }
        command = [str(ROOT / ".venv/bin/python"), "-m", "crm_gateway"]
        return subprocess.Popen(command, env=env, stdout=log, stderr=log)
    if name == "hive-gateway":
        command = [
            str(AUDIT / "node_modules/.bin/hive-gateway"),
            "supergraph",
            str(supergraph),
            "--port",
            str(PORT),
            "--fork",
            "0",
        ]
        return subprocess.Popen(command, env=ENV, stdout=log, stderr=log, cwd=AUDIT)
    script = AUDIT / ".crm-bench-apollo.mjs"
    script.write_text(APOLLO)
    command = [f"{NODE_BIN}/node", str(script), str(supergraph), str(PORT)]
    return subprocess.Popen(command, env=ENV, stdout=log, stderr=log, cwd=AUDIT)


def load(query: str) -> dict[str, Any]:
    """A warm-up run, then the measured one."""
    url, body = f"http://127.0.0.1:{PORT}/graphql", json.dumps({"query": query})
    for seconds in (WARMUP, DURATION):
        figures = autocannon(
            AUTOCANNON, url, body, connections=CONNECTIONS, seconds=seconds, env=ENV
        )
    return figures


def overhead(query: str, pid: int, requests: int = 300) -> dict[str, float]:
    """One connection, one request at a time: the client-side latency, the gateway's own
    share of it (latency minus the subgraph round trips on the plan's critical path, from
    our gateway's `Server-Timing`) and the gateway's CPU time per request (robust against
    other load on the machine, which inflates wall-clock figures)."""
    connection = http.client.HTTPConnection("127.0.0.1", PORT)
    body = json.dumps({"query": query}).encode()
    latencies: list[float] = []
    own: list[float] = []
    try:
        for number in range(requests + 20):
            started = time.perf_counter()
            connection.request(
                "POST", "/graphql", body=body, headers={"content-type": "application/json"}
            )
            response = connection.getresponse()
            response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if number < 20:  # warm-up
                if number == 19:
                    cpu_before = cpu_seconds(pid)
                continue
            timing = dict(
                (part.split(";dur=")[0].strip(), float(part.split(";dur=")[1]))
                for part in (response.getheader("server-timing") or "").split(",")
                if ";dur=" in part
            )
            latencies.append(elapsed)
            own.append(elapsed - timing.get("subgraphs", 0.0))
        cpu_ms = (cpu_seconds(pid) - cpu_before) * 1000 / requests
    finally:
        connection.close()
    return {
        "cpu_ms": cpu_ms,
        "latency_p50": statistics.median(latencies),
        "overhead_p50": statistics.median(own),
        "overhead_p95": statistics.quantiles(own, n=20)[18],
    }


def main() -> None:
    gateways = sys.argv[1:] or ["ours", "hive-gateway", "apollo-gateway"]
    rows: list[tuple[str, str, dict[str, Any]]] = []
    for suite, query in QUERIES.items():
        supergraph = Path(tempfile.gettempdir()) / f"bench-{suite}.graphql"
        with urllib.request.urlopen(f"http://localhost:4200/{suite}/supergraph") as response:
            supergraph.write_bytes(response.read())
        expected = None
        for name in gateways:
            process = start_gateway(name, supergraph)
            try:
                answer = json.loads(
                    wait_http(
                        f"http://127.0.0.1:{PORT}/graphql", json.dumps({"query": query}).encode()
                    )
                )
                if expected is None:
                    expected = answer
                same = "same" if answer == expected else f"DIFFERENT: {answer}"
                if name.startswith("ours"):
                    single = overhead(query, process.pid)
                    print(
                        f"{suite:26} {name:15} one connection: latency p50 "
                        f"{single['latency_p50']:.2f} ms, gateway overhead p50 "
                        f"{single['overhead_p50']:.2f} ms, p95 {single['overhead_p95']:.2f} ms, "
                        f"gateway CPU {single['cpu_ms']:.2f} ms per request",
                        flush=True,
                    )
                figures = load(query)
                figures["rss"] = peak_rss_mb(process.pid)
                rows.append((suite, name, figures))
                print(f"{suite:26} {name:15} {figures} answer {same}", flush=True)
            finally:
                stop(process, 10)
    print()
    print(f"connections {CONNECTIONS}, {DURATION} s per run after {WARMUP} s warm-up")
    print("| query | gateway | RPS | p50 ms | p95 ms | p99 ms | peak RSS MB | RPS vs ours |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    ours_rps = {suite: figures["rps"] for suite, name, figures in rows if name == "ours"}
    for suite, name, figures in rows:
        base = ours_rps.get(suite, figures["rps"])
        ratio = figures["rps"] / base if base else 0
        print(
            f"| {suite} | {name} | {figures['rps']:.0f} | {figures['p50']:.1f} | "
            f"{figures['p95']:.1f} | {figures['p99']:.1f} | {figures['rss']:.0f} | "
            f"{ratio:.2f} |"
        )


if __name__ == "__main__":
    main()
