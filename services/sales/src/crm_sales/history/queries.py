"""Read side of opportunity history: pages of opportunities' stage and field changes (oldest
first) and their counts, and their stage changes for the time in each stage — each for many
opportunities at once (a list's every card in one query, see `shared.paging`)."""

from __future__ import annotations

from collections.abc import Sequence

from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.mongo import Document
from crm_sales.history.model import FieldChange, StageChange
from crm_sales.history.store import (
    FIELD_HISTORY,
    STAGE_HISTORY,
    field_change_from_doc,
    stage_change_from_doc,
)
from crm_sales.shared import paging
from crm_sales.shared.listing import KeyKind, KeysetOrder, Page, Position, page_of

STAGE_ORDER = KeysetOrder("STAGE_HISTORY", "at", KeyKind.TIME)
FIELD_ORDER = KeysetOrder("FIELD_HISTORY", "at", KeyKind.TIME)
MAX_STAGE_CHANGES = 1000  # read per opportunity for time-in-stage figures


class HistoryQueries:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._stages = db[STAGE_HISTORY]
        self._fields = db[FIELD_HISTORY]

    async def stage_pages(
        self, opportunity_ids: Sequence[str], first: int, after: Position | None
    ) -> dict[str, Page[StageChange]]:
        """Each opportunity's page of stage changes, oldest first (one aggregate for all)."""
        found = await paging.page_per_key(
            self._stages,
            "opportunityId",
            opportunity_ids,
            order=STAGE_ORDER,
            first=first,
            after=after,
        )
        return {
            k: page_of(docs, more, STAGE_ORDER, stage_change_from_doc)
            for k, (docs, more) in found.items()
        }

    async def stage_counts(self, opportunity_ids: Sequence[str]) -> dict[str, int]:
        return await paging.count_per_key(self._stages, "opportunityId", opportunity_ids)

    async def field_pages(
        self, opportunity_ids: Sequence[str], first: int, after: Position | None
    ) -> dict[str, Page[FieldChange]]:
        """Each opportunity's page of tracked value changes, oldest first (one aggregate)."""
        found = await paging.page_per_key(
            self._fields,
            "opportunityId",
            opportunity_ids,
            order=FIELD_ORDER,
            first=first,
            after=after,
        )
        return {
            k: page_of(docs, more, FIELD_ORDER, field_change_from_doc)
            for k, (docs, more) in found.items()
        }

    async def field_counts(self, opportunity_ids: Sequence[str]) -> dict[str, int]:
        return await paging.count_per_key(self._fields, "opportunityId", opportunity_ids)

    async def stage_changes(self, opportunity_ids: Sequence[str]) -> dict[str, list[StageChange]]:
        """Each opportunity's stage changes in time order (one query for all of them)."""
        ids = list(dict.fromkeys(opportunity_ids))
        cursor = self._stages.find({"opportunityId": {"$in": ids}}).sort(STAGE_ORDER.sort())
        found: dict[str, list[StageChange]] = {}
        async for doc in cursor.limit(MAX_STAGE_CHANGES * max(len(ids), 1)):
            found.setdefault(str(doc["opportunityId"]), []).append(stage_change_from_doc(doc))
        return found
