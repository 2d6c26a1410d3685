"""Let the embedded server's SQLite connections wait longer for each other's write lock.

Why: mongoeco 4.11.0 opens several SQLite connections to one database file (commands,
change-stream delivery, a heartbeat thread, dedicated readers) with Python's default busy
timeout of 5 s. Under a large write (seeding 10,000 customers while change events are
delivered) one connection held the write lock longer than that and an ordinary insert failed
with "database is locked" (seen in the customer benchmark). MongoDB queues such writes.

What: every connection mongoeco creates gets ``PRAGMA busy_timeout`` of
``MONGOECO_BUSY_TIMEOUT_SECONDS`` (30 s by default). Written against mongoeco 4.11.0;
``tests/infra/test_mongo_busy_timeout.py`` fails without it.
"""

from __future__ import annotations

import functools
import sqlite3
from typing import Any

from crm_dev.mongo import switches
from crm_dev.mongo.patches.registry import Originals, Patch, Replacements

CONNECT = "mongoeco.engines.sqlite.SQLiteEngine._create_sqlite_connection"
TIMEOUT_ENV = switches.BUSY_TIMEOUT_SECONDS.name
DEFAULT_TIMEOUT_SECONDS = float(switches.BUSY_TIMEOUT_SECONDS.default)


def timeout_ms() -> int:
    try:
        seconds = float(switches.BUSY_TIMEOUT_SECONDS.get() or DEFAULT_TIMEOUT_SECONDS)
    except ValueError:
        seconds = DEFAULT_TIMEOUT_SECONDS
    return int(max(seconds, 0.0) * 1000)


def build(originals: Originals) -> Replacements:
    original = originals[CONNECT]
    wait = timeout_ms()

    @functools.wraps(original)
    def create_sqlite_connection(self: Any) -> sqlite3.Connection:
        connection: sqlite3.Connection = original(self)
        connection.execute(f"PRAGMA busy_timeout = {wait}")
        return connection

    return {CONNECT: create_sqlite_connection}


PATCH = Patch(name="busy_timeout", written_for="4.11.0", targets=(CONNECT,), build=build)
