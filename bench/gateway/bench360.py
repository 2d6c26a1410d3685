"""Customer 360 through each gateway: ours, Hive Gateway and Apollo Gateway on our subgraphs.

Starts an isolated system the way overhead360.py does (`bench.run`'s machinery: its own data
directory `.data/<BENCH_NAME>`, ports shifted by `BENCH_PORT_OFFSET`), seeds a small data set,
fetches the subgraphs' SDL (`_service { sdl }`) and composes one supergraph with
`@apollo/composition`. Then each gateway runs alone on that supergraph, one after the other,
on its own free port: its answer to the 360 query (`bench/scenarios.py`, one customer) must
have no `errors` and the same `data` as the first gateway's (ours), then autocannon drives a
constant number of connections after a warm-up, every request with the same
`Authorization: Bearer <dev JWT>`, and counts responses whose body differs from the checked one.
Printed per gateway: RPS, latency p50 / p97.5 / p99, errors, the gateway process's CPU time per
request during the run, its peak RSS and the RPS relative to ours.

Every gateway forwards the client's `Authorization` header to the subgraphs, which verify the
JWT. Ours also verifies it itself (auth on, as in production); the Node gateways do not (that
needs a plugin). Gateways: `ours` (one process, defaults), `ours-nodedupe`
(`GATEWAY_DEDUPE_REQUESTS=false`: identical concurrent subgraph fetches are not collapsed),
`hive-gateway` (`--fork 0`, `propagateHeaders`; its HTTP executor deduplicates identical
in-flight subgraph requests by default, like ours), `apollo-gateway` (`@apollo/server`
standalone, a `RemoteGraphQLDataSource` copying the header; no deduplication).

    .venv/bin/python -m bench.gateway.bench360 [--gateways ours,hive-gateway,...] [--keep]

Settings (environment): NODE_BIN (directory of a Node >= 22 `node`; empty: the one on PATH),
NODE_MODULES (npm project with @graphql-hive/gateway, @apollo/gateway, @apollo/server,
@apollo/composition, graphql and autocannon installed; `.data/gw360-node`), AUTOCANNON
(NODE_MODULES/node_modules/.bin/autocannon),
BENCH_CONNECTIONS (16), BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (3), BENCH_NAME (gw360x),
BENCH_PORT_OFFSET (90: system ports 4190-4194, gateways from 4195).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("BENCH_NAME", "gw360x")
os.environ.setdefault("BENCH_PORT_OFFSET", "90")

from bench import data
from bench import run as system
from bench.gateway.measure import autocannon, cpu_seconds, peak_rss_mb, stop, wait_http
from bench.scenarios import CUSTOMER_360
from crm_dev.ports import port_in_use
from crm_kit.auth import issue_dev_token
from crm_kit.settings import DEFAULT_DEV_JWT_SECRET

NODE_BIN = os.environ.get("NODE_BIN", "")
NODE = str(Path(NODE_BIN) / "node") if NODE_BIN else (shutil.which("node") or "node")
NODE_MODULES = Path(os.environ.get("NODE_MODULES", ".data/gw360-node")).resolve()
AUTOCANNON = os.environ.get("AUTOCANNON", str(NODE_MODULES / "node_modules/.bin/autocannon"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
DURATION = int(os.environ.get("BENCH_SECONDS", "10"))
WARMUP = int(os.environ.get("BENCH_WARMUP_SECONDS", "3"))
GATEWAYS = ("ours", "hive-gateway", "apollo-gateway", "ours-nodedupe")
SUBGRAPHS = ("customer", "interaction", "notification", "sales")  # as `crm_dev.run up` composes
# CommonJS scripts resolved through NODE_PATH (ES modules ignore it), so that they can live in
# a temporary directory
NODE_ENV = {
    **os.environ,
    "PATH": f"{NODE_BIN}:{os.environ['PATH']}" if NODE_BIN else os.environ["PATH"],
    "NODE_PATH": str(NODE_MODULES / "node_modules"),
    "NODE_ENV": "production",
}

COMPOSE = """
const { readFileSync, writeFileSync } = require("node:fs");
const { parse } = require("graphql");
const { composeServices } = require("@apollo/composition");
const services = JSON.parse(readFileSync(process.argv[2], "utf8"))
  .map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) }));
