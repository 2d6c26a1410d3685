"""Event-to-inbox latency of the notification service, on the embedded default (or
MONGODB_URI / AMQP_URL).

    .venv/bin/python -m bench.notification --events 1000            # one at a time
    .venv/bin/python -m bench.notification --events 1000 --rate 10  # open loop, 10/s

Runs the real notification app (uvicorn, consumer, outbox relay, live listener) and publishes
`customer.assigned.v1` events to RabbitMQ, each for one of `--users` recipients: one at a time
(the next once the previous reached its subscriber: pure latency, no queueing) or at `--rate`
per second (open loop: latency under that load, queueing included once it saturates).
For every event it records:
- commit: publish → the in-app notification is stored (its `created_at`, set in the consumer's
  transaction; an approximation from the service's own clock on this machine);
- push: publish → the notification, read back committed, reaches a `notificationReceived`
  subscriber on this replica (the resolver's own iterator): what a subscribed client sees
  (plus its WebSocket hop).
Prints p50/p95/p99/max of both and the achieved throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bench.stats import pct
from crm_dev.testing import infrastructure
from crm_kit.bus import EventBus
from crm_kit.events import CloudEvent
from crm_notification.app import create_app
from crm_notification.inbox.live import received
from crm_notification.settings import NotificationSettings
from tests.support import serve_app, service_settings, wait_ready


def assigned(customer: str, owner: str) -> CloudEvent:
    return CloudEvent(
        type="customer.assigned.v1",
        source="crm/bench",
        subject=customer,
        data={
            "customer": {"id": customer, "displayName": f"基准客户 {customer[-6:]}"},
            "ownerId": owner,
            "previousOwnerId": None,
            "team": "east",
            "actorId": "bench-manager",
        },
    )


@dataclass
class Timings:
    """When each event was published and when its notification was pushed."""

    events: int
    published: dict[str, float] = field(default_factory=dict)  # customer id -> perf_counter
    wall: dict[str, datetime] = field(default_factory=dict)
    pushed: dict[str, float] = field(default_factory=dict)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def watch(self, deps: Any, user: str) -> None:
        # exactly what the `notificationReceived` resolver iterates
        async for found in received(deps.live, user, deps.notifications.get):
            if found.customer_id is not None:
                self.pushed[found.customer_id] = time.perf_counter()
                self.arrived.set()
                if len(self.pushed) >= self.events:
                    self.done.set()

    async def publish(self, bus: EventBus, recipients: list[str], rate: float) -> float:
        """Publish every event (open loop at `rate`, or closed loop); the seconds it took."""
        started = time.perf_counter()
        for i in range(self.events):
            customer = f"c-{uuid.uuid4().hex}"
            if rate > 0:  # open loop: a fixed arrival rate
                delay = started + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            event = assigned(customer, recipients[i % len(recipients)])
            self.arrived.clear()
            self.published[customer] = time.perf_counter()
            self.wall[customer] = datetime.now(UTC)
            await bus.publish(event)
            if rate <= 0:  # closed loop: the next event once this one has arrived
                while customer not in self.pushed:
                    await asyncio.wait_for(self.arrived.wait(), timeout=60)
                    self.arrived.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.done.wait(), timeout=120)
        return time.perf_counter() - started

    async def commit_latencies(self, db: Any) -> tuple[int, list[float]]:
        """How many notifications were stored, and publish → stored for each."""
        docs: list[dict[str, Any]] = []
        ids = list(self.published)
        for start in range(0, len(ids), 200):  # the embedded MongoDB limits $in sizes
            query = {"customer_id": {"$in": ids[start : start + 200]}}
            docs += (
                await db["notifications"].find(query, {"customer_id": 1, "created_at": 1}).to_list()
            )
        stored = [d for d in docs if d["customer_id"] in self.wall]
        return len(docs), [
            (d["created_at"] - self.wall[d["customer_id"]]).total_seconds() for d in stored
        ]

    def push_latencies(self) -> list[float]:
        return [self.pushed[c] - self.published[c] for c in self.published if c in self.pushed]


def report(
    t: Timings, rate: float, users: int, *, stored: int, commit: list[float], elapsed: float
) -> None:
    push = t.push_latencies()
    pace = f"{rate:g}/s (open loop)" if rate > 0 else "one at a time (closed loop)"
    print(f"events published: {t.events}, {pace}, to {users} recipients")
    print(f"stored: {stored}   pushed: {len(push)}   run time: {elapsed:.1f}s")
    for name, samples in (("publish→stored (commit)", commit), ("publish→subscriber (push)", push)):
        if samples:
            print(
                f"{name:>28}: p50 {pct(samples, 0.5):7.1f} ms   p95 {pct(samples, 0.95):7.1f} ms"
                f"   p99 {pct(samples, 0.99):7.1f} ms   max {max(samples) * 1000:7.1f} ms"
            )
    if len(push) < t.events:
        print(f"MISSING: {t.events - len(push)} events not pushed within the timeout")


async def run(mongodb_uri: str, amqp_url: str, events: int, rate: float, users: int) -> None:
    settings = service_settings("notification_bench", mongodb_uri, amqp_url, log_level="WARNING")
    app = create_app(settings, notification_settings=NotificationSettings(scheduler_enabled=False))
    bus = EventBus(amqp_url, settings.events_exchange)
    recipients = [f"bench-user-{i}" for i in range(users)]
    t = Timings(events)
    async with serve_app(app, settings.port) as url:
        await wait_ready(url, timeout=60)
        deps = app.state.deps
        await asyncio.wait_for(deps.live.listening.wait(), timeout=30)
        watchers = [asyncio.create_task(t.watch(deps, u)) for u in recipients]
        await asyncio.sleep(0.2)
        # warm-up (not measured): connections, first transaction, caches
        for i in range(10):
            await bus.publish(assigned(f"warm-{uuid.uuid4().hex}", recipients[i % users]))
        await asyncio.sleep(2)
        t.pushed.clear()
        elapsed = await t.publish(bus, recipients, rate)
        for w in watchers:
            w.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)
        await bus.close()
        stored, commit = await t.commit_latencies(app.state.runtime.db)
    report(t, rate, users, stored=stored, commit=commit, elapsed=elapsed)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.notification")
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="events per second (open loop); 0 = one at a time, each after the previous arrived",
    )
    parser.add_argument("--users", type=int, default=20)
    args = parser.parse_args()
    with infrastructure("bench-notification-") as (mongodb_uri, amqp_url):
        asyncio.run(run(mongodb_uri, amqp_url, args.events, args.rate, args.users))


if __name__ == "__main__":
    main()
