"""Render docs/benchmarks.md from the results of `bench.run` (pure: JSON in, Markdown out)."""

from __future__ import annotations

import math
import re
from typing import Any

GOALS = {"customer 360": 50.0, "customer search": 50.0, "create customer": 100.0}
PROCESSES = (
    "gateway", "customer", "interaction", "notification", "sales", "mongo", "rabbitmq", "driver",
)  # fmt: skip


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _ms(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:,.1f}"  # NaN: no successful request


def verdict(name: str, p95: float) -> str:
    goal = GOALS.get(name)
    if goal is None:
        return ""
    return f"< {goal:.0f} ms: {'met' if p95 <= goal else 'missed'}"


def scenario_table(scale: dict[str, Any]) -> list[str]:
    lines = [
        "| scenario | concurrency | requests | RPS | p50 ms | p95 ms | p99 ms | errors "
        "| goal (p95) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in scale["scenarios"]:
        lines.append(
            f"| {s['name']} | {s['concurrency']} | {s['requests']} | {s['rps']:.1f} | "
            f"{_ms(s['p50'])} | {_ms(s['p95'])} | {_ms(s['p99'])} | {s['errors']} | "
            f"{verdict(s['name'], s['p95'])} |"
        )
    return lines


def process_table(scale: dict[str, Any]) -> list[str]:
    head = " | ".join(f"{p} CPU % / peak RSS MB" for p in PROCESSES)
    lines = [f"| scenario | {head} |", "|---|" + "---|" * len(PROCESSES)]
    for s in scale["scenarios"]:
        usage = {p["name"]: p for p in s["processes"]}
        cells = [
            f"{usage[p]['cpu_pct']:.0f} / {usage[p]['peak_rss_mb']:.0f}" if p in usage else "—"
            for p in PROCESSES
        ]
        lines.append(f"| {s['name']} | " + " | ".join(cells) + " |")
    return lines


def ramp_table(scale: dict[str, Any]) -> list[str]:
    lines = ["| scenario | concurrency | RPS | p50 ms | p95 ms | p99 ms | errors "
             "| goal (p95) |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for s in scale["scenarios"]:
        for step in s.get("ramp", []):
            lines.append(
                f"| {s['name']} | {step['concurrency']} | {step['rps']:.1f} | "
                f"{_ms(step['p50'])} | {_ms(step['p95'])} | {_ms(step['p99'])} | "
                f"{step['errors']} | {verdict(s['name'], step['p95'])} |"
            )
    return lines


def import_table(scale: dict[str, Any]) -> list[str]:
    imports = scale.get("imports") or []
    if not imports:
        return []
    lines = [
        "Imports through the gateway at this size (`importCustomers`, a generated CSV with ~7 % "
        "bad or repeated rows, polled to the job's end; `bench/imports_run.py`):",
        "",
        "| rows | upload accepted s | whole job s | rows/s | created | failed (row report) "
        "| customer CPU % | mongo CPU % |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in imports:
        cpu = {p["name"]: p["cpu_pct"] for p in run.get("processes", [])}
        lines.append(
            f"| {run['rows']:,} | {run['upload_seconds']:.1f} | {run['seconds']:,.1f} | "
            f"{run['rows_per_second']:.1f} | {run['created']:,} | {run['failed']:,} | "
            f"{cpu.get('customer', float('nan')):.0f} | {cpu.get('mongo', float('nan')):.0f} |"
        )
    return [*lines, ""]


def cost_table(scales: list[dict[str, Any]]) -> list[str]:
    names = list(scales[0]["cost"]) if scales else []
    head = " | ".join(f"{s['customers']:,} customers" for s in scales)
    lines = [f"| operation | {head} |", "|---|" + "---|" * len(scales)]
    for name in names:
        cells = []
        for s in scales:
            c = s["cost"].get(name)
            if c is None:
                cells.append("—")
                continue
            per = ", ".join(f"{k} {v}" for k, v in c["db_commands"].items() if v)
            cells.append(f"{c['subgraph_requests']} subgraph req; {sum(c['db_commands'].values())} "
                         f"DB commands ({per})")  # fmt: skip
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def explain_lines(scale: dict[str, Any]) -> list[str]:
    lines = ["| operation | command | hinted index | SQLite plan (embedded server) |",
             "|---|---|---|---|"]  # fmt: skip
    for plan in scale.get("explain", []):
        lines.append(
            f"| {plan['operation']} | `{plan['command']}` | {plan.get('hint') or '—'} | "
            f"{plan['plan']} |"
        )
    return lines


def growth_lines(scales: list[dict[str, Any]]) -> list[str]:
    if len(scales) < 2:
        return []
    small, large = scales[0], scales[-1]
    factor = large["customers"] / max(1, small["customers"])
    lines = [
        f"| scenario | p50 at {small['customers']:,} | p50 at {large['customers']:,} | "
        f"ratio ({factor:.0f}× data) | RPS ratio |",
        "|---|---|---|---|---|",
    ]
    by_name = {s["name"]: s for s in small["scenarios"]}
    for s in large["scenarios"]:
        before = by_name.get(s["name"])
        if before is None or not before["p50"] or not before["rps"]:
            continue
        lines.append(
            f"| {s['name']} | {_ms(before['p50'])} | {_ms(s['p50'])} | "
            f"{s['p50'] / before['p50']:.2f} | {s['rps'] / before['rps']:.2f} |"
        )
    return lines


def render(runs: list[dict[str, Any]], notes: str = "") -> str:
    out = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`bench/run.py`, one section per results file in",
        "`docs/bench/`); the tables are not edited by hand. The analysis at the end",
        "(`bench/analysis.md`) was written for the runs shown.",
        "",
    ]
    for results in runs:
        out += render_run(results)
    if notes:
        out += [notes.strip(), ""]
    return "\n".join(out)


def _deals(scale: dict[str, Any]) -> str:
    n = scale.get("opportunities")
    return f", {n:,} opportunities" if n else ""


def render_run(results: dict[str, Any]) -> list[str]:
    meta = results["meta"]
    scales = results["scales"]
    name = meta.get("name", "bench")
    out = [
        f"# Run `{name}`: {', '.join(f'{s["customers"]:,}' for s in scales)} customers",
        "",
        f"- date: {meta['date']}",
        f"- commit: {meta['commit']}",
        f"- machine: {meta['machine']}",
        f"- system start (`crm_dev.run up`): {meta.get('startup_seconds', '?')} s; whole run: "
        f"{meta.get('total_seconds', '?')} s",
        f"- each scenario: {meta['scenario_seconds']:g} s at constant concurrency (closed loop),"
        f" ramps {meta['ramp_seconds']:g} s per step; latencies are end to end through the"
        " gateway (HTTP, JWT, planning, subgraph requests, MongoDB).",
        "",
    ]
    for scale in scales:
        tag = f"{name}-{scale['customers']}"
        out += [
            f"## {name}: {scale['customers']:,} customers, {scale['items']:,} interactions/tickets/"
            f"tasks/purchases{_deals(scale)} (scale {scale['scale']:g})",
            "",
            f"Seeding this step took {scale['seed_seconds']:.0f} s "
            f"({', '.join(f'{k} {v:.0f} s' for k, v in scale['seed_parts'].items())}).",
            "",
            *scenario_table(scale),
            "",
            "CPU (% of one core, averaged over the run) and peak RSS per process:",
            "",
            *process_table(scale),
            "",
            "Ramps:",
            "",
            *ramp_table(scale),
            "",
            *import_table(scale),
            f"![latency percentiles](bench/latency-{tag}.png)",
            f"![throughput](bench/throughput-{tag}.png)",
            "",
        ]
    out += [
        f"## {name}: cost model (database commands and subgraph requests per operation)",
        "",
        "Counted with PyMongo command monitoring in each service (only commands issued while",
        "serving the request) and the gateway's `gateway_subgraph_requests_total`.",
        "",
        *cost_table(scales),
        "",
        f"## {name}: scaling",
        "",
        *growth_lines(scales),
        "",
        f"## {name}: explain plans",
        "",
        "The exact commands the services sent for each operation (captured by the command",
        "listener), explained by the embedded server at the largest size:",
        "",
        *(explain_lines(scales[-1]) if scales else []),
        "",
    ]
    return out
