"""Replay a service's dead-lettered events into its work queue (docs/operations.md).

    python deploy/tools/replay_dead_letters.py --url "$AMQP_URL" --service interaction \\
        [--limit 100] [--type customer.updated.v1] [--dry-run]

Moves messages from `<service>.events.dlq` to `<service>.events` with `crm_kit.dlq` (through
the default exchange, publisher confirms, persistent), one at a time: each is acknowledged on
the dead-letter queue only after the broker confirmed its copy, so a crash mid-way can
duplicate a message (consumers are idempotent) but never lose one. The replayed copy starts
again at attempt 1 and carries `x-crm-replayed-from` and the last error for the record.
Messages not selected by --type (or seen in --dry-run) are returned to the dead-letter queue.
Queues are opened passively: the tool never declares or changes them.

Fix the cause first (deploy the fixed release): an event that fails again is retried and
dead-lettered again as usual.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter

from crm_kit import dlq


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--url", required=True, help="amqp(s)://user:pass@host:port/vhost")
    parser.add_argument(
        "--service", required=True, help="customer, interaction, notification, sales"
    )
    parser.add_argument("--limit", type=int, default=None, help="replay at most this many")
    parser.add_argument("--type", default="", help="only events of this CloudEvents type")
    parser.add_argument("--dry-run", action="store_true", help="count by type, move nothing")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    select = dlq.nothing if args.dry_run else dlq.by_type(args.type)
    result = asyncio.run(dlq.replay_selected(args.url, args.service, select, at_most=args.limit))
    if args.dry_run:
        summary, counted = {"would replay": len(result.left), "left_in_dlq": 0}, result.left
    else:
        summary = {"replayed": len(result.moved), "left_in_dlq": len(result.left)}
        counted = result.moved
    print(json.dumps(summary))
    for kind, n in sorted(Counter(m.type for m in counted).items()):
        print(f"  {kind or '<no type>'}: {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
