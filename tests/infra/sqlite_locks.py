"""What mongoeco's own SQLite connections (change delivery, heartbeat) do to the embedded
server's database file, done on purpose: hold its write lock for a while."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from crm_dev.mongo import DB_FILE
from crm_dev.testing import MongoServer


@contextmanager
def write_lock_held(server: MongoServer, seconds: float) -> Iterator[None]:
    """Another connection holds the write lock for `seconds` from entry; exit waits for it."""
    held = threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(server.data_dir / DB_FILE, timeout=30, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            held.set()
            time.sleep(seconds)
            conn.execute("ROLLBACK")
        finally:
            conn.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        if not held.wait(10):
            raise RuntimeError("could not take the embedded server's write lock")
        yield
    finally:
        holder.join(timeout=seconds + 30)
