"""0005: the indexes of sales forecasts (`forecast.store`): the submissions by subject, period
and time, and the index the open deals of a period are read with (status, expected close
date, owner, team).

Additive and idempotent: the previous release neither reads nor writes submissions, and
building an index on `opportunities` changes nothing it does.
"""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.mongo import Document, ensure_indexes
from crm_sales.forecast import store as forecast


async def apply(db: AsyncDatabase[Document]) -> None:
    await ensure_indexes(db, forecast.INDEXES)
