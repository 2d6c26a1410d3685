"""What the gateway harnesses share: waiting for a server, a process's CPU and memory from
/proc, one autocannon run turned into figures, stopping a process."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def wait_http(
    url: str, body: bytes | None = None, timeout: float = 90, headers: dict[str, str] | None = None
) -> bytes:
    """POST `body` (with `headers`) until the server answers 200; that answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(
                url, data=body, headers={"content-type": "application/json", **(headers or {})}
            )
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    answer: bytes = response.read()
                    return answer
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(url)


def process_tree(pid: int) -> list[int]:
    """The process and its children (Node and uvicorn may fork workers)."""
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return pids


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process and its children (workers)."""
    total = 0.0
    for item in process_tree(pid):
        try:
            fields = Path(f"/proc/{item}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def peak_rss_mb(pid: int) -> float:
    """VmHWM of the process and its children."""
    total = 0
    for item in process_tree(pid):
        try:
            for line in Path(f"/proc/{item}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def autocannon(
    command: str,
    url: str,
    body: str,
    *,
    connections: int,
    seconds: int,
    env: Mapping[str, str],
    headers: Mapping[str, str] | None = None,
    expect: str | None = None,
) -> dict[str, Any]:
    """POST `body` on `connections` connections for `seconds` (call it once more before, for a
    warm-up): RPS, p50/p95/p99 ms (p97.5 where autocannon has no p95), errors (+ non-2xx),
    `mismatches` (bodies other than `expect`) and `requests` (total)."""
    args = [command, "-m", "POST", "-H", "content-type=application/json"]
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}={value}"]
    args += ["-b", body, "-c", str(connections), "-d", str(seconds), "-j"]
    if expect is not None:
        args += ["--expectBody", expect]
    out = subprocess.run([*args, url], env=env, capture_output=True, check=True)
    result = json.loads(out.stdout)
    latency = result["latency"]
    return {
        "rps": result["requests"]["average"],
        "p50": latency["p50"],
        "p95": latency.get("p95", latency.get("p97_5")),
        "p99": latency["p99"],
        "errors": result["errors"] + result["non2xx"],
        "mismatches": result.get("mismatches", 0),
        "requests": result["requests"]["total"],
    }


def stop(process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """SIGTERM, then SIGKILL if it has not exited after `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
