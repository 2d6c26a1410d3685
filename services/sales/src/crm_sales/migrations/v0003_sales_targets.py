"""0003: the indexes of sales targets — the targets themselves (one per subject, period kind
and period start: the unique index is what refuses a second target for the same period) and
the index attainment reads closed deals with (status, close time, owner, team).

Additive and idempotent: the previous release neither reads nor writes targets, and building
an index on `opportunities` changes nothing it does.
"""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.mongo import Document, ensure_indexes
from crm_sales.targets import store as targets


async def apply(db: AsyncDatabase[Document]) -> None:
    await ensure_indexes(db, targets.INDEXES)
