"""Embedded MongoDB for development and tests: mongoeco's wire server on SQLite storage.

    python -m crm_dev.mongo --port 27018 --data .data/mongo
    python -m crm_dev.mongo --switches      # the environment variables it reads

PyMongo connects with ``mongodb://127.0.0.1:<port>/?directConnection=true``. Data lives in
``<data>/mongoeco.sqlite3`` and survives restarts. SIGTERM/SIGINT stop it gracefully.
Before serving, the server applies the patches of `crm_dev.mongo.patches`, and refuses to
start when one does not fit the installed mongoeco (``MONGOECO_UNPATCHED=1``: no patches).
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import os
import signal
import sys
from pathlib import Path
from typing import Any

from crm_dev.mongo import switches
from crm_dev.mongo.patches import PATCHES, PatchRefused
from crm_dev.ports import port_in_use

DEFAULT_PORT = int(switches.MONGO_PORT.default)
DEFAULT_DATA = Path(switches.MONGO_DATA.default)
DB_FILE = "mongoeco.sqlite3"


def uri_for(port: int, host: str = "127.0.0.1") -> str:
    return f"mongodb://{host}:{port}/?directConnection=true"


def port_message(port: int) -> str:
    return f"port {port} is already in use (set MONGO_PORT or MONGODB_URI)"


async def _start(
    port: int, data_dir: Path, host: str, change_outbox_max_entries: int
) -> tuple[Any, int] | None:
    """The started wire server and its port; None (reason printed) when it could not start."""
    from mongoeco.engines.sqlite import SQLiteEngine
    from mongoeco.wire import AsyncMongoEcoProxyServer

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
        else:
            print(f"mongoeco could not start: {exc}", file=sys.stderr)
        return None
    return server, address.port


async def _until_signalled(server: Any) -> None:
    """Serve until SIGTERM/SIGINT, then close (a second signal while closing forces the exit)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        stop.clear()
        closing = asyncio.ensure_future(server.close())
        forced = asyncio.ensure_future(stop.wait())
        await asyncio.wait({closing, forced}, timeout=15, return_when=asyncio.FIRST_COMPLETED)
        forced.cancel()
        if not closing.done():
            print("mongoeco did not close in time; exiting anyway", file=sys.stderr, flush=True)
            os._exit(1)
        closing.result()


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
    try:
        outcome = PATCHES.apply()
    except PatchRefused as refused:
        print(f"embedded MongoDB not started: {refused}", file=sys.stderr)
        return 1
    print(outcome.describe(), flush=True)
    started = await _start(port, data_dir, host, change_outbox_max_entries)
    if started is None:
        return 1
    server, bound = started
    print(f"mongoeco ready on {uri_for(bound, host)} (data: {data_dir})", flush=True)
    await _until_signalled(server)
    print("mongoeco stopped", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crm_dev.mongo", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(switches.MONGO_PORT.get()))
    parser.add_argument("--data", type=Path, default=Path(switches.MONGO_DATA.get()))
    parser.add_argument(
        "--change-outbox-max-entries",
        type=int,
        default=int(switches.CHANGE_OUTBOX_MAX_ENTRIES.get()),
    )
    parser.add_argument(
        "--switches",
        action="store_true",
        help="print the environment variables the server reads (a Markdown table) and exit",
    )
    args = parser.parse_args(argv)
    if args.switches:
        print(switches.table())
        return 0
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
