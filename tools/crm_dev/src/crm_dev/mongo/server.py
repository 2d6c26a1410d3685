"""Embedded MongoDB for development and tests: mongoeco's wire server on SQLite storage.

    python -m crm_dev.mongo --port 27018 --data .data/mongo

PyMongo connects with ``mongodb://127.0.0.1:<port>/?directConnection=true``. Data lives in
``<data>/mongoeco.sqlite3`` and survives restarts. SIGTERM/SIGINT stop it gracefully.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import os
import signal
import sys
from pathlib import Path

from crm_dev.mongo.patches import (
    bulk_insert,
    busy_timeout,
    count_pipeline,
    expr_index,
    features_cache,
    id_membership,
    id_uniqueness,
    multikey,
    shared_index,
    transaction_gate,
)
from crm_dev.ports import port_in_use

DEFAULT_PORT = 27018
DEFAULT_DATA = Path(".data/mongo")
DB_FILE = "mongoeco.sqlite3"


def uri_for(port: int, host: str = "127.0.0.1") -> str:
    return f"mongodb://{host}:{port}/?directConnection=true"


def port_message(port: int) -> str:
    return f"port {port} is already in use (set MONGO_PORT or MONGODB_URI)"


async def serve(
    port: int,
    data_dir: Path,
    *,
    host: str = "127.0.0.1",
    change_outbox_max_entries: int = 10_000,
) -> int:
    """Run until SIGTERM/SIGINT; returns a process exit code."""
    if port_in_use(port, host):
        print(port_message(port), file=sys.stderr)
        return 1
    from mongoeco.engines.sqlite import SQLiteEngine
    from mongoeco.wire import AsyncMongoEcoProxyServer

    id_uniqueness.apply()  # each read/write patch has its off switch (README)
    count_pipeline.apply()  # before the gate, which must see the original command
    transaction_gate.apply()
    id_membership.apply()
    bulk_insert.apply()
    expr_index.apply()
    multikey.apply()  # after expr_index: both wrap the filter translation
    shared_index.apply()
    busy_timeout.apply()
    features_cache.apply()  # after busy_timeout: both wrap _create_sqlite_connection
    data_dir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, before serving
    engine = SQLiteEngine(
        str(data_dir / DB_FILE), change_outbox_max_entries=change_outbox_max_entries
    )
    server = AsyncMongoEcoProxyServer(engine=engine, host=host, port=port)
    try:
        address = await server.start()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(port_message(port), file=sys.stderr)
            return 1
        print(f"mongoeco could not start: {exc}", file=sys.stderr)
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"mongoeco ready on {uri_for(address.port, host)} (data: {data_dir})", flush=True)
    try:
        await stop.wait()
    finally:
        stop.clear()  # a second signal while closing forces the exit
        closing = asyncio.ensure_future(server.close())
        forced = asyncio.ensure_future(stop.wait())
        await asyncio.wait({closing, forced}, timeout=15, return_when=asyncio.FIRST_COMPLETED)
        forced.cancel()
        if not closing.done():
            print("mongoeco did not close in time; exiting anyway", file=sys.stderr, flush=True)
            os._exit(1)
        closing.result()
    print("mongoeco stopped", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crm_dev.mongo", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("MONGO_PORT", DEFAULT_PORT)))
    parser.add_argument(
        "--data", type=Path, default=Path(os.environ.get("MONGO_DATA", DEFAULT_DATA))
    )
    parser.add_argument(
        "--change-outbox-max-entries",
        type=int,
        default=int(os.environ.get("MONGOECO_CHANGE_OUTBOX_MAX_ENTRIES", "10000")),
    )
    args = parser.parse_args(argv)
    try:
        return asyncio.run(
            serve(
                args.port,
                args.data,
                host=args.host,
                change_outbox_max_entries=args.change_outbox_max_entries,
            )
        )
    except KeyboardInterrupt:
        return 130
