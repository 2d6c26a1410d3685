"""The job worker of a service: runs its queued import jobs (and, through its handler, jobs of
other kinds) in the service process.

The worker is a source of the kit's job runner (`crm_kit.jobs`). A job is held through a
lease of its own (`crm_kit.lease`, `_id = <lease prefix>:<id>`), so with several replicas each
job runs in one place; a replica that stops or dies leaves the lease to expire (or releases it
on a graceful stop) and another one resumes the job at its next unfinished batch. An import
runs batch by batch (`next_chunk`): the service's handler gives each row of a batch its result
(writing what the rows create or change); a batch's counters and results are saved once,
guarded by the batch number, and the handler writes each row under an idempotency key of its
own, so a batch re-run after a crash writes nothing twice. Progress is announced on an
in-process hub after each batch (subscriptions); subscribers also poll, for jobs run by
another replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from crm_kit.auth import Principal
from crm_kit.events import utcnow
from crm_kit.imports.model import Counts, Job, JobKind, JobStatus, RowResult, principal_of
from crm_kit.imports.store import JobStore
from crm_kit.jobs import JobRunner
from crm_kit.lease import Lease, replica_id
from crm_kit.uow import Transaction, UnitOfWork

_log = logging.getLogger("crm_kit.imports")
MAX_ATTEMPTS = 5  # failed passes over one job (not failed rows) before it is FAILED
OPEN_JOBS = 20  # open jobs looked at per pass


class ProgressHub:
    """Job id → events set whenever that job's progress changed in this process."""

    def __init__(self) -> None:
        self._waiters: dict[str, set[asyncio.Event]] = defaultdict(set)

    def publish(self, job_id: str) -> None:
        for event in self._waiters.get(job_id, ()):
            event.set()

    @contextlib.asynccontextmanager
    async def watch(self, job_id: str) -> AsyncIterator[asyncio.Event]:
        event = asyncio.Event()
        self._waiters[job_id].add(event)
        try:
            yield event
        finally:
            self._waiters[job_id].discard(event)
            if not self._waiters[job_id]:
                del self._waiters[job_id]


async def progress[J: Job](
    hub: ProgressHub,
    job_id: str,
    load: Callable[[str], Awaitable[J | None]],
    poll_seconds: float = 1.0,
) -> AsyncIterator[J]:
    """The job now, then each change, until it has finished."""
    last: J | None = None
    async with hub.watch(job_id) as changed:
        while True:
            changed.clear()
            job = await load(job_id)
            if job is None:
                return
            if job != last:
                yield job
                last = job
            if job.finished:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), poll_seconds)


class JobHandler[J: Job](Protocol):
    """What a service does with its jobs."""

    async def process_batch(
        self, job: J, actor: Principal, rows: list[dict[str, Any]]
    ) -> list[RowResult]:
        """Each staged row's result, in order (`actor`: the job's requester)."""
        ...

    def finished(self, tx: Transaction, job: J) -> None:
        """In the transaction that ends `job` (COMPLETED or FAILED): its event, its audit."""
        ...

    async def run_other(self, job: J) -> None:
        """Run a job that is not an import (an export) to its end."""
        ...


@dataclass(frozen=True, slots=True)
class Held[J: Job]:
    """A job this replica holds, with its lease."""

    job: J
    lease: Lease


