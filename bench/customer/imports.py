"""Customer import benchmark on the embedded default (or MONGODB_URI / --mongodb-uri).

    .venv/bin/python -m bench.customer.imports --rows 1000 --sizes 1000 10000

For each collection size N: seeds N realistic customers, then imports a CSV of `--rows`
generated customers (valid ID numbers and credit codes, ~5 % repeating a stored customer's
phone, ~5 % with an invalid ID number or phone, ~2 % repeating an earlier row's phone, half
without an owner) through the real import path as the service wires it — file type check,
header mapping, staging in batches, then per row: validation, the duplicate check, the owner
by assignment rule, and the write (customer, match keys, version, audit record, outbox
events) in one transaction per batch — and reports rows/s and MongoDB commands per row for
the upload (parse + stage), a dry run and the real run, with the job's counters.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient, monitoring

from bench.customer.__main__ import ACTOR, seed
from bench.customer.generator import customer
from bench.customer.wiring import service_commands
from crm_customer.customers import model as domain
from crm_customer.customers.store import CustomerRepository
from crm_customer.imports.columns import BY_KEY, COLUMNS
from crm_customer.imports.export import cells_of
from crm_customer.imports.model import Job
from crm_customer.imports.store import JobRepository
from crm_customer.imports.worker import JobWorker
from crm_customer.indexes import INDEXES
from crm_customer.protection.crypto import DataProtector
from crm_kit.imports import tables as files
from crm_kit.imports.model import ImportMode, ImportUpload
from crm_kit.imports.worker import ProgressHub
from crm_kit.mongo import ensure_indexes
from crm_kit.outbox import OUTBOX_INDEXES


class Commands(monitoring.CommandListener):
    """MongoDB commands sent while `on` (the bench's own progress polls not counted)."""

    def __init__(self) -> None:
        self.on = False
        self.count = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.on and event.command.get(event.command_name) != "customer_jobs":
            self.count += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def csv_file(rng: random.Random, rows: int, stored_phones: list[str]) -> bytes:
    columns = [c for c in COLUMNS if c.key != "id"]
    table = [[c.zh for c in columns]]
    now = datetime.now(UTC)
    for i in range(rows):
        made = domain.create(customer(rng, 900_000 + i), id="x", actor="b", now=now)
        cells = cells_of(made, reveal_identity=True)
        roll = rng.random()
        if roll < 0.05 and stored_phones:  # repeats a stored customer's phone
            cells["phones"] = rng.choice(stored_phones)
            cells["id_card_number"] = cells["uscc"] = ""
        elif roll < 0.075 and cells["id_card_number"]:
            cells["id_card_number"] = cells["id_card_number"][:-1] + "0"  # bad check digit
        elif roll < 0.10:
            cells["phones"] = "12345"
        elif roll < 0.12 and len(table) > 1:  # repeats an earlier row's phone
            cells["phones"] = table[-1][columns.index(BY_KEY["phones"])]
            cells["id_card_number"] = cells["uscc"] = ""
        if rng.random() < 0.5:  # no owner: the assignment rule picks one
            cells["owner_id"] = cells["team"] = ""
        table.append([cells[c.key] for c in columns])
    return files.to_csv(table)


async def run_job(worker: JobWorker, store: JobRepository, job: Job) -> tuple[Job, float]:
    stop = asyncio.Event()
    start = time.perf_counter()
    task = asyncio.create_task(worker.run(stop))
    while True:
        current = await store.get(job.id)
        assert current is not None
        if current.finished:
            break
        await asyncio.sleep(0.2)
    elapsed = time.perf_counter() - start
    stop.set()
    await task
    return current, elapsed


def report(label: str, job: Job, elapsed: float, commands: int) -> None:
    c = job.counts
    print(
        f"  {label:<34} {c.processed / elapsed:7.1f} rows/s  ({elapsed:6.1f} s, "
        f"{commands / max(1, c.processed):.1f} commands/row; created {c.created}, "
        f"updated {c.updated}, skipped {c.skipped}, failed {c.failed})"
    )


async def run_size(uri: str, n: int, rows: int, mode: ImportMode) -> None:
    counter = Commands()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        uri, tz_aware=True, event_listeners=[counter]
    )
    db = client[f"bench_import_{n}_{uuid.uuid4().hex[:6]}"]
    await ensure_indexes(db, [OUTBOX_INDEXES, *INDEXES])
    repo = CustomerRepository(db, DataProtector.from_env())
    deps = await service_commands(client, db, repo)  # every index, the jobs' too
    importer, exporter, uow = deps.imports, deps.exports, deps.customers.uow
    store = importer.jobs
    worker = JobWorker(store, importer, exporter, uow, ProgressHub(), poll_seconds=0.05)
    rng = random.Random(n)
    print(f"\nN = {n:,} stored customers, importing {rows:,} rows ({mode})")
    seeded = await seed(repo, db, n, rng)
    data = csv_file(rng, rows, [p for c in seeded[:200] for p in c.phones])
    for dry_run in (True, False):
        start = time.perf_counter()
        upload = ImportUpload(data, "bench.csv", mode=mode, dry_run=dry_run)
        job = await importer.start(ACTOR, upload)
        if dry_run:
            staged = time.perf_counter() - start
            print(
                f"  upload: type check + parse + stage   {rows / staged:7.0f} rows/s "
                f"({len(data) / 1024:.0f} KiB, {job.chunk_count} batches)"
            )
        counter.on, counter.count = True, 0
        done, elapsed = await run_job(worker, store, job)
        counter.on = False
        report("dry run (validate + dup check)" if dry_run else "import (validate + dup + tx)",
               done, elapsed, counter.count)  # fmt: skip
    await client.drop_database(db.name)
    await client.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--mode", default="SKIP_DUPLICATES", choices=[m.value for m in ImportMode])
    parser.add_argument("--mongodb-uri", default=os.environ.get("MONGODB_URI", ""))
    args = parser.parse_args()
    server = None
    uri = args.mongodb_uri
    data_dir = Path(tempfile.mkdtemp(prefix="bench-import-"))
    if not uri:
        from crm_dev.testing import MongoServer

        server = MongoServer(data_dir)
        server.start()
        uri = server.uri
        print(f"embedded MongoDB (mongoeco) at {uri}")
    try:
        for n in args.sizes:
            await run_size(uri, n, args.rows, ImportMode(args.mode))
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
