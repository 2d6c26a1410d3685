"""Read side of win probability: the organisation's statistics from its closed deals, and the
close-date pushes of open deals.

The statistics come from ONE aggregate over the deals won or lost in the last
`WINDOW_DAYS` (the (status, closing time) index of `targets.store` bounds it; at most
`MAX_CLOSED_DEALS`, latest first), each with its stage changes and its expected close date
changes looked up by the history index (opportunity, time). They are organisation-wide, so
they are kept per process for `CACHE_SECONDS`: a list of deals costs one aggregate per five
minutes, not one per deal. A deal's pushes are one query on its field history (one for all
the deals a request asks about).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise

from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.mongo import Document
from crm_sales.history.model import MoveKind, TrackedField
from crm_sales.history.store import FIELD_HISTORY, STAGE_HISTORY
from crm_sales.opportunities.store import OPPORTUNITIES
from crm_sales.opportunities.values import Status
from crm_sales.targets.store import CLOSED_DEALS_INDEX
from crm_sales.win_probability.model import ClosedDeal, Statistics, Stay, learn

WINDOW_DAYS = 730  # the closed deals learned from: those of the last 24 months
MAX_CLOSED_DEALS = 5_000  # the latest closed deals of the window, at most
CACHE_SECONDS = 300  # how long one process keeps the statistics
DAY_SECONDS = 86_400
CLOSED = [str(Status.WON), str(Status.LOST)]
NOT_STAYS = {str(MoveKind.WON), str(MoveKind.LOST), str(MoveKind.MERGED)}
PUSH_FIELD = str(TrackedField.EXPECTED_CLOSE_DATE)


def closed_deals_pipeline(since: datetime) -> list[Document]:
    """The closed deals since `since` with their stage changes and close-date changes."""
    return [
        {"$match": {"status": {"$in": CLOSED}, "closing.at": {"$gte": since}}},
        {"$sort": {"closing.at": -1}},
        {"$limit": MAX_CLOSED_DEALS},
        {
            "$lookup": {
                "from": STAGE_HISTORY,
                "localField": "_id",
                "foreignField": "opportunityId",
                "pipeline": [
                    {"$sort": {"at": 1, "_id": 1}},
                    {"$project": {"_id": 0, "kind": 1, "to": 1, "at": 1}},
                ],
                "as": "stages",
            }
        },
        {
            "$lookup": {
                "from": FIELD_HISTORY,
                "localField": "_id",
                "foreignField": "opportunityId",
                "pipeline": [
                    {"$match": {"field": PUSH_FIELD}},
                    {"$project": {"_id": 0, "old": 1, "new": 1}},
                ],
                "as": "closeDates",
            }
        },
        {
            "$project": {
                "status": 1,
                "ownerId": 1,
                "bookedMinor": 1,
                "discounts": "$lineItems.discountPercent",
                "stages": 1,
                "closeDates": 1,
            }
        },
    ]


def is_push(change: Document) -> bool:
    """A change of the expected close date to a later one (ISO dates sort as text)."""
    old, new = change.get("old"), change.get("new")
    return old is not None and new is not None and str(new) > str(old)


def stays_of(changes: Sequence[Document]) -> tuple[Stay, ...]:
    """Each stay in an open stage that ended, in days (a stay in a won, lost or merged stage —
    until a reopening — is not one)."""
    return tuple(
        Stay(str(entry["to"]), (following["at"] - entry["at"]).total_seconds() / DAY_SECONDS)
        for entry, following in pairwise(changes)
        if entry["kind"] not in NOT_STAYS
    )


def max_discount(discounts: Sequence[str] | None) -> Decimal:
    return max((Decimal(d) for d in discounts or ()), default=Decimal(0))


def closed_deal_of(doc: Document) -> ClosedDeal:
    booked = doc.get("bookedMinor")
    return ClosedDeal(
        won=doc["status"] == str(Status.WON),
        owner_id=str(doc["ownerId"]),
        base_minor=None if booked is None else int(booked),
        stays=stays_of(doc.get("stages") or []),
        pushes=sum(1 for change in doc.get("closeDates") or [] if is_push(change)),
        max_discount=max_discount(doc.get("discounts")),
    )


class WinQueries:
    def __init__(self, db: AsyncDatabase[Document], clock: Callable[[], datetime]) -> None:
        self._deals = db[OPPORTUNITIES]
        self._fields = db[FIELD_HISTORY]
        self._clock = clock
        self._kept: tuple[datetime, Statistics] | None = None
        self._lock = asyncio.Lock()

    async def statistics(self) -> Statistics:
        """The statistics, learned again once the kept ones are `CACHE_SECONDS` old."""
        async with self._lock:
            now = self._clock()
            if self._kept is None or now - self._kept[0] >= timedelta(seconds=CACHE_SECONDS):
                self._kept = (now, await self._learn(now))
            return self._kept[1]

    async def _learn(self, now: datetime) -> Statistics:
        pipeline = closed_deals_pipeline(now - timedelta(days=WINDOW_DAYS))
        cursor = await self._deals.aggregate(pipeline, hint=CLOSED_DEALS_INDEX)
        return learn([closed_deal_of(doc) async for doc in cursor])

    async def pushes(self, opportunity_ids: Sequence[str]) -> dict[str, int]:
        """How often each deal's expected close date was moved later (one query)."""
        ids = list(dict.fromkeys(opportunity_ids))
        query = {"opportunityId": {"$in": ids}, "field": PUSH_FIELD}
        cursor = self._fields.find(query, {"opportunityId": 1, "old": 1, "new": 1})
        found = dict.fromkeys(ids, 0)
        async for doc in cursor:
            if is_push(doc):
                found[str(doc["opportunityId"])] += 1
        return found
