"""Replay a service's dead-lettered events into its work queue (docs/operations.md).

    python deploy/tools/replay_dead_letters.py --url "$AMQP_URL" --service interaction \\
        [--limit 100] [--type customer.updated.v1] [--dry-run]

Moves messages from `<service>.events.dlq` to `<service>.events` (through the default
exchange, publisher confirms, persistent), one at a time: each is acknowledged on the
dead-letter queue only after the broker confirmed its copy, so a crash mid-way can duplicate a
message (consumers are idempotent) but never lose one. The replayed copy starts again at
attempt 1 and carries `x-crm-replayed-from` and the last error for the record. Messages not
selected by --type (or seen in --dry-run) are returned to the dead-letter queue.
Queues are opened passively: the tool never declares or changes them.

Fix the cause first (deploy the fixed release): an event that fails again is retried and
dead-lettered again as usual.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass, field

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from crm_kit.consumer import ATTEMPT_HEADER, ERROR_HEADER
from crm_kit.topology import QueueNames


@dataclass
class ReplayReport:
    replayed: int = 0
    skipped: int = 0
    types: dict[str, int] = field(default_factory=dict)


def _event_type(message: AbstractIncomingMessage) -> str:
    if message.type:
        return message.type
    try:
        body = json.loads(message.body)
    except ValueError:
        return ""
    return str(body.get("type", "")) if isinstance(body, dict) else ""


async def replay(
    url: str,
    service: str,
    *,
    limit: int | None = None,
    event_type: str = "",
    dry_run: bool = False,
) -> ReplayReport:
    names = QueueNames.for_consumer(service)
    source_name, target_name = names.dead, names.main
    report = ReplayReport()
    connection = await aio_pika.connect(url, timeout=10)
    try:
        channel = await connection.channel(publisher_confirms=True)
        source = await channel.declare_queue(source_name, passive=True)
        await channel.declare_queue(target_name, passive=True)  # must exist
        held: list[AbstractIncomingMessage] = []
        while limit is None or report.replayed < limit:
            message = await source.get(no_ack=False, fail=False)
            if message is None:
                break
            kind = _event_type(message)
            if dry_run or (event_type and kind != event_type):
                held.append(message)  # returned to the queue below
                report.skipped += 1
                if dry_run:
                    report.types[kind] = report.types.get(kind, 0) + 1
                continue
            headers = dict(message.headers or {})
            headers["x-crm-replayed-from"] = source_name
            headers["x-crm-dead-letter-error"] = headers.pop(ERROR_HEADER, "")
            headers[ATTEMPT_HEADER] = 1
            await channel.default_exchange.publish(
                aio_pika.Message(
                    message.body,
                    headers=headers,
                    content_type=message.content_type,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    message_id=message.message_id,
                    type=message.type,
                ),
                routing_key=target_name,
            )
            await message.ack()
            report.replayed += 1
            report.types[kind] = report.types.get(kind, 0) + 1
        for message in reversed(held):
            await message.nack(requeue=True)
    finally:
        await connection.close()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--url", required=True, help="amqp(s)://user:pass@host:port/vhost")
    parser.add_argument("--service", required=True, help="customer, interaction, notification")
    parser.add_argument("--limit", type=int, default=None, help="replay at most this many")
    parser.add_argument("--type", default="", help="only events of this CloudEvents type")
    parser.add_argument("--dry-run", action="store_true", help="count by type, move nothing")
    args = parser.parse_args(argv)
    report = asyncio.run(
        replay(args.url, args.service, limit=args.limit, event_type=args.type, dry_run=args.dry_run)
    )
    verb = "would replay" if args.dry_run else "replayed"
    count = report.skipped if args.dry_run else report.replayed
    print(json.dumps({verb: count, "left_in_dlq": 0 if args.dry_run else report.skipped}))
    for kind, n in sorted(report.types.items()):
        print(f"  {kind or '<no type>'}: {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
