"""Tiny Prometheus-text metrics (counters and histograms with labels), written with
crm_kit's Prometheus text writer."""

from __future__ import annotations

import threading
from bisect import bisect_left

from crm_kit.metrics import Labels, header, label_text, sample

DEFAULT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _key(labels: dict[str, str]) -> Labels:
    return tuple(sorted(labels.items()))


class Counter:
    def __init__(self, name: str, help_text: str) -> None:
        self.name = name
        self.help = help_text
        self._values: dict[Labels, float] = {}
        self._lock = threading.Lock()

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        key = _key(labels)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, **labels: str) -> float:
        return self._values.get(_key(labels), 0.0)

    def render(self) -> list[str]:
        lines = header(self.name, "counter", self.help)
        lines += [sample(self.name, k, v) for k, v in sorted(self._values.items())]
        return lines


class Histogram:
    def __init__(self, name: str, help_text: str, buckets: tuple[float, ...] = DEFAULT_BUCKETS):
        self.name = name
        self.help = help_text
        self.buckets = buckets
        self._series: dict[Labels, tuple[list[int], list[float]]] = {}
        self._lock = threading.Lock()

    def observe(self, value: float, **labels: str) -> None:
        key = _key(labels)
        with self._lock:
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = ([0] * (len(self.buckets) + 1), [0.0, 0.0])
            series[0][bisect_left(self.buckets, value)] += 1
            series[1][0] += value
            series[1][1] += 1

    def count(self, **labels: str) -> int:
        series = self._series.get(_key(labels))
        return int(series[1][1]) if series else 0

    def render(self) -> list[str]:
        lines = header(self.name, "histogram", self.help)
        for key, (counts, (total, count)) in sorted(self._series.items()):
            running = 0
            for bound, bucket_count in zip(self.buckets, counts, strict=False):
                running += bucket_count
                lines.append(f"{self.name}_bucket{label_text(key, f'le="{bound:g}"')} {running}")
            lines.append(f"{self.name}_bucket{label_text(key, 'le="+Inf"')} {int(count)}")
            lines.append(sample(f"{self.name}_sum", key, total))
            lines.append(f"{self.name}_count{label_text(key)} {int(count)}")
        return lines


class GatewayMetrics:
    def __init__(self) -> None:
        self.requests = Counter("gateway_requests_total", "GraphQL requests received")
        self.request_errors = Counter(
            "gateway_request_errors_total", "GraphQL responses that carried errors"
        )
        self.request_latency = Histogram(
            "gateway_request_duration_seconds", "GraphQL request latency at the gateway"
        )
        self.subgraph_requests = Counter(
            "gateway_subgraph_requests_total", "HTTP requests sent to subgraphs"
        )
        self.subgraph_errors = Counter(
            "gateway_subgraph_errors_total", "Subgraph requests that failed (down, timeout, 5xx)"
        )
        self.subgraph_latency = Histogram(
            "gateway_subgraph_request_duration_seconds", "Subgraph request latency"
        )
        self.rate_limited = Counter(
            "gateway_rate_limited_total", "Requests refused by a rate limit (scope: user/client)"
        )
        self.subgraph_retries = Counter(
            "gateway_subgraph_retries_total", "Query fetches retried after a transport failure"
        )
        self.subgraph_deduplicated = Counter(
            "gateway_subgraph_deduplicated_total",
            "Query fetches answered by an identical request already in flight",
        )
        self.circuit_open = Counter(
            "gateway_circuit_open_total", "Subgraph requests refused by an open circuit"
        )
        self.supergraph_reloads = Counter(
            "gateway_supergraph_reloads_total", "New supergraphs installed while running"
        )

    def render(self) -> str:
        lines: list[str] = []
        for metric in vars(self).values():  # in the order they are defined above
            lines += metric.render()
        return "\n".join(lines) + "\n"