class JobWorker[J: Job]:
    """Runs open jobs, one at a time, each under its own lease (a `crm_kit.jobs` source)."""

    def __init__(
        self,
        jobs: JobStore[J],
        handler: JobHandler[J],
        uow: UnitOfWork,
        hub: ProgressHub,
        *,
        lease_prefix: str,
        poll_seconds: float = 2.0,
        lease_seconds: float = 30.0,
    ) -> None:
        self.jobs = jobs
        self.handler = handler
        self.uow = uow
        self.hub = hub
        self.lease_prefix = lease_prefix
        self.lease_seconds = lease_seconds
        self.owner = replica_id()
        self._pass: list[J] | None = None
        self._runner: JobRunner[Held[J]] = JobRunner(
            source=self, name=f"{lease_prefix} worker", poll_seconds=poll_seconds,
            batch=OPEN_JOBS + 1, rest_after_work=True,
        )  # fmt: skip

    def wake(self) -> None:
        self._runner.wake()

    async def run(self, stop: asyncio.Event) -> None:
        self._pass = None
        await self._runner.run(stop)

    # --- the runner's source: claim, work, failed ---------------------------------------------

    async def claim(self) -> Held[J] | None:
        """The next open job of this pass whose lease this replica gets; None once every open
        job was tried (a job whose attempt failed waits for the next pass)."""
        if self._pass is None:
            self._pass = await self.jobs.open_jobs(OPEN_JOBS)
        try:
            while self._pass:
                job = self._pass.pop(0)
                lease = Lease(
                    self.jobs.leases, f"{self.lease_prefix}:{job.id}", owner=self.owner,
                    ttl_seconds=self.lease_seconds,
                )  # fmt: skip
                if await lease.acquire():
                    return Held(job, lease)
        except Exception:
            self._pass = None  # the next pass starts from the jobs as they are then
            raise
        self._pass = None
        return None

    async def work(self, held: Held[J], stop: asyncio.Event) -> bool:
        try:
            job = await self._started(held.job)
            if job.kind is JobKind.IMPORT:
                await self._run_import(job, held.lease, stop)
            else:
                await self.handler.run_other(job)
        finally:
            await held.lease.release()
            self.hub.publish(held.job.id)
        return True

    async def failed(self, held: Held[J], exc: Exception) -> None:
        """E.g. the database away: retried at the next pass, then FAILED."""
        _log.warning(
            "job attempt failed",
            exc_info=exc, extra={"fields": {"job": held.job.id, "error": type(exc).__name__}},
        )  # fmt: skip
        await self._attempt_failed(held.job, exc)

    async def _attempt_failed(self, job: J, exc: Exception) -> None:
        """Count a failed attempt; after MAX_ATTEMPTS the job ends FAILED (and says so)."""
        attempts = await self.jobs.count_attempt(job.id)
        if attempts < MAX_ATTEMPTS:
            return

        async def work(tx: Transaction) -> None:
            current = await self.jobs.get(job.id, tx.session)
            if current is None or current.finished:
                return
            failed = replace(
                current, status=JobStatus.FAILED, finished_at=utcnow(), error=type(exc).__name__
            )
            await self.jobs.set_fields(
                job.id,
                {"status": "FAILED", "finished_at": failed.finished_at, "error": failed.error},
                tx.session,
            )
            if failed.kind is JobKind.IMPORT:
                await self.jobs.drop_rows(failed, tx.session)
            self.handler.finished(tx, failed)

        await self.uow.run(work)
        self.hub.publish(job.id)

    async def _started(self, job: J) -> J:
        if job.status is JobStatus.RUNNING and job.started_at:
            return job
        started = replace(job, status=JobStatus.RUNNING, started_at=job.started_at or utcnow())
        await self.jobs.set_fields(
            job.id, {"status": str(started.status), "started_at": started.started_at}
        )
        self.hub.publish(job.id)
        return started

    async def _run_import(self, job: J, lease: Lease, stop: asyncio.Event) -> None:
        actor = principal_of(job)
        for index in range(job.next_chunk, job.chunk_count):
            if stop.is_set() or not await lease.ensure():
                return  # resumed at this batch by whoever holds the lease next
            rows = await self.jobs.rows(job.id, index)
            results = await self.handler.process_batch(job, actor, rows)
            await self._save_batch(job.id, index, results)
            self.hub.publish(job.id)
        await self._finish_import(job.id)

    async def _save_batch(self, job_id: str, index: int, results: list[RowResult]) -> None:
        counts = Counts.of(results)

        async def save(tx: Transaction) -> None:
            if await self.jobs.add_progress(job_id, index, counts, tx.session):
                await self.jobs.save_results(job_id, index, results, tx.session)

        await self.uow.run(save)

    async def _finish_import(self, job_id: str) -> None:
        async def work(tx: Transaction) -> None:
            current = await self.jobs.get(job_id, tx.session)
            if current is None or current.finished:
                return
            done = replace(current, status=JobStatus.COMPLETED, finished_at=utcnow())
            await self.jobs.set_fields(
                job_id, {"status": str(done.status), "finished_at": done.finished_at}, tx.session
            )
            await self.jobs.drop_rows(done, tx.session)
            self.handler.finished(tx, done)

        await self.uow.run(work)
