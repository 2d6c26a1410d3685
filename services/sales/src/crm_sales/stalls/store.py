"""MongoDB adapter of the stall watch: the stalls published (`opportunity_stalls`, one
document per stay, `_id` = the stay's key, written in the transaction of its event), the watch's
pass (`opportunity_stall_scans`, one document: when the next pass is due, its lease, and how far
each watched stage has been looked at), and the read of the stays that may have stalled.

The pass document carries its own lease (`crm_kit.jobs.LeasedItems`): one replica at a time
runs a pass, and what it covered is recorded only while it still holds the lease.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from crm_kit.jobs import LeasedItems, LeaseFields
from crm_kit.mongo import Document, IndexSpec, Session
from crm_sales.opportunities.values import Status
from crm_sales.stalls.model import Stall, Stay, Watched, Window

STALLS = "opportunity_stalls"
SCANS = "opportunity_stall_scans"
OPPORTUNITIES = "opportunities"  # whose open stays the watch reads
PASS_ID = "pass"

INDEXES: list[IndexSpec] = [
    IndexSpec(
        STALLS,
        (IndexModel([("opportunityId", ASCENDING), ("enteredAt", ASCENDING)], name="stay"),),
    ),
    IndexSpec(
        OPPORTUNITIES,
        (
            IndexModel(
                [
                    ("pipelineId", ASCENDING),
                    ("stageId", ASCENDING),
                    ("stageEnteredAt", ASCENDING),
                    ("_id", ASCENDING),
                ],
                name="stage_entered",
            ),
        ),
    ),
]


def stall_to_doc(stall: Stall) -> Document:
    """Ids, the stage and times only: nothing personal."""
    return {
        "_id": stall.stay.key,
        "opportunityId": stall.stay.opportunity_id,
        "pipelineId": stall.pipeline_id,
        "stageId": stall.stay.stage_id,
        "enteredAt": stall.stay.entered_at,
        "stallDays": stall.stall_days,
        "stalledAt": stall.stalled_at,
        "detectedAt": stall.detected_at,
    }


def covered_from_doc(doc: Document) -> dict[str, datetime]:
    return {str(c["key"]): c["through"] for c in doc.get("covered") or ()}


def covered_to_doc(covered: Mapping[str, datetime]) -> list[Document]:
    return [{"key": key, "through": through} for key, through in sorted(covered.items())]


class StallRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._stalls = db[STALLS]
        self._scans = db[SCANS]
        self._opportunities = db[OPPORTUNITIES]
        self._leased = LeasedItems(self._scans, fields=LeaseFields(attempts=None), order="dueAt")

    # --- the pass -------------------------------------------------------------------------

    async def plan_first_pass(self, due_at: datetime) -> None:
        """The pass document, once: the first pass is due at `due_at`."""
        fields: Document = {"dueAt": due_at, "leaseOwner": None, "leaseUntil": None, "covered": []}
        try:
            await self._scans.update_one({"_id": PASS_ID}, {"$setOnInsert": fields}, upsert=True)
        except DuplicateKeyError:  # another replica created it at the same moment
            return

    async def pass_due(self, now: datetime) -> bool:
        return await self._leased.any_due(_due(now), now)

    async def claim_pass(
        self, owner: str, now: datetime, lease: timedelta, *, force: bool = False
    ) -> dict[str, datetime] | None:
        """Lease the pass to `owner` when it is due (`force`: due or not) and no other replica
        holds it; how far each watched stage has been covered, or None."""
        due: dict[str, Any] = {"_id": PASS_ID} if force else _due(now)
        doc = await self._leased.claim(due, owner, now, lease)
        return covered_from_doc(doc) if doc is not None else None

    async def renew(self, owner: str, now: datetime, lease: timedelta) -> bool:
        """Extend the lease; False when another replica has taken the pass over."""
        return await self._leased.renew(PASS_ID, owner, now, lease)

    async def finish_pass(
        self, owner: str, covered: Mapping[str, datetime], next_due: datetime
    ) -> bool:
        """Record what the pass covered and when the next is due, and free the lease — only
        while `owner` still holds it."""
        changes = {"covered": covered_to_doc(covered), "dueAt": next_due}
        return await self._leased.finish(PASS_ID, owner, changes)

    async def release(self, owner: str) -> None:
        await self._leased.release(PASS_ID, owner)

    # --- the stays ------------------------------------------------------------------------

    async def stays(
        self, watch: Watched, window: Window, after: Stay | None, limit: int
    ) -> list[Stay]:
        """The open stays in the watched stage within `window`, oldest first, after `after`
        (the last of the previous page)."""
        entered: dict[str, Any] = {"$lte": window.through}
        if window.after is not None:
            entered["$gt"] = window.after
        query: Document = {
            "pipelineId": watch.pipeline.id,
            "stageId": watch.stage.id,
            "status": str(Status.OPEN),
            "stageEnteredAt": entered,
        }
        if after is not None:
            query = {
                "$and": [
                    query,
                    {
                        "$or": [
                            {"stageEnteredAt": {"$gt": after.entered_at}},
                            {
                                "stageEnteredAt": after.entered_at,
                                "_id": {"$gt": after.opportunity_id},
                            },
                        ]
                    },
                ]
            }
        cursor = (
            self._opportunities.find(query, {"stageId": 1, "stageEnteredAt": 1})
            .sort([("stageEnteredAt", ASCENDING), ("_id", ASCENDING)])
            .limit(limit)
        )
        return [Stay(str(d["_id"]), str(d["stageId"]), d["stageEnteredAt"]) async for d in cursor]

    async def published(self, stays: Sequence[Stay]) -> set[str]:
        """The keys of the stays whose stall has been published already."""
        if not stays:
            return set()
        cursor = self._stalls.find({"_id": {"$in": [s.key for s in stays]}}, {"_id": 1})
        return {str(d["_id"]) async for d in cursor}

    async def is_published(self, stay: Stay, session: Session) -> bool:
        found = await self._stalls.find_one({"_id": stay.key}, {"_id": 1}, session=session)
        return found is not None

    async def record(self, stall: Stall, session: Session) -> None:
        """The stall as published (a second insert of the same stay fails: DuplicateKeyError)."""
        await self._stalls.insert_one(stall_to_doc(stall), session=session)


def _due(now: datetime) -> dict[str, Any]:
    return {"_id": PASS_ID, "dueAt": {"$lte": now}}
