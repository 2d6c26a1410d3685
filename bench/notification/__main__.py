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
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from bench.stats import pct
from crm_dev.testing import Broker, MongoServer
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


async def run(mongodb_uri: str, amqp_url: str, events: int, rate: float, users: int) -> None:
    settings = service_settings("notification_bench", mongodb_uri, amqp_url, log_level="WARNING")
    app = create_app(settings, notification_settings=NotificationSettings(scheduler_enabled=False))
    bus = EventBus(amqp_url, settings.events_exchange)
    recipients = [f"bench-user-{i}" for i in range(users)]
    published: dict[str, float] = {}  # customer id -> perf_counter at publish
    wall: dict[str, datetime] = {}
    pushed: dict[str, float] = {}
    done = asyncio.Event()
    arrived = asyncio.Event()
    async with serve_app(app, settings.port) as url:
        await wait_ready(url, timeout=60)
        deps = app.state.deps
        await asyncio.wait_for(deps.live.listening.wait(), timeout=30)

        async def watch(user: str) -> None:
            # exactly what the `notificationReceived` resolver iterates
            async for found in received(deps.live, user, deps.notifications.get):
                if found.customer_id is not None:
                    pushed[found.customer_id] = time.perf_counter()
                    arrived.set()
                    if len(pushed) >= events:
                        done.set()

        watchers = [asyncio.create_task(watch(u)) for u in recipients]
        await asyncio.sleep(0.2)
        # warm-up (not measured): connections, first transaction, caches
        for i in range(10):
            await bus.publish(assigned(f"warm-{uuid.uuid4().hex}", recipients[i % users]))
        await asyncio.sleep(2)
        pushed.clear()

        started = time.perf_counter()
        for i in range(events):
            customer = f"c-{uuid.uuid4().hex}"
            if rate > 0:  # open loop: a fixed arrival rate
                delay = started + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            event = assigned(customer, recipients[i % users])
            arrived.clear()
            published[customer] = time.perf_counter()
            wall[customer] = datetime.now(UTC)
            await bus.publish(event)
            if rate <= 0:  # closed loop: the next event once this one has arrived
                while customer not in pushed:
                    await asyncio.wait_for(arrived.wait(), timeout=60)
                    arrived.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), timeout=120)
        elapsed = time.perf_counter() - started
        for w in watchers:
            w.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)
        await bus.close()

        docs = []
        ids = list(published)
        for start in range(0, len(ids), 200):  # the embedded MongoDB limits $in sizes
            docs += (
                await app.state.runtime.db["notifications"]
                .find(
                    {"customer_id": {"$in": ids[start : start + 200]}},
                    {"customer_id": 1, "created_at": 1},
                )
                .to_list()
            )
        commit = [
            (d["created_at"] - wall[d["customer_id"]]).total_seconds()
            for d in docs
            if d["customer_id"] in wall
        ]
        push = [pushed[c] - published[c] for c in published if c in pushed]

    pace = f"{rate:g}/s (open loop)" if rate > 0 else "one at a time (closed loop)"
    print(f"events published: {events}, {pace}, to {users} recipients")
    print(f"stored: {len(docs)}   pushed: {len(push)}   run time: {elapsed:.1f}s")
    for name, samples in (("publish→stored (commit)", commit), ("publish→subscriber (push)", push)):
        if samples:
            print(
                f"{name:>28}: p50 {pct(samples, 0.5):7.1f} ms   p95 {pct(samples, 0.95):7.1f} ms"
                f"   p99 {pct(samples, 0.99):7.1f} ms   max {max(samples) * 1000:7.1f} ms"
            )
    if len(push) < events:
        print(f"MISSING: {events - len(push)} events not pushed within the timeout")


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
    mongodb_uri, amqp_url = os.environ.get("MONGODB_URI"), os.environ.get("AMQP_URL")
    with tempfile.TemporaryDirectory(prefix="bench-notification-") as tmp:
        mongo = broker = None
        try:
            if not mongodb_uri:
                mongo = MongoServer(Path(tmp) / "mongo")
                mongo.start()
                mongodb_uri = mongo.uri
            if not amqp_url:
                broker = Broker.embedded(Path(tmp) / "rabbitmq")
                amqp_url = broker.url
            asyncio.run(run(mongodb_uri, amqp_url, args.events, args.rate, args.users))
        finally:
            if broker is not None:
                broker.close()
            if mongo is not None:
                mongo.stop()


if __name__ == "__main__":
    main()
