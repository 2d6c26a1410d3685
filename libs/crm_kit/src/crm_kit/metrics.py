"""Prometheus text exposition of a service's reliability figures (`GET /metrics`)."""

from __future__ import annotations

from typing import Protocol

from crm_kit.consumer import EventConsumer
from crm_kit.outbox import OutboxRelay


class _Runtime(Protocol):
    @property
    def relay(self) -> OutboxRelay: ...
    @property
    def consumer(self) -> EventConsumer | None: ...
    @property
    def ready(self) -> bool: ...


def _line(name: str, kind: str, help_text: str, value: float, labels: str) -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", f"{name}{{{labels}}} {value:g}"]


def render_metrics(runtime: _Runtime, service: str | None = None) -> str:
    relay = runtime.relay
    labels = f'service="{service}"' if service else ""
    lines: list[str] = []
    lines += _line(
        "crm_outbox_oldest_pending_age_seconds",
        "gauge",
        "Age of the oldest unpublished outbox event (as seen by the relay lease holder).",
        relay.oldest_pending_age_seconds,
        labels,
    )
    lines += _line(
        "crm_outbox_relay_leader",
        "gauge",
        "1 if this replica holds the relay lease.",
        1.0 if relay.is_leader else 0.0,
        labels,
    )
    lines += _line(
        "crm_outbox_published_total",
        "counter",
        "Events published with a broker confirm.",
        relay.published_total,
        labels,
    )
    lines += _line(
        "crm_outbox_publish_failures_total",
        "counter",
        "Relay cycles that failed and backed off.",
        relay.publish_failures_total,
        labels,
    )
    lines += _line(
        "crm_outbox_purged_total",
        "counter",
        "Sent entries deleted after retention.",
        relay.purged_total,
        labels,
    )
    lines += _line("crm_ready", "gauge", "1 when the workers run.", float(runtime.ready), labels)
    consumer = runtime.consumer
    if consumer is not None:
        for name, help_text, value in (
            ("applied", "Events applied.", consumer.applied_total),
            ("duplicates", "Redeliveries recognised and skipped.", consumer.duplicates_total),
            ("retried", "Events sent to the delayed retry queue.", consumer.retried_total),
            (
                "dead_lettered",
                "Events parked in the dead-letter queue.",
                consumer.dead_lettered_total,
            ),
            ("timeouts", "Events that exceeded the handling time limit.", consumer.timeouts_total),
        ):
            lines += _line(f"crm_consumer_{name}_total", "counter", help_text, value, labels)
        lines += _line(
            "crm_consumer_in_flight",
            "gauge",
            "Messages being handled now.",
            consumer.in_flight,
            labels,
        )
    return "\n".join(lines) + "\n"
