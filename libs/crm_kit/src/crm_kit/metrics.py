"""Prometheus text exposition: a small writer (shared with the gateway) and a service's
reliability figures (`GET /metrics`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # typing only: the gateway imports the writer without the service runtime
    from crm_kit.consumer import EventConsumer
    from crm_kit.outbox import OutboxRelay

type Labels = tuple[tuple[str, str], ...]


def header(name: str, kind: str, help_text: str) -> list[str]:
    """The `# HELP` and `# TYPE` lines that open a metric family."""
    return [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]


def label_text(labels: Iterable[tuple[str, str]], extra: str = "") -> str:
    """`{k="v",...}` with values escaped (`extra` is appended verbatim, e.g. `le="0.5"`);
    empty without labels."""
    parts = [f'{k}="{v.replace("\\", "\\\\").replace('"', '\\"')}"' for k, v in labels]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def sample(name: str, labels: Iterable[tuple[str, str]], value: float) -> str:
    return f"{name}{label_text(labels)} {value:g}"


class _Runtime(Protocol):
    @property
    def relay(self) -> OutboxRelay: ...
    @property
    def consumer(self) -> EventConsumer | None: ...
    @property
    def ready(self) -> bool: ...


type _Figure = tuple[str, str, str, float]


def _relay_figures(runtime: _Runtime) -> list[_Figure]:
    relay = runtime.relay
    return [
        (
            "crm_outbox_oldest_pending_age_seconds",
            "gauge",
            "Age of the oldest unpublished outbox event (as seen by the relay lease holder).",
            relay.oldest_pending_age_seconds,
        ),
        (
            "crm_outbox_relay_leader",
            "gauge",
            "1 if this replica holds the relay lease.",
            1.0 if relay.is_leader else 0.0,
        ),
        (
            "crm_outbox_published_total",
            "counter",
            "Events published with a broker confirm.",
            relay.published_total,
        ),
        (
            "crm_outbox_publish_failures_total",
            "counter",
            "Relay cycles that failed and backed off.",
            relay.publish_failures_total,
        ),
        (
            "crm_outbox_purged_total",
            "counter",
            "Sent entries deleted after retention.",
            relay.purged_total,
        ),
        ("crm_ready", "gauge", "1 when the workers run.", float(runtime.ready)),
    ]


def _consumer_figures(runtime: _Runtime) -> list[_Figure]:
    consumer = runtime.consumer
    if consumer is None:
        return []
    totals = (
        ("applied", "Events applied.", consumer.applied_total),
        ("duplicates", "Redeliveries recognised and skipped.", consumer.duplicates_total),
        ("retried", "Events sent to the delayed retry queue.", consumer.retried_total),
        ("dead_lettered", "Events parked in the dead-letter queue.", consumer.dead_lettered_total),
        ("timeouts", "Events that exceeded the handling time limit.", consumer.timeouts_total),
    )
    return [
        *((f"crm_consumer_{name}_total", "counter", text, value) for name, text, value in totals),
        ("crm_consumer_in_flight", "gauge", "Messages being handled now.", consumer.in_flight),
    ]


def render_metrics(runtime: _Runtime, service: str | None = None) -> str:
    labels: Labels = (("service", service),) if service else ()
    lines: list[str] = []
    for name, kind, help_text, value in [*_relay_figures(runtime), *_consumer_figures(runtime)]:
        lines += [*header(name, kind, help_text), sample(name, labels, value)]
    return "\n".join(lines) + "\n"
