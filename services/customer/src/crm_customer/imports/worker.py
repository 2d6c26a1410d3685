"""The job worker: runs queued import and export jobs in the service process.

The worker is a source of the kit's job runner (`crm_kit.jobs`). A job is held through a
lease of its own (`crm_kit.lease`, `_id = customer-job:<id>`), so with several
replicas each job runs in one place; a replica that stops or dies leaves the lease to expire
(or releases it on a graceful stop) and another one resumes the job at its next unfinished
batch. An import runs batch by batch (`next_chunk`): the rows of a batch that create
customers are written in one transaction (`ImportService.process_batch`); a batch's counters
are added once, guarded by the batch number, and each row is created with an idempotency key
of its own, so a batch re-run after a crash creates nothing twice. Progress is announced on
an in-process hub after each batch (subscriptions); subscribers also poll, for jobs run by
another replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace

from crm_customer.events import customer_export_finished, customer_import_finished
from crm_customer.events.batch import Batch, BatchKind, caused_by
from crm_customer.imports.export import ExportService
from crm_customer.imports.model import Counts, Job, JobKind, JobStatus, RowResult, principal_of
from crm_customer.imports.service import ImportService
from crm_customer.imports.store import JobRepository
from crm_kit import audit
from crm_kit.events import utcnow
from crm_kit.jobs import JobRunner
from crm_kit.lease import Lease, replica_id
from crm_kit.uow import Transaction, UnitOfWork

_log = logging.getLogger("crm_customer.imports")
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


async def progress(
    hub: ProgressHub,
    job_id: str,
    load: Callable[[str], Awaitable[Job | None]],
    poll_seconds: float = 1.0,
) -> AsyncIterator[Job]:
    """The job now, then each change, until it has finished."""
    last: Job | None = None
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


@dataclass(frozen=True, slots=True)
class Held:
    """A job this replica holds, with its lease."""

    job: Job
    lease: Lease


@dataclass(slots=True)
class JobWorker:
    """Runs open jobs, one at a time, each under its own lease (a `crm_kit.jobs` source)."""

    jobs: JobRepository
    importer: ImportService
    exporter: ExportService
    uow: UnitOfWork
    hub: ProgressHub
    poll_seconds: float = field(default=2.0, kw_only=True)
    lease_seconds: float = field(default=30.0, kw_only=True)
    owner: str = field(default_factory=replica_id, init=False)
    _pass: list[Job] | None = field(default=None, init=False, repr=False)
    _runner: JobRunner[Held] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._runner = JobRunner(
            source=self, name="job worker", poll_seconds=self.poll_seconds,
            batch=OPEN_JOBS + 1, rest_after_work=True,
        )  # fmt: skip

    def wake(self) -> None:
        self._runner.wake()

    async def run(self, stop: asyncio.Event) -> None:
        self._pass = None
        await self._runner.run(stop)

    # --- the runner's source: claim, work, failed ---------------------------------------------

    async def claim(self) -> Held | None:
        """The next open job of this pass whose lease this replica gets; None once every open
        job was tried (a job whose attempt failed waits for the next pass)."""
        if self._pass is None:
            self._pass = await self.jobs.open_jobs(OPEN_JOBS)
        try:
            while self._pass:
                job = self._pass.pop(0)
                lease = Lease(
                    self.jobs.leases, f"customer-job:{job.id}", owner=self.owner,
                    ttl_seconds=self.lease_seconds,
                )  # fmt: skip
                if await lease.acquire():
                    return Held(job, lease)
        except Exception:
            self._pass = None  # the next pass starts from the jobs as they are then
            raise
        self._pass = None
        return None

    async def work(self, held: Held, stop: asyncio.Event) -> bool:
        try:
            if held.job.kind is JobKind.IMPORT:
                await self._run_import(held.job, held.lease, stop)
            else:
                await self._run_export(held.job)
        finally:
            await held.lease.release()
            self.hub.publish(held.job.id)
        return True

    async def failed(self, held: Held, exc: Exception) -> None:
        """E.g. the database away: retried at the next pass, then FAILED."""
        _log.warning(
            "job attempt failed",
            exc_info=exc, extra={"fields": {"job": held.job.id, "error": type(exc).__name__}},
        )  # fmt: skip
        await self._attempt_failed(held.job, exc)

    async def _attempt_failed(self, job: Job, exc: Exception) -> None:
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
                tx.emit(
                    customer_import_finished.TYPE, job.id, customer_import_finished.payload(failed)
                )
            else:
                tx.emit(
                    customer_export_finished.TYPE, job.id, customer_export_finished.payload(failed)
                )

        await self.uow.run(work)
        self.hub.publish(job.id)

    async def _started(self, job: Job) -> Job:
        if job.status is JobStatus.RUNNING and job.started_at:
            return job
        started = replace(job, status=JobStatus.RUNNING, started_at=job.started_at or utcnow())
        await self.jobs.set_fields(
            job.id, {"status": str(started.status), "started_at": started.started_at}
        )
        self.hub.publish(job.id)
        return started

    async def _run_export(self, job: Job) -> None:
        job = await self._started(job)
        await self.exporter.run(job)

    async def _run_import(self, job: Job, lease: Lease, stop: asyncio.Event) -> None:
        job = await self._started(job)
        actor = principal_of(job)
        for index in range(job.next_chunk, job.chunk_count):
            if stop.is_set() or not await lease.ensure():
                return  # resumed at this batch by whoever holds the lease next
            rows = await self.jobs.rows(job.id, index)
            with caused_by(Batch(BatchKind.IMPORT, job.id, job.started_at or job.created_at)):
                results = await self.importer.process_batch(job, actor, rows)
            counts = Counts.of(results)

            async def save(
                tx: Transaction, i: int = index, c: Counts = counts, r: list[RowResult] = results
            ) -> None:
                if await self.jobs.add_progress(job.id, i, c, tx.session):
                    await self.jobs.save_results(job.id, i, r, tx.session)

            await self.uow.run(save)
            self.hub.publish(job.id)
        await self._finish_import(job.id)

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
            payload = customer_import_finished.payload(done)
            audit.record(
                tx, "customer.import", "CustomerImportJob", job_id,
                details={"counts": payload["counts"], "mode": payload["mode"],
                         "dryRun": done.dry_run},
                actor=done.actor, roles=done.actor_roles,
            )  # fmt: skip
            tx.emit(customer_import_finished.TYPE, job_id, payload)

        await self.uow.run(work)
