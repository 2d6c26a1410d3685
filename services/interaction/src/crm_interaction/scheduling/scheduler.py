"""A durable scheduler: jobs are MongoDB documents, fired once across any number of replicas.

A replica claims a due job with one atomic update that sets a lease; it then fires it in a
unit of work that first re-reads the job (it must still be pending and leased by this
replica), runs the handler (which emits events into the outbox) and deletes the job — all in
one transaction. A replica that dies mid-job leaves a lease that expires, and another replica
takes the job over; a replica whose lease was taken over finds the job no longer its own and
fires nothing. The clock is injected, so tests control time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from crm_interaction.scheduling.model import Job
from crm_interaction.scheduling.store import JobRepository
from crm_kit.events import new_id
from crm_kit.jobs import JobRunner
from crm_kit.uow import Transaction, UnitOfWork

_log = logging.getLogger(__name__)

type JobHandler = Callable[[Job, Transaction], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class SchedulerOptions:
    owner: str = field(default_factory=new_id)  # this replica's name on its leases
    lease_seconds: float = 60.0
    poll_seconds: float = 1.0
    max_attempts: int = 5


class Scheduler:
    """Fires due jobs; run one per replica (`run` is a service worker, on `crm_kit.jobs`)."""

    def __init__(
        self,
        jobs: JobRepository,
        uow: UnitOfWork,
        handlers: Mapping[str, JobHandler],
        clock: Callable[[], datetime],
        options: SchedulerOptions | None = None,
    ) -> None:
        options = options or SchedulerOptions()
        self._jobs = jobs
        self._uow = uow
        self._handlers = dict(handlers)
        self._clock = clock
        self.owner = options.owner
        self._lease = timedelta(seconds=options.lease_seconds)
        self._max_attempts = options.max_attempts
        self.failed_total = 0
        self._runner = JobRunner(
            source=self, name="scheduler", poll_seconds=options.poll_seconds,
            batch=100, rest_after_work=True, any_due=lambda: jobs.any_due(clock()),
        )  # fmt: skip

    @property
    def fired_total(self) -> int:
        return self._runner.done_total

    async def claim(self) -> Job | None:
        return await self._jobs.claim(self.owner, self._clock(), self._lease)

    async def fire(self, job: Job) -> bool:
        """Run the job's handler and delete the job in one transaction; False if not ours."""
        handler = self._handlers.get(job.kind)

        async def work(tx: Transaction) -> bool:
            if not await self._jobs.still_leased(job, self.owner, tx.session):
                return False  # moved, cancelled or taken over meanwhile
            if handler is not None:
                await handler(job, tx)
            await self._jobs.remove_fired(job, self.owner, tx.session)
            return True

        return await self._uow.run(work)

    async def work(self, job: Job, stop: asyncio.Event) -> bool:
        return await self.fire(job)

    async def failed(self, job: Job, exc: Exception) -> None:
        _log.error("scheduled job failed", exc_info=exc, extra={"fields": {"job": job.id}})
        if job.attempts >= self._max_attempts:
            self.failed_total += 1
            await self._jobs.fail(job, self.owner)
        # otherwise the lease expires and a replica retries it

    async def tick(self, limit: int = 100) -> int:
        """Fire every job due now (up to `limit`); returns how many fired."""
        return await self._runner.run_once(limit)

    async def run(self, stop: asyncio.Event) -> None:
        await self._runner.run(stop)
