"""MongoDB adapter of scheduled jobs: `{_id, kind, refId, dueAt, data, status, leaseOwner,
leaseUntil, attempts}` in one collection.

Features schedule, move and cancel jobs inside their own transaction (`put`, `cancel`,
`cancel_ref`); the scheduler claims due jobs with a lease (`crm_kit.jobs.LeasedItems`),
checks inside its transaction that a job is still its own, and deletes it once fired.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from crm_interaction.scheduling.model import Job
from crm_kit.jobs import LeasedItems, LeaseFields
from crm_kit.mongo import Document, IndexSpec, Session

JOBS = "scheduled_jobs"
PENDING = "pending"
FAILED = "failed"

INDEXES = [
    IndexSpec(
        JOBS,
        (
            IndexModel([("status", ASCENDING), ("dueAt", ASCENDING)], name="status_due"),
            IndexModel([("refId", ASCENDING)], name="ref"),
        ),
    ),
]


def _due(now: datetime) -> dict[str, Any]:
    return {"status": PENDING, "dueAt": {"$lte": now}}


def job_from_doc(doc: Document) -> Job:
    return Job(
        id=str(doc["_id"]),
        kind=str(doc["kind"]),
        ref_id=str(doc.get("refId", "")),
        due_at=doc["dueAt"],
        data=dict(doc.get("data") or {}),
        attempts=int(doc.get("attempts", 1)),
    )


class JobRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection = db[JOBS]
        self._leased = LeasedItems(self._collection, fields=LeaseFields(), order="dueAt")

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

    # --- the scheduler's side ---------------------------------------------------------------

    async def any_due(self, now: datetime) -> bool:
        """A cheap read first, so an idle replica's poll writes nothing."""
        return await self._leased.any_due(_due(now), now)

    async def claim(self, owner: str, now: datetime, lease: timedelta) -> Job | None:
        """Lease the earliest due job to `owner` (one atomic update), or None."""
        doc = await self._leased.claim(_due(now), owner, now, lease)
        return job_from_doc(doc) if doc is not None else None

    async def still_leased(self, job: Job, owner: str, session: Session) -> bool:
        """Still pending, leased by `owner` and due when it was claimed (not moved, cancelled
        or taken over meanwhile)."""
        mine = await self._collection.find_one(
            {**self._leased.mine(job.id, owner), "status": PENDING},
            {"_id": 1, "dueAt": 1},
            session=session,
        )
        return mine is not None and mine["dueAt"] == job.due_at

    async def remove_fired(self, job: Job, owner: str, session: Session) -> None:
        await self._collection.delete_one(self._leased.mine(job.id, owner), session=session)

    async def fail(self, job: Job, owner: str) -> None:
        await self._leased.give_up(job.id, owner, {"status": FAILED})
