"""Inspect and replay a service's dead-letter queue (a command line over ``crm_kit.dlq``).

    python -m crm_dev.dlq list interaction          # depth of work, retry and dead-letter queues
    python -m crm_dev.dlq show notification         # parked messages: id, type, attempts, error
    python -m crm_dev.dlq show notification --body  # ... with their CloudEvent bodies
    python -m crm_dev.dlq replay notification --id <event id> [--id ...]
    python -m crm_dev.dlq replay notification --all

Uses ``AMQP_URL`` (default: the embedded broker of ``make run``) or ``--amqp-url``. Replay puts
a message back into ``<service>.events`` with a fresh attempt count; consumers are idempotent,
so replaying an event that was in fact applied changes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import orjson

from crm_kit import dlq
from crm_kit.settings import DEFAULT_AMQP_URL, env_secret


def _print_json(doc: object) -> None:
    print(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode())


async def _list(url: str, args: argparse.Namespace) -> int:
    for depth in await dlq.depths(url, args.service):
        state = "absent" if depth.messages < 0 else f"{depth.messages} messages"
        print(f"{depth.queue:<40} {state:>16}  {depth.consumers} consumers")
    return 0


async def _show(url: str, args: argparse.Namespace) -> int:
    parked = await dlq.peek(url, args.service, args.limit)
    for message in parked:
        doc = message.summary()
        if args.body:
            try:
                doc["body"] = orjson.loads(message.body)
            except orjson.JSONDecodeError:
                doc["body"] = message.body.decode(errors="replace")
        _print_json(doc)
    print(f"{len(parked)} parked message(s) in {args.service}.events.dlq", file=sys.stderr)
    return 0


async def _replay(url: str, args: argparse.Namespace) -> int:
    if not args.all and not args.id:
        print("replay needs --id <event id> (repeatable) or --all", file=sys.stderr)
        return 2
    moved = await dlq.replay(url, args.service, None if args.all else set(args.id), args.limit)
    for message in moved:
        print(f"replayed {message.message_id} {message.type} {message.subject}")
    missing = set(args.id or ()) - {m.message_id for m in moved}
    for message_id in sorted(missing):
        print(f"not found in the DLQ: {message_id}", file=sys.stderr)
    return 1 if missing else 0


COMMANDS = {"list": _list, "show": _show, "replay": _replay}


async def _run(args: argparse.Namespace) -> int:
    url: str = args.amqp_url or env_secret("AMQP_URL", DEFAULT_AMQP_URL)
    return await COMMANDS[args.command](url, args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m crm_dev.dlq", description=__doc__.split("\n")[0]
    )
    parser.add_argument("command", choices=list(COMMANDS))
    parser.add_argument("service", help="consumer name: interaction, notification, ...")
    parser.add_argument("--amqp-url", default="")
    parser.add_argument("--limit", type=int, default=100, help="messages to look at")
    parser.add_argument("--body", action="store_true", help="show: include message bodies")
    parser.add_argument("--id", action="append", help="replay: event id (repeatable)")
    parser.add_argument("--all", action="store_true", help="replay: every parked message")
    args = parser.parse_args(argv)
    try:
        return asyncio.run(_run(args))
    except Exception as exc:
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
