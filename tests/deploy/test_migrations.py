"""The versioned migration runner against the embedded MongoDB: idempotent, one applier when
several replicas start at once, takes over a dead runner's lease, and the per-service
`python -m crm_<service>.migrate` entry points create their indexes."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from importlib import import_module
from typing import Any

import pytest
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.events import utcnow
from crm_kit.migrations import (
    MIGRATIONS_COLLECTION,
    Migration,
    MigrationError,
    MigrationRunner,
    check_migrations,
    wait_for_database,
)
from crm_kit.mongo import Document, IndexSpec, create_client
from tests.support import free_port, unique

pytestmark = pytest.mark.integration

WIDGETS = IndexSpec("widgets", (IndexModel([("kind", ASCENDING)], name="kind"),))


@pytest.fixture
async def db(mongodb_uri: str) -> AsyncIterator[AsyncDatabase[Document]]:
    client = create_client(mongodb_uri, "migrations-test")
    name = unique("migr")
    yield client[name]
    await client.drop_database(name)
    await client.close()


def counting_migrations(calls: list[str], delay: float = 0.0) -> list[Migration]:
    async def backfill(db: AsyncDatabase[Document]) -> None:
        calls.append("0002")
        await asyncio.sleep(delay)
        await db["widgets"].update_many({"kind": {"$exists": False}}, {"$set": {"kind": "plain"}})

    async def seed(db: AsyncDatabase[Document]) -> None:
        calls.append("0001")
        await db["widgets"].insert_one({"_id": "w1"})

    # deliberately out of order: the runner sorts by version
    return [Migration("0002", "backfill kind", backfill), Migration("0001", "seed", seed)]


async def test_applies_in_order_once_and_records_versions(db: AsyncDatabase[Document]) -> None:
    calls: list[str] = []
    first = await MigrationRunner(db, "svc", counting_migrations(calls), [WIDGETS]).run()
    second = await MigrationRunner(db, "svc", counting_migrations(calls), [WIDGETS]).run()

    assert first.applied == ("0001", "0002") and first.already_applied == ()
    assert second.applied == () and second.already_applied == ("0001", "0002")
    assert calls == ["0001", "0002"]
    assert await db["widgets"].find_one({"_id": "w1"}) == {"_id": "w1", "kind": "plain"}
    records = await db[MIGRATIONS_COLLECTION].find({"version": {"$exists": True}}).to_list()
    assert sorted(r["_id"] for r in records) == ["svc:0001", "svc:0002"]
    index_names = {ix["name"] async for ix in await db["widgets"].list_indexes()}
    assert "kind" in index_names
    outbox_indexes = {ix["name"] async for ix in await db["outbox"].list_indexes()}
    assert {"status_created", "sent_at"} <= outbox_indexes
    lock = await db[MIGRATIONS_COLLECTION].find_one({"_id": "svc:lock"})
    assert lock is not None and lock["owner"] is None


async def test_new_version_applies_only_the_new_script(db: AsyncDatabase[Document]) -> None:
    calls: list[str] = []
    await MigrationRunner(db, "svc", counting_migrations(calls)).run()

    async def later(db: AsyncDatabase[Document]) -> None:
        calls.append("0003")

    report = await MigrationRunner(
        db, "svc", [*counting_migrations(calls), Migration("0003", "later", later)]
    ).run()
    assert report.applied == ("0003",)
    assert calls == ["0001", "0002", "0003"]


async def test_concurrent_runners_apply_each_version_once(db: AsyncDatabase[Document]) -> None:
    calls: list[str] = []
    runners = [
        MigrationRunner(db, "svc", counting_migrations(calls, delay=0.2), poll_seconds=0.05)
        for _ in range(4)
    ]
    reports = await asyncio.gather(*(r.run() for r in runners))

    assert calls == ["0001", "0002"]
    assert sorted(v for r in reports for v in r.applied) == ["0001", "0002"]
    assert sum(1 for r in reports if r.applied) == 1
    assert all(r.already_applied == ("0001", "0002") for r in reports if not r.applied)


async def test_expired_lease_of_a_dead_runner_is_taken_over(db: AsyncDatabase[Document]) -> None:
    await db[MIGRATIONS_COLLECTION].insert_one(
        {"_id": "svc:lock", "owner": "dead-pod", "expires_at": utcnow() - timedelta(seconds=1)}
    )
    calls: list[str] = []
    report = await MigrationRunner(db, "svc", counting_migrations(calls)).run()
    assert report.applied == ("0001", "0002")


async def test_live_lease_makes_others_wait_then_time_out(db: AsyncDatabase[Document]) -> None:
    await db[MIGRATIONS_COLLECTION].insert_one(
        {"_id": "svc:lock", "owner": "busy-pod", "expires_at": utcnow() + timedelta(minutes=5)}
    )
    calls: list[str] = []
    runner = MigrationRunner(
        db,
        "svc",
        counting_migrations(calls),
        poll_seconds=0.05,
        wait_timeout=timedelta(seconds=0.3),
    )
    with pytest.raises(MigrationError, match="timed out"):
        await runner.run()
    assert calls == []


def test_versions_must_be_four_digits_and_unique() -> None:
    async def noop(_db: AsyncDatabase[Document]) -> None:
        return None

    with pytest.raises(MigrationError, match="four digits"):
        check_migrations([Migration("1", "bad", noop)])
    with pytest.raises(MigrationError, match="twice"):
        check_migrations([Migration("0001", "a", noop), Migration("0001", "b", noop)])


SERVICE_INDEXES = [
    ("customer", "customers", "owner_created"),
    ("interaction", "interactions", "customer_occurred_id"),
    ("notification", "notifications", "recipient_newest"),
    ("sales", "opportunities", "customer_updated"),
]


def migrate_process(service: str, mongodb_uri: str, database: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "MONGODB_URI": mongodb_uri,
        f"{service.upper()}_MONGODB_DATABASE": database,
        "LOG_FORMAT": "json",
    }
    env.pop("MONGODB_URI_FILE", None)
    return subprocess.Popen(
        [sys.executable, "-m", f"crm_{service}.migrate"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def done_records(stderr: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    return [line for line in lines if line["msg"] == "migrations done"]


async def test_service_migrate_entry_points_as_two_replicas_each(mongodb_uri: str) -> None:
    """`python -m crm_<service>.migrate`, started twice at once per service (two pods)."""
    databases = {service: unique(f"migr_{service}") for service, _c, _i in SERVICE_INDEXES}
    procs = [
        (service, migrate_process(service, mongodb_uri, databases[service]))
        for service in databases
        for _replica in range(2)
    ]
    outputs: dict[str, list[dict[str, Any]]] = {service: [] for service in databases}
    for service, proc in procs:
        _out, err = await asyncio.to_thread(proc.communicate, timeout=180)
        assert proc.returncode == 0, err[-2000:]
        outputs[service] += done_records(err)
    client = create_client(mongodb_uri, "migrations-test")
    try:
        for service, collection, index in SERVICE_INDEXES:
            scripts = import_module(f"crm_{service}.migrations").MIGRATIONS
            versions = tuple(m.version for m in scripts)
            applied = sorted(tuple(r["applied"]) for r in outputs[service])
            assert applied == [(), versions], outputs[service]  # one applied, one waited
            db = client[databases[service]]
            record = await db[MIGRATIONS_COLLECTION].find_one({"_id": f"{service}:0001"})
            assert record is not None and record["description"] == "initial indexes"
            names = {ix["name"] async for ix in await db[collection].list_indexes()}
            assert index in names
    finally:
        for database in databases.values():
            await client.drop_database(database)
        await client.close()


async def test_unreachable_database_fails_after_the_wait() -> None:
    client = create_client(f"mongodb://127.0.0.1:{free_port()}/?directConnection=true", "t")
    try:
        with pytest.raises(MigrationError, match="not reachable"):
            await wait_for_database(client["x"], timeout=timedelta(seconds=1))
    finally:
        await client.close()
