"""``python -m crm_kit.audit verify|prune|export --service customer|interaction|notification``

- verify: walks the chain from genesis (or the retention checkpoint) and checks the head;
  prints the first broken link and exits 1, else prints the count and head hash, exits 0.
- prune --days N (default AUDIT_RETENTION_DAYS, 400): removes older records; the last removed
  record's seq and hash become the checkpoint, so verification still starts from a trusted
  link. Export first (``export --to-seq``) to keep a sealed segment elsewhere.
- export [--from-seq N]: JSON lines of the records, oldest first (a segment that can be
  verified on its own from its first record's `prev`).

Reads MONGODB_URI (or MONGODB_URI_FILE) and <SERVICE>_MONGODB_DATABASE like the service.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import timedelta

from crm_kit.audit.store import AuditLog, public
from crm_kit.mongo import create_client
from crm_kit.settings import ServiceSettings, env_float

SERVICES = ("customer", "interaction", "notification")


async def _run(args: argparse.Namespace) -> int:
    settings = ServiceSettings.from_env(args.service, 0)
    client = create_client(settings.mongodb_uri, f"audit-{args.command}")
    try:
        log = AuditLog(client, client[settings.mongodb_database], args.service)
        if args.command == "verify":
            result = await log.verify()
            if result.broken is not None:
                print(f"{args.service}: {result.broken}", file=sys.stderr)
                return 1
            print(
                f"{args.service}: audit chain intact: {result.checked} records "
                f"(seq {result.first_seq + 1}..{result.last_seq}), head {result.head_hash}"
            )
            return 0
        if args.command == "prune":
            pruned = await log.prune(timedelta(days=args.days))
            print(
                f"{args.service}: removed {pruned.removed} records; checkpoint seq "
                f"{pruned.checkpoint_seq} hash {pruned.checkpoint_hash}"
            )
            return 0
        async for doc in log.scan(max(0, args.from_seq - 1)):
            if args.to_seq and int(doc["seq"]) > args.to_seq:
                break
            print(json.dumps(public(doc), ensure_ascii=False, sort_keys=True))
        return 0
    finally:
        await client.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crm_kit.audit")
    parser.add_argument("command", choices=("verify", "prune", "export"))
    parser.add_argument("--service", required=True, choices=SERVICES)
    parser.add_argument("--days", type=float, default=env_float("AUDIT_RETENTION_DAYS", 400.0))
    parser.add_argument("--from-seq", type=int, default=1)
    parser.add_argument("--to-seq", type=int, default=0)
    return asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
