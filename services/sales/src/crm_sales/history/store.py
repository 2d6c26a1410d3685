"""MongoDB adapter of opportunity history: stage changes (`opportunity_stage_history`) and
tracked field changes (`opportunity_field_history`), append-only, written in the transaction
of the change they record."""

from __future__ import annotations

from collections.abc import Sequence

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.mongo import Document, IndexSpec, Session
from crm_sales.customers.model import CustomerMove
from crm_sales.history.model import FieldChange, MoveKind, StageChange, TrackedField

STAGE_HISTORY = "opportunity_stage_history"
FIELD_HISTORY = "opportunity_field_history"
OPPORTUNITIES = "opportunities"  # whose ids an erasure looks up

INDEXES: list[IndexSpec] = [
    IndexSpec(
        name,
        (
            IndexModel(
                [("opportunityId", ASCENDING), ("at", ASCENDING), ("_id", ASCENDING)],
                name="opportunity_at",
            ),
        ),
    )
    for name in (STAGE_HISTORY, FIELD_HISTORY)
]


def entry_id(opportunity_id: str, version: int, index: int = 0) -> str:
    """History ids sort like the writes they record (the opportunity's version, then the
    entry's place in the write), so entries written in one millisecond keep their order."""
    return f"{opportunity_id}:{version:010d}:{index:02d}"


def stage_change_to_doc(change: StageChange, version: int, booked: Document | None) -> Document:
    return {
        "_id": entry_id(change.opportunity_id, version),
        "opportunityId": change.opportunity_id,
        "pipelineId": change.pipeline_id,
        "pipelineVersion": change.pipeline_version,
        "kind": str(change.kind),
        "from": change.from_stage_id,
        "to": change.to_stage_id,
        "at": change.at,
        "actorId": change.actor_id,
        "reason": change.reason,
        "note": change.note,
        "booked": booked,
    }


def stage_change_from_doc(d: Document) -> StageChange:
    return StageChange(
        opportunity_id=d["opportunityId"],
        pipeline_id=d["pipelineId"],
        pipeline_version=int(d["pipelineVersion"]),
        kind=MoveKind(d["kind"]),
        from_stage_id=d.get("from"),
        to_stage_id=d["to"],
        at=d["at"],
        actor_id=d["actorId"],
        reason=d.get("reason"),
        note=d.get("note"),
    )


def field_change_to_doc(change: FieldChange, version: int, index: int) -> Document:
    return {
        "_id": entry_id(change.opportunity_id, version, index),
        "opportunityId": change.opportunity_id,
        "field": str(change.field),
        "old": change.old,
        "new": change.new,
        "at": change.at,
        "actorId": change.actor_id,
    }


def field_change_from_doc(d: Document) -> FieldChange:
    return FieldChange(
        opportunity_id=d["opportunityId"],
        field=TrackedField(d["field"]),
        old=d.get("old"),
        new=d.get("new"),
        at=d["at"],
        actor_id=d["actorId"],
    )


class HistoryRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._stages = db[STAGE_HISTORY]
        self._fields = db[FIELD_HISTORY]
        self._opportunities = db[OPPORTUNITIES]

    async def add(
        self,
        stage_change: StageChange | None,
        field_changes: Sequence[FieldChange],
        session: Session,
        *,
        version: int,
        booked: Document | None = None,
    ) -> None:
        """Record a stage change (with the conversion a won or lost deal was booked at) and the
        tracked field changes of one write, which left the opportunity at `version`."""
        if stage_change is not None:
            doc = stage_change_to_doc(stage_change, version, booked)
            await self._stages.insert_one(doc, session=session)
        if field_changes:
            docs = [field_change_to_doc(c, version, i) for i, c in enumerate(field_changes)]
            await self._fields.insert_many(docs, session=session)

    async def move_customer(self, move: CustomerMove, session: Session) -> None:
        """History follows its opportunity, whatever customer that is filed under."""

    async def move_back(self, move: CustomerMove, session: Session) -> None:
        """History follows its opportunity, whatever customer that is filed under."""

    async def erase_customer(self, customer_id: str, session: Session) -> None:
        """The notes of the customer's deals' stage changes go (reasons, times stay)."""
        cursor = self._opportunities.find({"customerId": customer_id}, {"_id": 1}, session=session)
        ids = [d["_id"] async for d in cursor]
        if ids:
            await self._stages.update_many(
                {"opportunityId": {"$in": ids}}, {"$set": {"note": None}}, session=session
            )