const result = composeServices(services);
if (result.errors) {
  for (const error of result.errors) console.error(`${error.extensions?.code}: ${error.message}`);
  process.exit(1);
}
writeFileSync(process.argv[3], result.supergraphSdl);
"""

HIVE_CONFIG = """
export const gatewayConfig = {
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => ({
      authorization: request.headers.get("authorization") ?? undefined,
    }),
  },
};
"""

APOLLO = """
const { readFileSync } = require("node:fs");
const { ApolloServer } = require("@apollo/server");
const { startStandaloneServer } = require("@apollo/server/standalone");
const { ApolloGateway, RemoteGraphQLDataSource } = require("@apollo/gateway");
class Forwarding extends RemoteGraphQLDataSource {
  willSendRequest({ request, context }) {
    if (context.authorization) request.http.headers.set("authorization", context.authorization);
  }
}
const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(process.argv[2], "utf8"),
  buildService: ({ url }) => new Forwarding({ url }),
});
const server = new ApolloServer({ gateway });
startStandaloneServer(server, {
  listen: { host: "127.0.0.1", port: Number(process.argv[3]) },
  context: async ({ req }) => ({ authorization: req.headers.authorization }),
}).then(() => console.log("ready"));
"""


def free_port(start: int) -> int:
    """The first port from `start` nothing listens on."""
    return next(p for p in range(start, start + 100) if not port_in_use(p))


def graphql(url: str, query: str, headers: dict[str, str]) -> dict[str, Any]:
    body = json.dumps({"query": query}).encode()
    request = urllib.request.Request(url, data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, Any] = json.loads(response.read())
    return answer


def compose(workdir: Path, headers: dict[str, str]) -> Path:
    """The subgraphs' SDL composed by @apollo/composition into a `join__` supergraph file."""
    services = []
    for name in SUBGRAPHS:
        url = f"http://127.0.0.1:{system.PORTS[name.upper() + '_PORT']}/graphql"
        answer = graphql(url, "{ _service { sdl } }", headers)
        if answer.get("errors"):
            raise SystemExit(f"{name}: _service failed: {answer['errors']}")
        services.append({"name": name, "url": url, "sdl": answer["data"]["_service"]["sdl"]})
    (workdir / "services.json").write_text(json.dumps(services))
    (workdir / "compose.cjs").write_text(COMPOSE)
    supergraph = workdir / "supergraph.graphql"
    done = subprocess.run(
        [NODE, str(workdir / "compose.cjs"), str(workdir / "services.json"),
         str(supergraph)],
        env=NODE_ENV, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"composition failed:\n{done.stderr.strip()}")
    return supergraph


