"""The stall watch: a pass every few minutes, run by one replica at a time, that publishes
`opportunity.stalled.v1` for each stay that passed its stage's threshold since the last pass
(see `model` for what a stay and the covered window are).

Each replica runs the watch's loop (`run`, a service worker on `crm_kit.jobs.JobRunner`); the
pass itself is one leased document, so whichever replica finds it due first runs it and the
others find it taken. A stall is published in a transaction of its own that re-reads the
opportunity (still open, still in that stay), records the stall under the stay's key and
stages the event in the outbox: a pass retried, interrupted or taken over by another replica
publishes nothing twice. A replica that loses the lease or is stopped mid-pass records how far
it got, and the next pass goes on from there.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from crm_kit.jobs import JobRunner
from crm_kit.lease import replica_id
from crm_kit.mongo import Document
from crm_kit.uow import Transaction, UnitOfWork
from crm_sales.events import opportunity_stalled, snapshots
from crm_sales.money.model import RateTable
from crm_sales.money.queries import RateQueries
from crm_sales.opportunities.model import base_amount, effective_probability
from crm_sales.opportunities.store import OpportunityRepository
from crm_sales.pipelines.queries import PipelineQueries
from crm_sales.settings import SalesSettings
from crm_sales.shared.clock import Clock, day_of, to_storage_time
from crm_sales.stalls import model
from crm_sales.stalls.model import Stay, Watched, Window
from crm_sales.stalls.store import StallRepository

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WatchOptions:
    interval_seconds: float = 300.0  # between passes (and how often each replica looks)
    lease_seconds: float = 120.0  # renewed after every page of stays read
    page: int = 200  # stays read at a time
    owner: str = field(default_factory=replica_id)  # this replica's name on the lease


@dataclass(slots=True)
class Pass:
    """One pass: its time, how far each watched stage has been covered, what it published."""

    now: datetime
    covered: dict[str, datetime]
    published: int = 0


@dataclass(frozen=True, slots=True)
class Sources:
    """What the watch reads besides its own store."""

    opportunities: OpportunityRepository
    pipelines: PipelineQueries
    rates: RateQueries


class StallWatch:
    """The `crm_kit.jobs` source of the watch: claim the pass, run it, recover from a failure."""

    def __init__(
        self,
        stalls: StallRepository,
        sources: Sources,
        uow: UnitOfWork,
        clock: Clock,
        options: WatchOptions | None = None,
    ) -> None:
        self._stalls = stalls
        self._sources = sources
        self._uow = uow
        self._clock = clock
        self._options = options or WatchOptions()
        self._lease = timedelta(seconds=self._options.lease_seconds)
        self._interval = timedelta(seconds=self._options.interval_seconds)
        self._planned = False
        self._runner = JobRunner(
            source=self,
            name="stall-watch",
            poll_seconds=self._options.interval_seconds,
            rest_after_work=True,
            any_due=self.pass_due,
        )
        self.published_total = 0

    def _now(self) -> datetime:
        return to_storage_time(self._clock())

    async def _plan(self) -> None:
        """The first pass, one interval after the watch first started anywhere."""
        if not self._planned:
            await self._stalls.plan_first_pass(self._now() + self._interval)
            self._planned = True

    async def pass_due(self) -> bool:
        """Whether a pass is due now: a cheap read (an idle replica's look writes nothing but
        the pass document the first time)."""
        await self._plan()
        return await self._stalls.pass_due(self._now())

    async def claim(self, *, force: bool = False) -> Pass | None:
        await self._plan()
        now = self._now()
        owner = self._options.owner
        covered = await self._stalls.claim_pass(owner, now, self._lease, force=force)
        return Pass(now, covered) if covered is not None else None

    async def work(self, job: Pass, stop: asyncio.Event) -> bool:
        """Every watched stage in turn; the covered windows and the next due time recorded at
        the end (or where a stop or a lost lease cut the pass short)."""
        pipelines = await self._sources.pipelines.all()
        rates = await self._sources.rates.table()
        complete = True
        for watch in model.watched(pipelines):
            found = model.window(watch, job.covered.get(watch.key), job.now)
            if found is None:
                continue
            if not await self._scan(watch, found, job, rates, stop):
                complete = False
                break
            job.covered[watch.key] = found.through
        next_due = job.now + self._interval if complete else job.now
        recorded = await self._stalls.finish_pass(self._options.owner, job.covered, next_due)
        self.published_total += job.published
        return recorded and complete

    async def failed(self, job: Pass, exc: Exception) -> None:
        """Logged (ids and error type only); the lease is freed so the next look retries, and
        what was published stays published (the stays' keys keep it once)."""
        _log.error(
            "stall watch pass failed",
            extra={"fields": {"error": type(exc).__name__, "published": job.published}},
        )
        await self._stalls.release(self._options.owner)

    async def tick(self) -> int:
        """Run a pass now, due or not, unless another replica is running one; the stalls it
        published (operations and tests)."""
        job = await self.claim(force=True)
        if job is None:
            return 0
        try:
            await self.work(job, asyncio.Event())
        except Exception as exc:
            await self.failed(job, exc)
            raise
        return job.published

    async def look(self) -> int:
        """What the loop does once an interval: a pass if one is due and free; 1 if it ran."""
        return await self._runner.run_once()

    async def run(self, stop: asyncio.Event) -> None:
        await self._runner.run(stop)

    async def _scan(
        self, watch: Watched, found: Window, job: Pass, rates: RateTable, stop: asyncio.Event
    ) -> bool:
        """The stays of one stage's window, page by page; False when cut short."""
        after: Stay | None = None
        while True:
            stays = await self._stalls.stays(watch, found, after, self._options.page)
            done = await self._stalls.published(stays)
            for stay in stays:
                if stay.key not in done:
                    job.published += await self._publish(stay, watch, job.now, rates)
            mine = await self._stalls.renew(self._options.owner, self._now(), self._lease)
            if stop.is_set() or not mine:
                return False
            if len(stays) < self._options.page:
                return True
            after = stays[-1]

    async def _publish(self, stay: Stay, watch: Watched, now: datetime, rates: RateTable) -> int:
        """`opportunity.stalled.v1` for one stay, in its own transaction; 1 when published."""

        async def work(tx: Transaction) -> int:
            found = await self._sources.opportunities.find(stay.opportunity_id, tx.session)
            if found is None or not model.still_stalled(found[0], stay, watch.stage, now):
                return 0  # moved, closed or gone since it was read
            if await self._stalls.is_published(stay, tx.session):
                return 0
            o, stall = found[0], model.stall_of(stay, watch, now)
            await self._stalls.record(stall, tx.session)
            conversion = base_amount(o, rates, day_of(now))
            snapshot = snapshots.opportunity(
                o, effective_probability(o, watch.pipeline), conversion
            )
            tx.emit(
                opportunity_stalled.TYPE,
                o.customer_id,
                opportunity_stalled.payload(snapshot, stall),
            )
            return 1

        try:
            return await self._uow.run(work)
        except DuplicateKeyError:  # another replica recorded this stay meanwhile
            return 0


def stall_watch(
    db: AsyncDatabase[Document], uow: UnitOfWork, clock: Clock, settings: SalesSettings
) -> StallWatch:
    """The watch over one database, at the interval of the service's settings (app.py)."""
    sources = Sources(
        OpportunityRepository(db), PipelineQueries(db), RateQueries(db, settings.base_currency)
    )
    options = WatchOptions(interval_seconds=settings.stall_check_seconds)
    return StallWatch(StallRepository(db), sources, uow, clock, options)
