"""Read side of the pipeline at a past instant and of the waterfall between two instants: the
deals of a pipeline that may count at the instants, and only the history recorded after the
earlier instant; the replay itself is `model` (and `waterfall`).

A deal not written since the earlier instant T1 is, at every instant from T1 on, what it is
now (every write that records history also moves `updatedAt`), so only deals written since
T1 need their history, and the others need reading only when they count now.

Cost of one read for instants T1 ≤ T2 (T1 = T2 for `as_of`):
- `pipeline_versions`: one find on the `_id` index (a prefix): every version of the
  pipeline, a handful.
- `opportunities`: one find of two branches, each served by an index: the deals written
  since T1 (`updated`: updatedAt > T1, then kept when of the pipeline and created by T2),
  and the pipeline's open deals not written since, narrowed by owner, team, close window and
  the caller's scope (`pipeline_stage_rank`: pipelineId, stageId among every open stage any
  version had; or `owner_status_close` when an owner is given). Documents are read without
  their lists (line items, contacts, competitors, tags, custom fields).
- `opportunity_stage_history` and `opportunity_field_history`: one find each per
  `HISTORY_BATCH` deals written since T1, on `opportunity_at` (opportunityId ∈ …, at > T1):
  only the entries after T1.
Time and memory grow with the open deals in scope plus the deals written since T1 and their
entries since T1; nothing is read of a deal closed before T1 and untouched since.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import batched

from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.mongo import Document
from crm_kit.policy import restrict
from crm_sales.history.model import FieldChange, StageChange
from crm_sales.history.store import (
    FIELD_HISTORY,
    STAGE_HISTORY,
    field_change_from_doc,
    stage_change_from_doc,
)
from crm_sales.money.model import RateTable
from crm_sales.opportunities.store import OPPORTUNITIES, opportunity_from_doc
from crm_sales.opportunities.values import Opportunity, Status
from crm_sales.pipelines.model import Pipeline
from crm_sales.pipelines.store import PIPELINE_VERSIONS, pipeline_from_doc
from crm_sales.point_in_time.model import (
    DefinedVersion,
    Later,
    PipelineView,
    Selection,
    pipeline_at,
    pipeline_view,
    state_at,
)
from crm_sales.point_in_time.waterfall import Waterfall, waterfall

HISTORY_BATCH = 1_000  # deal ids per history query: a bounded `$in`
HISTORY_ORDER = [("opportunityId", 1), ("at", 1), ("_id", 1)]  # the store's write order
UNCOUNTED = {  # lists no count needs: left out of what is read
    name: 0 for name in ("lineItems", "contacts", "competitors", "tags", "customFields")
}


@dataclass(frozen=True, slots=True)
class Replay:
    """A deal as it is now and what was recorded of it after the earlier instant."""

    current: Opportunity
    later: Later


@dataclass(frozen=True, slots=True)
class WaterfallRead:
    pipeline: Pipeline  # the version in effect at the end
    waterfall: Waterfall


def candidates(
    pipeline_id: str,
    span: tuple[datetime, datetime],
    open_stages: Sequence[str],
    selection: Selection,
    condition: Document,
) -> Document:
    """The deals that may count at some instant of `span`: written since its start (judged
    after the replay), or open and untouched since, within the selection as they are now."""
    start, end = span
    written = {"pipelineId": pipeline_id, "updatedAt": {"$gt": start}, "createdAt": {"$lte": end}}
    untouched: Document = {
        "pipelineId": pipeline_id,
        "stageId": {"$in": list(open_stages)},
        "status": str(Status.OPEN),
        "updatedAt": {"$lte": start},
    }
    if selection.owner_id:
        untouched["ownerId"] = selection.owner_id
    if selection.team:
        untouched["team"] = selection.team
    window = {
        op: day.isoformat()
        for op, day in (("$gte", selection.close_from), ("$lte", selection.close_to))
        if day is not None
    }
    if window:
        untouched["expectedCloseDate"] = window
    return {"$or": [written, restrict(untouched, condition)]}


class PointInTimeQueries:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._opportunities = db[OPPORTUNITIES]
        self._stages = db[STAGE_HISTORY]
        self._fields = db[FIELD_HISTORY]
        self._versions = db[PIPELINE_VERSIONS]

    async def as_of(
        self,
        pipeline_id: str,
        at: datetime,
        selection: Selection,
        condition: Document,
        rates: RateTable,
    ) -> PipelineView | None:
        """The open pipeline at `at` (None: no such pipeline). `condition`: the caller's
        list scope as a MongoDB condition; `selection.reach` the same rule in Python."""
        versions = await self.versions(pipeline_id)
        if not versions:
            return None
        then = pipeline_at(versions, at)
        deals = await self._replays(pipeline_id, (at, at), versions, selection, condition)
        states = [state_at(d.current, d.later, at=at, pipeline=then) for d in deals]
        return pipeline_view(
            states, at=at, pipeline=then.pipeline, rates=rates, selection=selection
        )

    async def waterfall(
        self,
        pipeline_id: str,
        span: tuple[datetime, datetime],
        selection: Selection,
        condition: Document,
        rates: RateTable,
    ) -> WaterfallRead | None:
        """The waterfall from `span[0]` to `span[1]` (None: no such pipeline): the history
        after the start is read once and both states are replayed from it."""
        versions = await self.versions(pipeline_id)
        if not versions:
            return None
        start, end = span
        before, after = pipeline_at(versions, start), pipeline_at(versions, end)
        deals = await self._replays(pipeline_id, span, versions, selection, condition)
        pairs = [
            (
                state_at(d.current, d.later, at=start, pipeline=before),
                state_at(d.current, d.later, at=end, pipeline=after),
            )
            for d in deals
        ]
        found = waterfall(pairs, start=start, end=end, rates=rates, selection=selection)
        return WaterfallRead(after.pipeline, found)

    async def versions(self, pipeline_id: str) -> list[DefinedVersion]:
        """Every version of the pipeline and when it was defined (none: no such pipeline)."""
        prefix = {"$regex": f"^{re.escape(pipeline_id)}:"}  # ids are `<id>:<version>`
        docs = await self._versions.find({"_id": prefix}).to_list()
        return [
            DefinedVersion(pipeline_from_doc(d), d["definedAt"])
            for d in docs
            if d.get("pipelineId") == pipeline_id
        ]

    async def _replays(
        self,
        pipeline_id: str,
        span: tuple[datetime, datetime],
        versions: Sequence[DefinedVersion],
        selection: Selection,
        condition: Document,
    ) -> list[Replay]:
        open_stages = sorted(
            {s.id for v in versions for s in v.pipeline.stages if s.is_open}
        )  # an open deal sits in a stage that was open in the version it entered under
        query = candidates(pipeline_id, span, open_stages, selection, condition)
        docs = await self._opportunities.find(query, UNCOUNTED).to_list()
        currents = [opportunity_from_doc(d)[0] for d in docs]
        written = [o.id for o in currents if o.updated_at > span[0]]
        later = await self._later(written, span[0])
        return [Replay(o, later.get(o.id, Later())) for o in currents]

    async def _later(self, ids: Sequence[str], after: datetime) -> dict[str, Later]:
        """Each deal's stage and field changes recorded after `after`, in write order."""
        stages: dict[str, list[StageChange]] = {}
        fields: dict[str, list[FieldChange]] = {}
        for batch in batched(ids, HISTORY_BATCH, strict=False):
            query = {"opportunityId": {"$in": list(batch)}, "at": {"$gt": after}}
            async for doc in self._stages.find(query).sort(HISTORY_ORDER):
                stages.setdefault(str(doc["opportunityId"]), []).append(stage_change_from_doc(doc))
            async for doc in self._fields.find(query).sort(HISTORY_ORDER):
                fields.setdefault(str(doc["opportunityId"]), []).append(field_change_from_doc(doc))
        return {i: Later(tuple(stages.get(i, ())), tuple(fields.get(i, ()))) for i in ids}
