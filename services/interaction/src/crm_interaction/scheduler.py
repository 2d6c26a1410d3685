"""A durable scheduler: jobs are MongoDB documents, fired once across any number of replicas.

A job is `{_id, kind, refId, dueAt, data, status, leaseOwner, leaseUntil, attempts}`. A
replica claims a due job with one atomic `find_one_and_update` that sets a lease; it then
fires it in a unit of work that first re-reads the job (it must still be pending and leased
by this replica), runs the handler (which emits events into the outbox) and deletes the job
— all in one transaction. A replica that dies mid-job leaves a lease that expires, and
another replica takes the job over; a replica whose lease was taken over finds the job no
longer its own and fires nothing. The clock is injected, so tests control time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.events import new_id
from crm_kit.mongo import Document, IndexSpec, Session
from crm_kit.uow import Transaction, UnitOfWork

_log = logging.getLogger(__name__)

JOBS = "scheduled_jobs"
PENDING = "pending"
FAILED = "failed"

JOB_INDEXES = IndexSpec(
    JOBS,
    (
        IndexModel([("status", ASCENDING), ("dueAt", ASCENDING)], name="status_due"),
        IndexModel([("refId", ASCENDING)], name="ref"),
    ),
)


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    kind: str
    ref_id: str
    due_at: datetime
    data: dict[str, Any]
    attempts: int


type JobHandler = Callable[[Job, Transaction], Awaitable[None]]


class JobStore:
    """Schedules and cancels jobs inside the caller's transaction."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = db[JOBS]

    async def put(
        self,
        job_id: str,
        *,
        kind: str,
        ref_id: str,
        due_at: datetime,
        data: dict[str, Any],
        session: Session,
    ) -> None:
        """Create or move the job (a moved job is pending again, with a fresh lease)."""
        await self._collection.replace_one(
            {"_id": job_id},
            {
                "kind": kind,
                "refId": ref_id,
                "dueAt": due_at,
                "data": data,
                "status": PENDING,
                "leaseOwner": None,
                "leaseUntil": None,
                "attempts": 0,
            },
            upsert=True,
            session=session,
        )

    async def cancel(self, job_id: str, session: Session) -> None:
        await self._collection.delete_one({"_id": job_id}, session=session)

    async def cancel_ref(self, ref_id: str, session: Session) -> None:
        await self._collection.delete_many({"refId": ref_id}, session=session)


class Scheduler:
    """Fires due jobs; run one per replica (`run` is a service worker)."""

    def __init__(
        self,
        db: AsyncDatabase[Document],
        uow: UnitOfWork,
        handlers: Mapping[str, JobHandler],
        clock: Callable[[], datetime],
        *,
        owner: str | None = None,
        lease_seconds: float = 60.0,
        poll_seconds: float = 1.0,
        max_attempts: int = 5,
    ) -> None:
        self._collection = db[JOBS]
        self._uow = uow
        self._handlers = dict(handlers)
        self._clock = clock
        self.owner = owner or new_id()
        self._lease = timedelta(seconds=lease_seconds)
        self._poll_seconds = poll_seconds
        self._max_attempts = max_attempts
        self.fired_total = 0
        self.failed_total = 0

    @staticmethod
    def _due(now: datetime) -> dict[str, Any]:
        return {
            "status": PENDING,
            "dueAt": {"$lte": now},
            "$or": [{"leaseUntil": None}, {"leaseUntil": {"$lte": now}}],
        }

    async def any_due(self) -> bool:
        """A cheap read first, so an idle replica's poll writes nothing."""
        found = await self._collection.find_one(self._due(self._clock()), {"_id": 1})
        return found is not None

    async def claim(self) -> Job | None:
        now = self._clock()
        doc = await self._collection.find_one_and_update(
            self._due(now),
            {
                "$set": {"leaseOwner": self.owner, "leaseUntil": now + self._lease},
                "$inc": {"attempts": 1},
            },
            sort=[("dueAt", ASCENDING)],
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            return None
        return Job(
            id=str(doc["_id"]),
            kind=str(doc["kind"]),
            ref_id=str(doc.get("refId", "")),
            due_at=doc["dueAt"],
            data=dict(doc.get("data") or {}),
            attempts=int(doc.get("attempts", 1)),
        )

    async def fire(self, job: Job) -> bool:
        """Run the job's handler and delete the job in one transaction; False if not ours."""
        handler = self._handlers.get(job.kind)

        async def work(tx: Transaction) -> bool:
            mine = await self._collection.find_one(
                {"_id": job.id, "status": PENDING, "leaseOwner": self.owner},
                {"_id": 1, "dueAt": 1},
                session=tx.session,
            )
            if mine is None or mine["dueAt"] != job.due_at:
                return False  # moved, cancelled or taken over meanwhile
            if handler is not None:
                await handler(job, tx)
            await self._collection.delete_one(
                {"_id": job.id, "leaseOwner": self.owner}, session=tx.session
            )
            return True

        return await self._uow.run(work)

    async def tick(self, limit: int = 100) -> int:
        """Fire every job due now (up to `limit`); returns how many fired."""
        fired = 0
        if not await self.any_due():
            return 0
        for _ in range(limit):
            job = await self.claim()
            if job is None:
                break
            try:
                if await self.fire(job):
                    fired += 1
                    self.fired_total += 1
            except Exception:
                _log.exception("scheduled job failed", extra={"fields": {"job": job.id}})
                await self._give_up_or_retry(job)
        return fired

    async def _give_up_or_retry(self, job: Job) -> None:
        if job.attempts >= self._max_attempts:
            self.failed_total += 1
            await self._collection.update_one(
                {"_id": job.id, "leaseOwner": self.owner}, {"$set": {"status": FAILED}}
            )
        # otherwise the lease expires and a replica retries it

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.tick()
            except Exception as exc:
                _log.warning("scheduler tick failed: %s", f"{type(exc).__name__}: {exc}"[:300])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self._poll_seconds)
