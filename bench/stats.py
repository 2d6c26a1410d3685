"""Timing helpers shared by the benchmarks: one percentile definition, repeated timing of an
async call, and the one-line p50/p95 summary the component benchmarks print."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-quantile (0 ≤ q ≤ 1) by nearest rank, in the samples' own unit."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def pct(samples: Sequence[float], q: float) -> float:
    """The q-quantile of samples in seconds, in milliseconds."""
    return percentile(samples, q) * 1000


async def timed(fn: Callable[[], Awaitable[Any]], reps: int) -> list[float]:
    """Seconds taken by each of `reps` sequential awaits of fn()."""
    out: list[float] = []
    for _ in range(reps):
        start = time.perf_counter()
        await fn()
        out.append(time.perf_counter() - start)
    return out


def line(label: str, samples: Sequence[float], extra: str = "") -> None:
    """Print p50 and p95 (ms) of samples in seconds."""
    print(
        f"  {label:<52} p50 {pct(samples, 0.5):7.1f} ms   p95 {pct(samples, 0.95):7.1f} ms"
        f"   n={len(samples)} {extra}".rstrip()
    )