def start(name: str, port: int, supergraph: Path, workdir: Path) -> subprocess.Popen[bytes]:
    log = open(workdir / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
    if name.startswith("ours"):
        env = {
            **system.system_env(),  # JWT_SECRET: the subgraphs' secret, auth stays on
            "GATEWAY_SUPERGRAPH_FILE": str(supergraph),
            "GATEWAY_PORT": str(port),
            "GATEWAY_DEDUPE_REQUESTS": "false" if name == "ours-nodedupe" else "true",
            "LOG_LEVEL": "WARNING",
        }
        command = [sys.executable, "-m", "crm_gateway"]
        return subprocess.Popen(command, env=env, stdout=log, stderr=log, cwd=system.ROOT)
    if name == "hive-gateway":
        config = workdir / "gateway.config.mjs"
        config.write_text(HIVE_CONFIG)
        command = [
            str(NODE_MODULES / "node_modules/.bin/hive-gateway"), "supergraph", str(supergraph),
            "--config-path", str(config), "--host", "127.0.0.1", "--port", str(port),
            "--fork", "0",
        ]  # fmt: skip
        return subprocess.Popen(command, env=NODE_ENV, stdout=log, stderr=log, cwd=workdir)
    if name == "apollo-gateway":
        script = workdir / "apollo.cjs"
        script.write_text(APOLLO)
        command = [NODE, str(script), str(supergraph), str(port)]
        return subprocess.Popen(command, env=NODE_ENV, stdout=log, stderr=log, cwd=workdir)
    raise SystemExit(f"unknown gateway {name!r}; known: {', '.join(GATEWAYS)}")


def load(url: str, body: str, token: str, expected: str, pid: int) -> dict[str, Any]:
    """autocannon with our JWT: a warm-up, then the measured run with every body checked
    against `expected`; `cpu_ms`: the gateway process's CPU time per request in the latter."""
    options: dict[str, Any] = {
        "connections": CONNECTIONS, "env": NODE_ENV,
        "headers": {"authorization": f"Bearer {token}"},
    }  # fmt: skip
    autocannon(AUTOCANNON, url, body, seconds=WARMUP, **options)
    cpu_before = cpu_seconds(pid)
    figures = autocannon(AUTOCANNON, url, body, seconds=DURATION, expect=expected, **options)
    figures["cpu_ms"] = 1000 * (cpu_seconds(pid) - cpu_before) / max(1, figures["requests"])
    return figures


def run(gateways: list[str], customers: int, items: int, keep: bool) -> None:
    for path in (Path(NODE), NODE_MODULES / "node_modules/.bin/hive-gateway",
                 Path(AUTOCANNON)):  # fmt: skip
        if not path.exists():
            raise SystemExit(f"{path} is missing: see the npm setup in bench/gateway/results.md")
    shutil.rmtree(system.DATA_DIR, ignore_errors=True)
    system.supervisor("up")
    try:
        mongodb_uri = f"mongodb://127.0.0.1:{system.PORTS['MONGO_PORT']}/?directConnection=true"
        seeded = asyncio.run(data.seed(mongodb_uri, customers=customers, items=items))
        customer = seeded.customers[len(seeded.customers) // 2]
        token = issue_dev_token(DEFAULT_DEV_JWT_SECRET, sub="bench", roles=["ADMIN"], team="east")
        headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
        body = json.dumps(
            {"query": CUSTOMER_360, "variables": {"id": customer}, "operationName": "Customer360"}
        )
        with tempfile.TemporaryDirectory(prefix="gw360-") as tmp:
            workdir = Path(tmp)
            supergraph = compose(workdir, headers)
            rows = measure_all(gateways, supergraph, workdir, body, token)
        print_table(rows)
    finally:
        if keep:
            print(f"left up: CRM_DATA_DIR={system.DATA_DIR} .venv/bin/python -m crm_dev.run down")
        else:
            system.supervisor("down")
            shutil.rmtree(system.DATA_DIR, ignore_errors=True)


def measure_all(
    gateways: list[str], supergraph: Path, workdir: Path, body: str, token: str
) -> list[tuple[str, dict[str, Any]]]:
    rows: list[tuple[str, dict[str, Any]]] = []
    reference: dict[str, Any] | None = None
    port = system.PORTS["GATEWAY_PORT"] + 5
    for name in gateways:
        port = free_port(port + 1 if rows else port)
        url = f"http://127.0.0.1:{port}/graphql"
        process = start(name, port, supergraph, workdir)
        try:
            try:
                raw = wait_http(url, body.encode(), 120, {"authorization": f"Bearer {token}"})
            except TimeoutError:
                log = (workdir / f"{name}.log").read_text(errors="replace")[-2000:]
                print(f"{name}: no 200 answer on {url}; log tail:\n{log}", flush=True)
                continue
            answer = json.loads(raw)
            if reference is None and not answer.get("errors") and answer.get("data"):
                reference = answer["data"]
            if answer.get("errors") or not answer.get("data") or answer["data"] != reference:
                print(f"{name}: WRONG answer, not loaded: {raw[:2000]!r}", flush=True)
                continue
            figures = load(url, body, token, raw.decode(), process.pid)
            figures["rss"] = peak_rss_mb(process.pid)
            rows.append((name, figures))
            print(f"{name:15} port {port} answer same as reference; {figures}", flush=True)
        finally:
            stop(process)
    return rows


def print_table(rows: list[tuple[str, dict[str, Any]]]) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load1, load5, _ = os.getloadavg()
    print()
    print(
        f"customer 360, {now}, load average {load1:.1f} / {load5:.1f} (1 / 5 min); "
        f"{CONNECTIONS} connections, {DURATION} s after a {WARMUP} s warm-up; p95 is p97.5; "
        "errors: errors + non-2xx + bodies differing from the checked answer; "
        "CPU: the gateway process's CPU time per request"
    )
    print(
        "| gateway | RPS | p50 ms | p95 ms | p99 ms | errors | CPU ms / req | peak RSS MB "
        "| RPS vs ours |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    ours = next((f["rps"] for name, f in rows if name == "ours"), 0.0)
    for name, f in rows:
        ratio = f"{f['rps'] / ours:.2f}" if ours else "—"
        errors = int(f["errors"] + f["mismatches"])
        print(
            f"| {name} | {f['rps']:.0f} | {f['p50']:.1f} | {f['p95']:.1f} | {f['p99']:.1f} | "
            f"{errors} | {f['cpu_ms']:.2f} | {f['rss']:.0f} | {ratio} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--gateways", default=",".join(GATEWAYS), help="comma-separated subset")
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument(
        "--keep", action="store_true", help="leave the system up (stop: crm_dev.run down)"
    )
    args = parser.parse_args()
    gateways = [g.strip() for g in args.gateways.split(",") if g.strip()]
    unknown = sorted(set(gateways) - set(GATEWAYS))
    if unknown:
        parser.error(f"unknown gateways {unknown}; known: {', '.join(GATEWAYS)}")
    started = time.monotonic()
    run(gateways, args.customers, args.items, args.keep)
    print(f"(took {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
