"""PNG charts from docs/bench/results.json (matplotlib, headless).

    .tools/bin/uv run --frozen --with 'matplotlib>=3.9' python -m bench.charts

Per data size: latency percentiles (p50/p95/p99) per scenario, and throughput against
concurrency for the ramped scenarios (with the constant-concurrency runs as points).
Every chart carries the date, commit and machine of the run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "bench"


def stamp(meta: dict[str, Any]) -> str:
    return f"{meta['date']} · commit {meta['commit']}\n{meta['machine']}"


def draw(results: dict[str, Any]) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    meta = results["meta"]
    written: list[Path] = []
    for scale in results["scales"]:
        tag = f"{meta.get('name', 'bench')}-{scale['customers']}"
        scenarios = scale["scenarios"]
        names = [s["name"] for s in scenarios]
        fig, ax = plt.subplots(figsize=(11, 5.5))
        width = 0.27
        for offset, key in ((-width, "p50"), (0.0, "p95"), (width, "p99")):
            ax.bar([i + offset for i in range(len(names))], [s[key] for s in scenarios], width,
                   label=key)  # fmt: skip
        ax.axhline(50, color="grey", linestyle="--", linewidth=0.8)
        ax.text(len(names) - 0.5, 52, "50 ms goal (360, search)", ha="right", fontsize=8)
        ax.set_xticks(range(len(names)), names, rotation=20, ha="right")
        ax.set_ylabel("latency through the gateway (ms)")
        ax.set_yscale("log")
        ax.set_title(
            f"Latency per scenario — {scale['customers']:,} customers, {scale['items']:,} items"
        )
        ax.legend()
        fig.text(0.01, 0.01, stamp(meta), fontsize=7, color="dimgrey")
        fig.tight_layout(rect=(0, 0.06, 1, 1))
        path = OUT / f"latency-{tag}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)

        fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5))
        left.barh(names, [s["rps"] for s in scenarios], color="tab:green")
        left.set_xlabel("requests/s at the scenario's constant concurrency")
        left.invert_yaxis()
        for s in scenarios:
            ramp = s.get("ramp") or []
            if ramp:
                right.plot([r["concurrency"] for r in ramp], [r["rps"] for r in ramp], marker="o",
                           label=f"{s['name']} RPS")  # fmt: skip
                twin_p95 = [r["p95"] for r in ramp]
                right.plot([r["concurrency"] for r in ramp], twin_p95, linestyle=":", marker="x",
                           label=f"{s['name']} p95 ms")  # fmt: skip
        right.set_xscale("log", base=2)
        right.set_xlabel("concurrent users (ramp)")
        right.set_ylabel("RPS (solid) / p95 ms (dotted)")
        right.legend(fontsize=8)
        fig.suptitle(f"Throughput — {scale['customers']:,} customers, {scale['items']:,} items")
        fig.text(0.01, 0.01, stamp(meta), fontsize=7, color="dimgrey")
        fig.tight_layout(rect=(0, 0.06, 1, 0.95))
        path = OUT / f"throughput-{tag}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written


def main() -> int:
    sources = sorted(OUT.glob("results*.json"))
    if not sources:
        print(f"no results in {OUT}: run `python -m bench.run` first", file=sys.stderr)
        return 1
    for source in sources:
        for path in draw(json.loads(source.read_text())):
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
