"""A small asyncio load driver: constant-concurrency and ramping runs of one operation.

Each virtual user runs the operation back to back (closed loop) for the duration; every
call is timed with `perf_counter` and counted as an error when it raises. The driver's own
CPU time is recorded so the report can show it was not the bottleneck.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.stats import percentile

type Operation = Callable[[int, int], Awaitable[None]]  # (virtual user, sequence number)

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Stats:
    """Latencies (ms) and errors of one run at one concurrency."""

    concurrency: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.latencies_ms) + self.errors

    @property
    def rps(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        return percentile(self.latencies_ms, q)


async def run_constant(
    operation: Operation, concurrency: int, seconds: float, max_calls: int | None = None
) -> Stats:
    """`concurrency` users calling `operation` back to back for `seconds` (or `max_calls`)."""
    stats = Stats(concurrency, 0.0)
    deadline = time.perf_counter() + seconds
    issued = 0

    async def user(vu: int) -> None:
        nonlocal issued
        while time.perf_counter() < deadline and (max_calls is None or issued < max_calls):
            seq = issued
            issued += 1
            started = time.perf_counter()
            try:
                await operation(vu, seq)
            except Exception as exc:
                stats.errors += 1
                if len(stats.error_samples) < 3:
                    stats.error_samples.append(f"{type(exc).__name__}: {exc}"[:300])
            else:
                stats.latencies_ms.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(user(vu) for vu in range(concurrency)))
    stats.seconds = time.perf_counter() - started
    return stats


async def run_ramp(operation: Operation, levels: Sequence[int], step_seconds: float) -> list[Stats]:
    """The same operation at increasing concurrency, one step per level."""
    return [await run_constant(operation, level, step_seconds) for level in levels]


@dataclass
class ProcessUsage:
    name: str
    cpu_seconds: float = 0.0
    peak_rss_mb: float = 0.0


class ProcessMonitor:
    """CPU seconds and peak resident memory of named processes over a measured window,
    read from /proc (sampled every `interval` seconds for RSS)."""

    def __init__(self, pids: dict[str, int], interval: float = 0.25) -> None:
        self.pids = pids
        self.interval = interval
        self._start: dict[str, float] = {}
        self._peak: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    @staticmethod
    def cpu_seconds(pid: int) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime

    @staticmethod
    def rss_mb(pid: int) -> float:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    async def _sample(self) -> None:
        while True:
            for name, pid in self.pids.items():
                self._peak[name] = max(self._peak.get(name, 0.0), self.rss_mb(pid))
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        self._start = {name: self.cpu_seconds(pid) for name, pid in self.pids.items()}
        self._peak = {}
        self._task = asyncio.create_task(self._sample())

    async def stop(self) -> list[ProcessUsage]:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        return [
            ProcessUsage(
                name,
                self.cpu_seconds(pid) - self._start.get(name, 0.0),
                max(self._peak.get(name, 0.0), self.rss_mb(pid)),
            )
            for name, pid in self.pids.items()
        ]
