"""A write on the embedded MongoDB waits for another SQLite connection's write lock
(crm_dev.mongo.patches.busy_timeout) instead of failing after Python's default 5 s."""

from __future__ import annotations

import time

import pytest
from pymongo import MongoClient

from crm_dev.testing import MongoServer
from tests.infra.sqlite_locks import write_lock_held

HELD_SECONDS = 7.0  # longer than sqlite3's default busy timeout (5 s)


def test_an_insert_waits_for_a_long_write_of_another_connection(
    mongo_server: MongoServer | None,
) -> None:
    if mongo_server is None:
        pytest.skip("MONGODB_URI points at a real MongoDB: the embedded server's patch is moot")
    mongo = mongo_server
    client: MongoClient[dict[str, object]] = MongoClient(mongo.uri, timeoutMS=60_000)
    try:
        coll = client["busy_timeout"]["t"]
        coll.insert_one({"_id": "before"})
        with write_lock_held(mongo, HELD_SECONDS):
            began = time.monotonic()
            coll.insert_one({"_id": "after"})
            waited = time.monotonic() - began
        assert waited >= HELD_SECONDS * 0.8, "the insert should have waited for the lock"
        assert {d["_id"] for d in coll.find({})} == {"before", "after"}
    finally:
        client.close()
